package upstream

// The embedded registry: Herald's own in-memory Registry, used when no
// Nacos cluster sits behind it.
//
// Data layout. Embedded.services maps a normalised ServiceKey to an entry:
//
//	entry.slots  owner -> that owner's instances (its one slot), normalised
//	             and owned by the registry (metadata maps copied on register)
//	entry.snap   the current immutable Service snapshot: every slot's
//	             instances, ordered by owner, then by position in the slot
//	entry.subs   the subscriptions of the key, each a mailbox (mailbox.go)
//
// An entry exists while it has instances or subscribers; when both are gone
// it is deleted and Embedded.floor is raised to its last revision. floor is
// also raised by every answer for a service without an entry, so that a
// service (re)created later starts above anything a client has cached.
//
// Locking. Embedded.mu guards the service table and everything reachable
// from it. Writers (Register, Deregister, Subscribe, cancel, Close) hold it
// exclusively, and hand new snapshots to the mailboxes while holding it, so
// every mailbox receives snapshots in revision order. Handing over never
// blocks: a mailbox keeps only the latest snapshot and wakes its goroutine
// through a buffered-1 channel. Readers (Query, List) hold it shared.
// notify callbacks run on the mailbox goroutines with no registry lock held.
// Snapshots are never modified after publication and are shared freely.

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by an Embedded registry's methods after Close.
var ErrClosed = errors.New("upstream: registry closed")

var _ Registry = (*Embedded)(nil)

// Embedded is an in-memory Registry of ephemeral instances. Create it with
// NewEmbedded; it is safe for concurrent use.
type Embedded struct {
	now func() time.Time

	// mu protects services, closed and every entry reachable from services
	// (its slots, snapshot and subscriber set).
	mu       sync.RWMutex
	services map[ServiceKey]*entry
	closed   bool

	// floor is the highest revision handed out for a key without an entry
	// (queries and subscriptions of unknown services, deleted services). It
	// is read and raised only with mu held; it is atomic because Query
	// raises it under the read lock.
	floor atomic.Int64
}

// entry is one service's state; see the file comment.
type entry struct {
	slots map[string][]Instance
	snap  Service
	subs  map[*mailbox]struct{}
}

// EmbeddedOption configures NewEmbedded.
type EmbeddedOption func(*Embedded)

// WithClock replaces time.Now as the source of revisions (for tests).
func WithClock(now func() time.Time) EmbeddedOption {
	return func(e *Embedded) { e.now = now }
}

// NewEmbedded returns an empty embedded registry.
//
// Revisions: every change of a service gets max(now in ms, its previous
// revision + 1). A query of an unknown service answers an empty snapshot
// with revision max(now, floor) and raises the floor to it; a service
// created later starts at max(now, floor + 1), so its first real revision is
// above any empty answer given before (the Go SDK drops data whose
// lastRefTime is not newer than its cache). Register and Deregister calls
// that leave a service's instances unchanged change no revision and notify
// nobody.
func NewEmbedded(opts ...EmbeddedOption) *Embedded {
	e := &Embedded{now: time.Now, services: make(map[ServiceKey]*entry)}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Close stops every subscription: when it returns no notify runs or will
// run, except one that called Close itself, which finishes normally. Later
// calls of any method return ErrClosed; Close itself may be called again.
func (e *Embedded) Close() error {
	var boxes []*mailbox
	e.mu.Lock()
	e.closed = true
	for _, ent := range e.services {
		for b := range ent.subs {
			boxes = append(boxes, b)
		}
		ent.subs = nil
	}
	e.mu.Unlock()
	for _, b := range boxes {
		b.stop()
	}
	return nil
}

// nowMillis is the injected clock in epoch milliseconds.
func (e *Embedded) nowMillis() int64 { return e.now().UnixMilli() }

// raiseFloor sets floor to max(floor, rev). Callers hold mu.
func (e *Embedded) raiseFloor(rev int64) {
	for {
		cur := e.floor.Load()
		if rev <= cur || e.floor.CompareAndSwap(cur, rev) {
			return
		}
	}
}

// emptyRevision is the revision of an empty answer for a key without an
// entry, which it records in floor. Callers hold mu.
func (e *Embedded) emptyRevision() int64 {
	rev := max(e.nowMillis(), e.floor.Load())
	e.raiseFloor(rev)
	return rev
}

// dropIfUnused deletes the entry of key when it has neither instances nor
// subscribers, first raising floor to its last revision. Callers hold mu
// exclusively.
func (e *Embedded) dropIfUnused(key ServiceKey, ent *entry) {
	if len(ent.slots) > 0 || len(ent.subs) > 0 {
		return
	}
	e.raiseFloor(ent.snap.Revision)
	delete(e.services, key)
}
