package http1

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/herald-gateway/herald/fanout"
)

// A held long poll is a fanout.Subscriber whose subscriptions are the
// keys it listens to (their view: the tenant as the client sent it). A
// push is the poll's answer: Send hands it to the waiting handler, which
// writes the response and then acknowledges the push to the Hub.

// longPoll is one held POST /nacos/v1/cs/configs/listener.
type longPoll struct {
	id     string
	client fanout.ClientInfo
	enc    fanout.Encoder
	wake   chan struct{} // buffered 1: a push arrived
	closed chan struct{} // closed by Close: the Hub wants the poll ended

	// mu protects pushes and answered.
	mu       sync.Mutex
	pushes   []*fanout.Push // arrived and not yet answered
	answered bool           // the handler took the pushes: later ones are refused
	close    sync.Once
}

// errPollAnswered refuses a push to a poll whose answer is being written:
// the client polls again with its md5s and is answered at once then.
var errPollAnswered = errors.New("long poll already answered")

// ID implements fanout.Subscriber.
func (p *longPoll) ID() string { return p.id }

// Client implements fanout.Subscriber.
func (p *longPoll) Client() fanout.ClientInfo { return p.client }

// Encoder implements fanout.Subscriber: the shared long-poll encoder.
func (p *longPoll) Encoder() fanout.Encoder { return p.enc }

// Send implements fanout.Subscriber: the push joins the poll's answer and
// wakes its handler. It never blocks.
func (p *longPoll) Send(push *fanout.Push) error {
	p.mu.Lock()
	if p.answered {
		p.mu.Unlock()
		return errPollAnswered
	}
	p.pushes = append(p.pushes, push)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

// Close implements fanout.Subscriber: the poll is answered now with what
// it has (the handler then removes it from the Hub).
func (p *longPoll) Close(string) { p.close.Do(func() { close(p.closed) }) }

// take ends the poll's intake and returns the pushes that arrived.
func (p *longPoll) take() []*fanout.Push {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answered = true
	out := p.pushes
	p.pushes = nil
	return out
}

// pollEncoder implements fanout.Encoder for the long-poll wire: a push is
// the key's record in the response body, dataId %02 group [%02 tenant]
// %01, URL-encoded. It is comparable: every poll shares one, so a
// revision is encoded once per tenant spelling.
type pollEncoder struct{ ids *atomic.Uint64 }

// Encode implements fanout.Encoder.
func (e pollEncoder) Encode(t fanout.Topic, snap fanout.Snapshot, tenant string) (*fanout.Push, error) {
	if t.Kind != fanout.KindConfig {
		return nil, fmt.Errorf("encode long-poll answer %s: only configurations are long-polled", t)
	}
	push := &fanout.Push{
		RequestID: "lp-" + strconv.FormatUint(e.ids.Add(1), 10),
		Frame:     []byte(changedRecord(t.Name, t.Group, tenant)),
	}
	if c := snap.ConfigState().Config; c != nil {
		push.Items, push.Digest = len(c.Content), c.Md5
	}
	return push, nil
}
