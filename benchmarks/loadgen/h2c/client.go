// Package h2c is a lean Nacos 2.x gRPC client for load generation: one
// TCP connection whose frames are read and written with
// golang.org/x/net/http2's Framer and hpack (the event transport's
// framing, on the client side), one goroutine per connection that reads
// every frame and answers the server's pushes in place, and the writes a
// burst of pushes causes (acks, window updates) coalesced into one write
// per burst.
//
// grpc-go's client spends about twice Herald's CPU per push (a reader and
// a writer goroutine per connection, a goroutine hop per message, a
// protobuf round trip through reflection); this one is what the load
// generator uses when it must not be the bottleneck. It serves what the
// load generator needs, no more: h2c with prior knowledge, unary
// /Request/request calls, one /BiRequestStream/requestBiStream, flow
// control both ways, PING, SETTINGS, RST_STREAM and GOAWAY.
package h2c

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/herald-gateway/herald/gateway/nacostest"
)

const (
	// recvWindow is the window this client grants (the protocol default
	// for the connection and every stream, as grpc-go's client is run by
	// the load generator); it is returned once a quarter is used.
	recvWindow = 65535
	// grpcPrefix is the length of a gRPC message prefix.
	grpcPrefix = 5
	// maxMessage bounds one received gRPC message.
	maxMessage = 16 << 20
)

// Client is one connection.
type Client struct {
	nc   net.Conn
	br   *bufio.Reader
	fr   *http2.Framer
	addr string

	mu       sync.Mutex // everything below, and the Framer's write side
	wbuf     bytes.Buffer
	hbuf     bytes.Buffer
	enc      *hpack.Encoder
	next     uint32 // the next stream id
	connWin  int64  // bytes this client may still send on the connection
	initWin  int64  // the server's initial stream window
	maxFrame int
	unacked  int64 // connection bytes received and not yet returned
	streams  map[uint32]*stream
	pending  []outMsg // messages waiting for window, in order
	reading  bool     // the reader holds frames it has not handled yet
	goAway   bool
	bidi     *stream
	handler  func(nacostest.Message) error
	served   chan struct{} // closed when Serve has set handler
	ready    []nacostest.Message

	done chan struct{} // closed when the reader has returned
	err  error         // why; set before done closes
}

// stream is one HTTP/2 stream this client opened.
type stream struct {
	id      uint32
	sendWin int64
	unacked int64  // bytes received and not yet returned
	partial []byte // a message not yet whole
	resp    chan result
	got     *nacostest.Message
}

type result struct {
	m   nacostest.Message
	err error
}

// outMsg is (the rest of) one gRPC message to send.
type outMsg struct {
	st   *stream
	data []byte
	end  bool
}

// Dial connects to addr with prior knowledge and starts the reader.
func Dial(ctx context.Context, addr string) (*Client, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &Client{nc: nc, br: bufio.NewReaderSize(nc, 16<<10), addr: addr, next: 1,
		connWin: 65535, initWin: 65535, maxFrame: 16384, streams: map[uint32]*stream{},
		served: make(chan struct{}), done: make(chan struct{})}
	c.fr = http2.NewFramer(&c.wbuf, c.br)
	c.fr.SetReuseFrames() // a frame is handled before the next is read
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	c.fr.MaxHeaderListSize = 1 << 20
	c.enc = hpack.NewEncoder(&c.hbuf)
	c.mu.Lock()
	c.wbuf.WriteString(http2.ClientPreface)
	err = c.fr.WriteSettings()
	if err == nil {
		err = c.flushLocked()
	}
	c.mu.Unlock()
	if err != nil {
		nc.Close()
		return nil, err
	}
	go c.readLoop()
	return c, nil
}

// Request makes one unary call and returns the response.
func (c *Client) Request(ctx context.Context, typ string, body any) (nacostest.Message, error) {
	msg, err := encode(typ, body)
	if err != nil {
		return nacostest.Message{}, err
	}
	st, err := c.open("/Request/request", msg, true)
	if err != nil {
		return nacostest.Message{}, err
	}
	select {
	case r := <-st.resp:
		return r.m, r.err
	case <-ctx.Done():
		c.mu.Lock()
		if c.streams[st.id] == st {
			delete(c.streams, st.id)
			_ = c.fr.WriteRSTStream(st.id, http2.ErrCodeCancel)
			_ = c.flushUnlessReading()
		}
		c.mu.Unlock()
		return nacostest.Message{}, context.Cause(ctx)
	case <-c.done:
		return nacostest.Message{}, c.err
	}
}

// Setup opens the bidi stream and sends ConnectionSetupRequest.
func (c *Client) Setup(ctx context.Context, labels map[string]string) error {
	msg, err := encode("ConnectionSetupRequest", map[string]any{
		"requestId": "", "module": "internal", "clientVersion": "Nacos-Go-Client:v2.2.7",
		"tenant": "", "labels": labels, "clientAbilities": map[string]any{},
	})
	if err != nil {
		return err
	}
	st, err := c.open("/BiRequestStream/requestBiStream", msg, false)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.bidi = st
	c.mu.Unlock()
	return ctx.Err()
}

// Send writes one message on the bidi stream. Called from a Handler, it
// is written with the rest of the reader's burst.
func (c *Client) Send(typ string, body any) error {
	msg, err := encode(typ, body)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bidi == nil {
		return errors.New("h2c: stream not open: call Setup first")
	}
	if c.streams[c.bidi.id] != c.bidi {
		return errors.New("h2c: stream closed")
	}
	c.queueLocked(outMsg{st: c.bidi, data: msg})
	return c.flushUnlessReading()
}

// Serve hands every bidi message to h, on the connection's reader
// goroutine, until the connection ends, and returns why it ended. m.Body
// is valid only until h returns; an error from h closes the connection.
func (c *Client) Serve(h func(m nacostest.Message) error) error {
	c.mu.Lock()
	if c.handler == nil {
		c.handler = h
		close(c.served)
	}
	c.mu.Unlock()
	<-c.done
	return c.err
}

// Close closes the connection.
func (c *Client) Close() error {
	err := c.nc.Close()
	<-c.done
	return err
}

// open starts a stream on path with its first message.
func (c *Client) open(path string, msg []byte, end bool) (*stream, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.done:
		return nil, c.err
	default:
	}
	if c.goAway {
		return nil, errors.New("h2c: server sent GOAWAY")
	}
	st := &stream{id: c.next, sendWin: c.initWin, resp: make(chan result, 1)}
	c.next += 2
	c.streams[st.id] = st
	c.hbuf.Reset()
	for _, f := range [...][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", path},
		{":authority", c.addr}, {"content-type", "application/grpc"}, {"te", "trailers"}} {
		_ = c.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]}) // writes to a bytes.Buffer
	}
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: st.id, BlockFragment: c.hbuf.Bytes(), EndHeaders: true}); err != nil {
		return nil, err
	}
	c.queueLocked(outMsg{st: st, data: msg, end: end})
	return st, c.flushUnlessReading()
}

// queueLocked sends m as far as the windows allow and keeps the rest.
func (c *Client) queueLocked(m outMsg) {
	c.pending = append(c.pending, m)
	c.sendPendingLocked()
}

// sendPendingLocked writes waiting messages, in order, while the windows
// allow.
func (c *Client) sendPendingLocked() {
	for len(c.pending) > 0 {
		m := &c.pending[0]
		n := min(int64(len(m.data)), int64(c.maxFrame), c.connWin, m.st.sendWin)
		if n <= 0 && len(m.data) > 0 {
			return
		}
		last := int(n) == len(m.data)
		if c.fr.WriteData(m.st.id, last && m.end, m.data[:n]) != nil {
			return // only an oversize frame fails, and n is bounded
		}
		c.connWin -= n
		m.st.sendWin -= n
		m.data = m.data[n:]
		if last {
			c.pending = append(c.pending[:0], c.pending[1:]...)
		}
	}
}

// flushUnlessReading writes what is buffered now, unless the reader is in
// the middle of a burst and will write it with its own.
func (c *Client) flushUnlessReading() error {
	if c.reading {
		return nil
	}
	return c.flushLocked()
}

func (c *Client) flushLocked() error {
	if c.wbuf.Len() == 0 {
		return nil
	}
	_, err := c.nc.Write(c.wbuf.Bytes())
	c.wbuf.Reset()
	if err != nil {
		c.nc.Close() // the reader fails and says why
	}
	return err
}

// encode is one gRPC message (prefix included) carrying a Payload of typ
// with body (a value to encode as JSON, or JSON bytes).
func encode(typ string, body any) ([]byte, error) {
	raw, err := jsonBody(body)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", typ, err)
	}
	return appendPayload(make([]byte, grpcPrefix, grpcPrefix+len(raw)+len(typ)+32), typ, raw), nil
}
