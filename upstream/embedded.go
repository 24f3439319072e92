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
// Persistent instances. Slots whose owner IsPersistentOwner hold one
// persistent instance each; a service holds slots of one kind only
// (entry.checkKind). With a data directory, every change to a persistent
// service is saved (embedded_persist.go) before it is published; an active
// prober (probe.go) turns their health on and off through setHealth.
//
// Locking. Embedded.mu guards the service table and everything reachable
// from it. Writers (Register, Deregister, Subscribe, cancel, Close, and the
// prober's setHealth) hold it
// exclusively, and hand new snapshots to the mailboxes while holding it, so
// every mailbox receives snapshots in revision order. Handing over never
// blocks: a mailbox keeps only the latest snapshot and wakes its goroutine
// through a buffered-1 channel. Readers (Query, List) hold it shared.
// notify callbacks run on the mailbox goroutines with no registry lock held.
// Snapshots are never modified after publication and are shared freely.

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by an Embedded registry's methods after Close.
var ErrClosed = errors.New("upstream: registry closed")

var _ Registry = (*Embedded)(nil)

// Embedded is an in-memory Registry. Create it with NewEmbedded (nothing
// kept on disk) or OpenEmbedded (persistent instances kept in a data
// directory); it is safe for concurrent use.
type Embedded struct {
	now    func() time.Time
	log    *slog.Logger
	health *HealthCheck  // nil: persistent instances are not probed
	file   *snapshotFile // nil: persistent instances are not saved
	prober *prober       // running health checks; nil when health is nil

	// saveMu serialises the changes of persistent instances that are
	// saved (embedded_save.go); taken before mu, never while holding it.
	saveMu sync.Mutex

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
	subs  map[*Mailbox[Service]]struct{}
}

// EmbeddedOption configures NewEmbedded.
type EmbeddedOption func(*Embedded)

// WithClock replaces time.Now as the source of revisions (for tests).
func WithClock(now func() time.Time) EmbeddedOption {
	return func(e *Embedded) { e.now = now }
}

// WithLogger sets the logger for health changes and persistence problems
// (default slog.Default()).
func WithLogger(log *slog.Logger) EmbeddedOption {
	return func(e *Embedded) { e.log = log }
}

// WithHealthCheck makes the registry probe its persistent instances (see
// HealthCheck; zero fields take their defaults). Without it persistent
// instances keep the health they were registered with.
func WithHealthCheck(h HealthCheck) EmbeddedOption {
	return func(e *Embedded) {
		h = h.withDefaults()
		e.health = &h
	}
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
//
// NewEmbedded keeps nothing on disk. It panics if WithHealthCheck names an
// unknown checker or a bad path (a programming error: configuration is
// validated before); OpenEmbedded returns that as an error instead.
func NewEmbedded(opts ...EmbeddedOption) *Embedded {
	e, err := OpenEmbedded("", opts...)
	if err != nil {
		panic(fmt.Sprintf("upstream: NewEmbedded: %v", err))
	}
	return e
}

// OpenEmbedded returns an embedded registry that keeps its persistent
// instances in dataDir ("" = nowhere, like NewEmbedded). It loads what an
// earlier registry saved there (see snapshotFile); a file that cannot be
// read or parsed is an error naming it, never silently dropped. The
// directory is created on the first save, so a registry that never holds a
// persistent instance writes nothing. Loaded services get revision
// max(now, saved revision + 1).
func OpenEmbedded(dataDir string, opts ...EmbeddedOption) (*Embedded, error) {
	e := &Embedded{now: time.Now, log: slog.Default(), services: make(map[ServiceKey]*entry)}
	for _, o := range opts {
		o(e)
	}
	if e.health != nil {
		if err := e.health.validate(); err != nil {
			return nil, fmt.Errorf("health check: %w", err)
		}
	}
	if dataDir != "" {
		e.file = newSnapshotFile(dataDir)
		if err := e.load(); err != nil {
			return nil, err
		}
	}
	if e.health != nil {
		e.prober = startProber(e, *e.health)
	}
	return e, nil
}

// Close stops the health checks (waiting for probes under way to end) and
// every subscription: when it returns no notify runs or will
// run, except one that called Close itself, which finishes normally. Later
// calls of any method return ErrClosed; Close itself may be called again.
func (e *Embedded) Close() error {
	if e.prober != nil {
		e.prober.stop()
	}
	var boxes []*Mailbox[Service]
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
		b.Stop()
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
