package fanout

import (
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Event is what happened to a push.
type Event uint8

// Push events, in the order a push can meet them.
const (
	EventSent       Event = iota // queued to the connection (first attempt)
	EventRetried                 // queued again after a failure or timeout
	EventAcked                   // the client acknowledged it
	EventFailed                  // the client answered with an error
	EventTimedOut                // no acknowledgement within the ack timeout
	EventSuperseded              // replaced by a newer revision before it was sent
	EventDropped                 // abandoned: connection or subscription gone, or not queued
	// Events no push produced, reported for config topics only (config
	// push tracking, see config_events.go):
	EventChanged  // the Hub received a new revision of a watched topic (Value, Prior)
	EventServed   // a client was answered a query with the topic's content (Digest)
	EventReported // a client said what it holds (Digest: the md5 its listen carries)
	numEvents
)

var eventNames = [numEvents]string{"sent", "retried", "acked", "failed", "timeout", "superseded", "dropped",
	"changed", "served", "reported"}

// String is the event's lower-case name, as used in records and metrics.
func (e Event) String() string {
	if e < numEvents {
		return eventNames[e]
	}
	return "unknown"
}

// Outcome is one event of one push to one connection.
type Outcome struct {
	Event     Event
	At        time.Time // when the event happened
	ConnID    string
	Client    ClientInfo
	Topic     Topic
	View      string // the subscription's view (naming: cluster filter)
	Revision  int64
	RequestID string
	Attempt   int       // 1 for the first send, 2 for the first retry, ...
	Items     int       // what the push described: instances in the view (naming), content bytes (config)
	Digest    string    // config: md5 of the pushed content
	Bytes     int       // encoded size
	SentAt    time.Time // when this attempt was queued (zero if never sent)
	Changed   time.Time // when the source made the revision (may be zero)
	Reason    string    // why it failed or was dropped
	// Value is the snapshot value the event concerns (config: an
	// upstream.ConfigState): for EventChanged the new state, for
	// EventServed and EventReported the newest state the Hub knows (nil
	// when it knows none). Prior is EventChanged's previous state.
	Value, Prior any
	// TraceID is the trace of the change pushed; SpanID the attempt's
	// span (zero for a push never sent). Both are zero when the Hub has
	// no Tracer.
	TraceID trace.TraceID
	SpanID  trace.SpanID
}

// Latency is the time from send to this event (the ack latency for
// EventAcked); zero when the push was never sent.
func (o Outcome) Latency() time.Duration {
	if o.SentAt.IsZero() {
		return 0
	}
	return o.At.Sub(o.SentAt)
}

// Observer receives every outcome. Observe is called on the push path, from
// several goroutines: it must be safe for concurrent use, fast, and never
// block (buffer and drop instead). An attempt's send (EventSent or
// EventRetried) is observed before whatever resolves it, even when its
// ack was handled before the sender's Send returned.
type Observer interface {
	Observe(o Outcome)
}

// Observers is an Observer that hands every outcome to each of its
// members in turn (the tracker and the metrics).
type Observers []Observer

// Observe implements Observer.
func (os Observers) Observe(o Outcome) {
	for _, ob := range os {
		ob.Observe(o)
	}
}

// Counters counts outcomes by event; the Hub always keeps one for
// operators, alongside any configured Observer.
type Counters struct {
	n [numEvents]atomic.Uint64
}

// Observe implements Observer.
func (c *Counters) Observe(o Outcome) {
	if o.Event < numEvents {
		c.n[o.Event].Add(1)
	}
}

// Snapshot returns the counts of push outcomes by event name (sent ...
// dropped); the config tracking events, which are not pushes, are left
// out.
func (c *Counters) Snapshot() map[string]uint64 {
	out := make(map[string]uint64, EventChanged)
	for e := Event(0); e < EventChanged; e++ {
		out[e.String()] = c.n[e].Load()
	}
	return out
}
