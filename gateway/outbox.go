package gateway

import (
	"errors"
	"log/slog"
	"sync"

	"github.com/herald-gateway/herald/internal/nacospb"
)

// frame is a pre-encoded Payload message. Kitex's gRPC codec copies it
// through Size/MarshalTo, so one encoding serves every connection.
type frame []byte

// Size is the encoded length.
func (f frame) Size() int { return len(f) }

// MarshalTo copies the encoded bytes into data.
func (f frame) MarshalTo(data []byte) (int, error) { return copy(data, f), nil }

// msgSender is the part of the bidi stream the outbox writes to.
type msgSender interface {
	SendMsg(m any) error
}

var errQueueFull = errors.New("push queue full: client is not reading")

// outbox is a connection's bounded queue of server-to-client messages and
// the writer that drains it. The writer goroutine runs only while there is
// something to send, so an idle connection costs no goroutine here.
type outbox struct {
	stream msgSender
	limit  int
	onFail func(error) // called once when a write fails or the queue overflows
	log    *slog.Logger

	// mu protects queue, writing, closed and failed.
	mu      sync.Mutex
	queue   []any // *nacospb.Payload or frame
	writing bool
	closed  bool
	failed  bool
}

func newOutbox(stream msgSender, limit int, onFail func(error), log *slog.Logger) *outbox {
	return &outbox{stream: stream, limit: limit, onFail: onFail, log: log}
}

// sendPayload queues a payload.
func (o *outbox) sendPayload(p *nacospb.Payload) error { return o.enqueue(p) }

// sendFrame queues a pre-encoded payload.
func (o *outbox) sendFrame(f frame) error { return o.enqueue(f) }

func (o *outbox) enqueue(m any) error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return errConnClosed
	}
	if len(o.queue) >= o.limit {
		o.mu.Unlock()
		o.fail(errQueueFull)
		return errQueueFull
	}
	o.queue = append(o.queue, m)
	start := !o.writing
	o.writing = true
	o.mu.Unlock()
	if start {
		go o.drain()
	}
	return nil
}

// drain writes queued messages in order until the queue is empty.
func (o *outbox) drain() {
	for {
		o.mu.Lock()
		if o.closed || len(o.queue) == 0 {
			o.writing = false
			o.queue = nil
			o.mu.Unlock()
			return
		}
		m := o.queue[0]
		o.queue[0] = nil
		o.queue = o.queue[1:]
		o.mu.Unlock()
		if err := o.stream.SendMsg(m); err != nil {
			o.fail(err)
			return
		}
	}
}

// fail reports the first failure and stops the outbox.
func (o *outbox) fail(err error) {
	o.mu.Lock()
	first := !o.failed
	o.failed = true
	o.closed = true
	o.writing = false
	o.queue = nil
	o.mu.Unlock()
	if first && o.onFail != nil {
		o.onFail(err)
	}
}

// closeLocked stops the outbox; queued messages are dropped. The caller
// holds the owning conn's lock; the outbox's own lock nests inside it.
func (o *outbox) closeLocked() {
	o.mu.Lock()
	o.closed = true
	o.queue = nil
	o.mu.Unlock()
}
