// Package fanout carries registry changes to subscribed client connections
// and sees each push through to its acknowledgement.
//
// It is the seam between upstream (where changes come from) and the gateway
// (which owns the wire). fanout knows neither Kitex, JSON nor Redis: each
// connection appears as a Subscriber that names the Encoder of its wire
// (gRPC, UDP) and queues the bytes that Encoder produced,
// and outcomes leave through an Observer (the tracker implements it).
//
// The Hub subscribes upstream once per service, however many connections
// want it; merges a service's changes for a window; encodes each (revision,
// cluster filter) once; sends through a worker pool; keeps at most one push
// in flight per subscription, retrying failures with backoff and always with
// the newest revision; and closes connections that stop acknowledging.
package fanout

import (
	"errors"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/herald-gateway/herald/upstream"
)

// Push is one encoded server-to-client notification. It is shared by every
// subscriber it is sent to: never modify it.
type Push struct {
	Key      upstream.ServiceKey
	Revision int64
	Clusters string    // the cluster filter, as the subscriber sent it
	Hosts    int       // instances in the filtered view
	Changed  time.Time // when the registry made the revision (may be zero)
	// RequestID identifies the push on the wire; acknowledgements carry it.
	// It is unique per encoded push, so one id can be outstanding on many
	// connections at once, and acks are matched per connection.
	RequestID string
	Frame     []byte // the encoded message, ready to write
	// Trace is the change span this push belongs to; the Hub sets it on
	// its own copy of what the Encoder returned (invalid when untraced).
	Trace trace.SpanContext
}

// Encoder turns a snapshot filtered by clusters into a Push. It is called
// once per (revision, clusters) no matter how many subscribers share them,
// and may be called from several goroutines.
type Encoder interface {
	Encode(svc upstream.Service, clusters string) (*Push, error)
}

// ClientInfo describes a subscriber's client, for outcome records.
type ClientInfo struct {
	IP      string
	Version string
	App     string
}

// Subscriber is a client connection as fanout sees it. Its methods may be
// called from several goroutines.
type Subscriber interface {
	// ID is unique among live connections.
	ID() string
	// Client describes the connection's client.
	Client() ClientInfo
	// Encoder is how pushes are encoded for this subscriber's wire. Every
	// subscriber with the same (comparable) Encoder and cluster filter
	// shares one encoded Push per revision.
	Encoder() Encoder
	// Send queues p for writing and returns at once; it must never block on
	// the network. An error means the push was not queued.
	Send(p *Push) error
	// Close disconnects the client; the gateway then calls
	// Hub.RemoveSubscriber. reason is logged.
	Close(reason string)
}

// ErrClosed is returned by a Hub that has been closed.
var ErrClosed = errors.New("fanout: hub closed")

// ErrTooManySubscriptions refuses a subscription beyond
// Options.MaxPerSubscriber.
var ErrTooManySubscriptions = errors.New("too many subscriptions for one client")
