// Package fanout carries changes to subscribed client connections and sees
// each push through to its acknowledgement.
//
// It is the seam between upstream (where changes come from) and the gateway
// (which owns the wire). fanout knows neither Kitex, JSON nor Redis, and its
// engine (hub.go, feed.go, subscription.go) knows no Nacos model either: it
// pushes *topics* (a naming service, a configuration key) whose *snapshots*
// (revision, change time, an opaque value) come from a Source. Each
// connection appears as a Subscriber that names the Encoder of its wire
// (gRPC, UDP, HTTP long poll) and queues the bytes that Encoder produced;
// outcomes leave through an Observer (the tracker implements it). naming.go
// adapts the upstream Registry to a Source.
//
// The Hub watches a topic once, however many connections want it; merges a
// topic's changes for a window; encodes each (revision, view, wire) once;
// sends through a worker pool; keeps at most one push in flight per
// subscription, retrying failures with backoff and always with the newest
// revision; and closes connections that stop acknowledging.
package fanout

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Kind is what a topic carries.
type Kind uint8

// Topic kinds.
const (
	KindNaming Kind = iota // a service's instances
	KindConfig             // a configuration's content
	numKinds
)

var kindNames = [numKinds]string{"naming", "config"}

// String is the kind's lower-case name, as used in records and metrics.
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "unknown"
}

// Topic names what clients subscribe to. For naming it is a service
// (namespace, group, bare service name); for config a configuration
// (namespace, group, dataId). Topics are normalised by their sources'
// adapters (NamingTopic, ConfigTopic) and compared as values.
type Topic struct {
	Kind      Kind
	Namespace string
	Group     string
	Name      string
}

// String is "kind:namespace/group@@name", for logs and errors.
func (t Topic) String() string {
	return t.Kind.String() + ":" + t.Namespace + "/" + t.Group + "@@" + t.Name
}

// Snapshot is one revision of a topic. Revisions of one topic strictly
// increase. Value is what the topic's Encoders encode (an upstream.Service
// for naming); snapshots are shared between goroutines: never modify one.
type Snapshot struct {
	Revision int64
	Changed  time.Time // when the source made the revision (zero when unknown)
	Value    any
}

// Source supplies the snapshots of one kind of topic (or, as Sources, of
// every kind). Implementations are safe for concurrent use.
type Source interface {
	// Watch calls notify with the current snapshot of t and then with
	// every newer one, in strictly increasing revision order, from a
	// goroutine the source owns (intermediate snapshots may be skipped).
	// notify must not block for long. After cancel returns notify is not
	// called again.
	Watch(t Topic, notify func(Snapshot)) (cancel func(), err error)
	// Current returns the current snapshot of t.
	Current(ctx context.Context, t Topic) (Snapshot, error)
}

// Sources is a Source serving each kind from its own Source.
type Sources map[Kind]Source

// ErrNoSource is returned for a topic whose kind has no Source.
var ErrNoSource = errors.New("fanout: no source for this kind of topic")

// Watch implements Source.
func (s Sources) Watch(t Topic, notify func(Snapshot)) (func(), error) {
	src, ok := s[t.Kind]
	if !ok {
		return nil, ErrNoSource
	}
	return src.Watch(t, notify)
}

// Current implements Source.
func (s Sources) Current(ctx context.Context, t Topic) (Snapshot, error) {
	src, ok := s[t.Kind]
	if !ok {
		return Snapshot{}, ErrNoSource
	}
	return src.Current(ctx, t)
}

// Push is one encoded server-to-client notification. It is shared by every
// subscriber it is sent to: never modify it.
type Push struct {
	Topic    Topic
	Revision int64
	View     string    // the subscribers' view, as they sent it (see Encoder)
	Changed  time.Time // when the source made the revision (may be zero)
	// Items and Digest describe what was pushed, for records: naming, the
	// instances in the view (Digest ""); config, the content's size and md5.
	Items  int
	Digest string
	// RequestID identifies the push on the wire; acknowledgements carry it.
	// It is unique per encoded push, so one id can be outstanding on many
	// connections at once, and acks are matched per connection.
	RequestID string
	Frame     []byte // the encoded message, ready to write
	// Trace is the change span this push belongs to (invalid when
	// untraced).
	Trace trace.SpanContext
}

// Encoder turns a snapshot seen through a view into a Push. A view is what
// a subscription adds to its topic and what the encoding depends on: for
// naming the cluster filter, for config the namespace as the client spelt
// it (echoed verbatim). Encode is called once per (revision, view) no
// matter how many subscribers share them, may be called from several
// goroutines, and returns a new Push with Items, Digest, RequestID and
// Frame set: the Hub fills in the rest before sharing it.
type Encoder interface {
	Encode(t Topic, snap Snapshot, view string) (*Push, error)
}

// ClientInfo describes a subscriber's client, for outcome records.
type ClientInfo struct {
	IP      string
	Version string
	App     string
	User    string // the authenticated user behind the connection; "" with auth off
}

// Subscriber is a client connection as fanout sees it. Its methods may be
// called from several goroutines.
type Subscriber interface {
	// ID is unique among live connections.
	ID() string
	// Client describes the connection's client.
	Client() ClientInfo
	// Encoder is how pushes are encoded for this subscriber's wire. Every
	// subscriber with the same (comparable) Encoder and view shares one
	// encoded Push per revision.
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
