package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/herald-gateway/herald/gateway/transport"
	"github.com/herald-gateway/herald/internal/nacospb"
)

var errQueueFull = errors.New("push queue full: client is not reading")

// outbox is a connection's bounded queue of server-to-client messages and
// the writer that drains it. The writer goroutine runs only while there is
// something to send, so an idle connection costs no goroutine here. A
// transport.NonBlocking stream is written from the sender's goroutine
// with no queue or writer: its transport buffers and bounds the bytes.
type outbox struct {
	stream transport.Stream
	direct bool // stream is transport.NonBlocking
	limit  int
	onFail func(error) // called once when a write fails or the queue overflows
	log    *slog.Logger

	// mu protects queue, writing, closed and failed; for a direct stream
	// it also orders the Send calls.
	mu      sync.Mutex
	queue   [][]byte // encoded Payload messages
	writing bool
	closed  bool
	failed  bool
}

func newOutbox(stream transport.Stream, limit int, onFail func(error), log *slog.Logger) *outbox {
	_, direct := stream.(transport.NonBlocking)
	return &outbox{stream: stream, direct: direct, limit: limit, onFail: onFail, log: log}
}

// sendPayload encodes and queues a payload.
func (o *outbox) sendPayload(p *nacospb.Payload) error {
	b, err := p.Marshal(nil)
	if err != nil {
		return fmt.Errorf("encode %s: %w", p.GetMetadata().GetType(), err)
	}
	return o.enqueue(b)
}

// sendFrame queues a pre-encoded payload.
func (o *outbox) sendFrame(f []byte) error { return o.enqueue(f) }

func (o *outbox) enqueue(m []byte) error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return errConnClosed
	}
	if o.direct {
		err := o.stream.Send(m)
		o.mu.Unlock()
		if err != nil {
			o.fail(err)
		}
		return err
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
		if err := o.stream.Send(m); err != nil {
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
