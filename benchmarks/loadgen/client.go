package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"

	"github.com/herald-gateway/herald/gateway/nacostest"
)

// Push is a NotifySubscriberRequest as a load connection saw it, after it
// acknowledged it.
type Push struct {
	RequestID string
	FirstPort int       // serviceInfo.hosts[0].port; 0 with no hosts
	Config    bool      // a ConfigChangeNotifyRequest (it names no content)
	AckedAt   time.Time // when the ack had been written to the stream
}

// Conn is one raw Nacos connection with a session, whose stream is read by
// its own goroutine: every server request is acknowledged at once, so
// Herald never closes it for silence.
type Conn struct {
	raw    wire
	onPush func(Push) // called on the reader goroutine; may be nil

	closing    atomic.Bool
	done       chan struct{} // closed when the reader has returned
	err        error         // why the stream ended; set before done closes
	Detections atomic.Int64  // ClientDetectionRequests acknowledged
	Unexpected atomic.Int64  // server messages of other types
	onReset    atomic.Pointer[func()]
}

// OnReset makes f run (on its own goroutine) when Herald tells the
// connection to move with ConnectResetRequest; the request is
// acknowledged first.
func (c *Conn) OnReset(f func()) { c.onReset.Store(&f) }

// clientDialOptions keep the load generator's own memory per connection
// small: its buffers are not what is measured.
func clientDialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithReadBufferSize(8 << 10),
		grpc.WithWriteBufferSize(8 << 10),
		grpc.WithInitialWindowSize(64 << 10),
		grpc.WithInitialConnWindowSize(64 << 10),
	}
}

// callTimeout bounds one unary request.
const callTimeout = 10 * time.Second

// Open dials addr, runs ServerCheck and ConnectionSetup, starts reading
// the stream and waits until Herald has registered the session. onPush,
// if not nil, sees every push after it was acknowledged.
func Open(ctx context.Context, addr string, onPush func(Push)) (*Conn, error) {
	raw, err := dialWire(ctx, addr)
	if err != nil {
		return nil, err
	}
	c := &Conn{raw: raw, onPush: onPush, done: make(chan struct{})}
	if err := raw.Setup(ctx, map[string]string{"source": "sdk", "module": "naming"}); err != nil {
		raw.Close()
		return nil, fmt.Errorf("connection setup: %w", err)
	}
	go c.read()
	if err := c.waitSession(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// waitSession retries a health check until it no longer gets 301: the
// setup has no reply, and Herald registers it while reading the stream.
func (c *Conn) waitSession(ctx context.Context) error {
	backoff := 2 * time.Millisecond
	for {
		_, err := c.Call(ctx, "HealthCheckRequest", []byte(`{"requestId":"","module":"internal"}`))
		var re *ReplyError
		if !errors.As(err, &re) || re.ErrorCode != 301 {
			return err
		}
		if err := sleep(ctx, backoff); err != nil {
			return fmt.Errorf("session not registered: %w", err)
		}
		backoff = min(2*backoff, 200*time.Millisecond)
	}
}

// Reply is the part of a response body every call checks.
type Reply struct {
	ResultCode int    `json:"resultCode"`
	ErrorCode  int    `json:"errorCode"`
	Success    bool   `json:"success"`
	Message    string `json:"message"`
}

// ReplyError is a response that is not a success.
type ReplyError struct {
	Type string
	Reply
}

func (e *ReplyError) Error() string {
	return fmt.Sprintf("%s resultCode %d errorCode %d: %s", e.Type, e.ResultCode, e.ErrorCode, e.Message)
}

// Call sends one unary request (body: a value to encode, or JSON bytes)
// and fails unless the reply is a success.
func (c *Conn) Call(ctx context.Context, typ string, body any) (nacostest.Message, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	m, err := c.raw.Request(ctx, typ, body)
	if err != nil {
		return m, fmt.Errorf("%s: %w", typ, err)
	}
	var r Reply
	if err := m.Decode(&r); err != nil {
		return m, fmt.Errorf("%s: reply %q: %w", typ, m.Body, err)
	}
	if r.ResultCode != 200 || !r.Success {
		return m, &ReplyError{Type: m.Type, Reply: r}
	}
	return m, nil
}

// Alive reports whether the stream is still open.
func (c *Conn) Alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// Err is why the stream ended, once it has.
func (c *Conn) Err() error {
	if c.Alive() {
		return nil
	}
	return c.err
}

// Close closes the connection and waits for its reader to return.
func (c *Conn) Close() {
	c.closing.Store(true)
	_ = c.raw.Close()
	<-c.done
}
