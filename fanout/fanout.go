// Package fanout carries registry changes to subscribed client connections.
//
// It is the seam between upstream (where changes come from) and the gateway
// (which owns the wire). fanout knows neither Kitex nor JSON: the gateway
// hands it an Encoder that turns a service snapshot into wire-ready bytes,
// and each connection appears as a Subscriber that queues those bytes.
//
// The Hub subscribes upstream once per service, however many connections
// want it, and encodes each (revision, cluster filter) once: every
// subscriber with the same filter is sent the same bytes.
package fanout

import (
	"errors"

	"github.com/herald-gateway/herald/upstream"
)

// Push is one encoded server-to-client notification. It is shared by every
// subscriber it is sent to: never modify it.
type Push struct {
	Key      upstream.ServiceKey
	Revision int64
	Clusters string // the cluster filter, as the subscriber sent it
	Hosts    int    // instances in the filtered view
	// RequestID identifies the push on the wire; acknowledgements carry it.
	// It is unique per encoded push, so one id can be outstanding on many
	// connections at once, and acks are matched per connection.
	RequestID string
	Frame     []byte // the encoded message, ready to write
}

// Encoder turns a snapshot filtered by clusters into a Push. It is called
// once per (revision, clusters) no matter how many subscribers share them.
type Encoder interface {
	Encode(svc upstream.Service, clusters string) (*Push, error)
}

// Subscriber is a client connection as fanout sees it.
type Subscriber interface {
	// ID is unique among live connections.
	ID() string
	// Send queues p for writing and returns at once; it must never block on
	// the network. An error means the push was not queued (the connection is
	// closing or cannot keep up); the Hub does not retry it.
	Send(p *Push) error
}

// ErrClosed is returned by a Hub that has been closed.
var ErrClosed = errors.New("fanout: hub closed")
