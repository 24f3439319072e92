package nacoslink

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/upstream"
)

// registration is the set of this gateway's clients' instances in one
// service. The upstream keeps one slot per (connection, service), so the
// link sends the union of every owner's slot as one batch whenever it
// changes. owners, dirty, sent, failures and retryAt are protected by
// Link.mu.
type registration struct {
	key      upstream.ServiceKey
	sendMu   chan struct{}                  // 1-token lock: serialises this key's upstream writes
	owners   map[string][]upstream.Instance // owner → slot
	dirty    bool                           // the upstream may not hold the current union
	sent     []upstream.Instance            // what the upstream holds (nil = nothing)
	failures int                            // upstream writes failed in a row
	retryAt  time.Time                      // the run loop's redo waits until then
}

func newRegistration(key upstream.ServiceKey) *registration {
	r := &registration{key: key, sendMu: make(chan struct{}, 1), owners: make(map[string][]upstream.Instance)}
	return r
}

// union is every owner's slot in owner order.
func (r *registration) union() []upstream.Instance {
	var out []upstream.Instance
	for _, o := range slices.Sorted(maps.Keys(r.owners)) {
		out = append(out, r.owners[o]...)
	}
	return out
}

// errNotConnected means the change is kept and sent after reconnecting.
var errNotConnected = errors.New("not connected; kept for the redo")

// Register implements upstream.Registry. Input is validated locally (an
// ErrInvalid error changes nothing). While connected the new union is sent
// at once and an upstream rejection is returned (and the slot restored);
// while disconnected the slot is kept and sent on reconnect.
func (l *Link) Register(ctx context.Context, owner string, key upstream.ServiceKey, instances []upstream.Instance) error {
	key = key.Normalize()
	slot, err := upstream.PrepareSlot(owner, key, instances)
	if err != nil {
		return fmt.Errorf("register %s: %w", key, err)
	}
	if upstream.IsPersistentOwner(owner) {
		return l.registerPersistent(ctx, key, slot)
	}
	if slot == nil {
		return l.Deregister(ctx, owner, key)
	}
	return l.setSlot(ctx, owner, key, slot)
}

// Deregister implements upstream.Registry.
func (l *Link) Deregister(ctx context.Context, owner string, key upstream.ServiceKey) error {
	key = key.Normalize()
	if err := upstream.ValidateKey(key); err != nil {
		return fmt.Errorf("deregister %s: %w", key, err)
	}
	if upstream.IsPersistentOwner(owner) {
		return l.deregisterPersistent(ctx, owner, key)
	}
	return l.setSlot(ctx, owner, key, nil)
}

// setSlot stores owner's slot (nil = empty) and flushes the union.
func (l *Link) setSlot(ctx context.Context, owner string, key upstream.ServiceKey, slot []upstream.Instance) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return fmt.Errorf("register %s: %w", key, upstream.ErrClosed)
	}
	r := l.regs[key]
	if r == nil {
		if slot == nil {
			l.mu.Unlock()
			return nil
		}
		r = newRegistration(key)
		l.regs[key] = r
	}
	prev, had := r.owners[owner]
	setOwner(r, owner, slot)
	r.dirty = true
	l.mu.Unlock()
	err := l.flush(ctx, r)
	var e *Error
	if errors.As(err, &e) {
		l.mu.Lock()
		if had {
			setOwner(r, owner, prev)
		} else {
			setOwner(r, owner, nil)
		}
		r.dirty = true
		l.mu.Unlock()
		l.wake()
		return fmt.Errorf("register %s: %w", key, err)
	}
	if err != nil && !errors.Is(err, errNotConnected) {
		l.log.Warn("upstream registration kept for the redo", "service", key.String(), "err", err)
	}
	return nil
}

func setOwner(r *registration, owner string, slot []upstream.Instance) {
	if slot == nil {
		delete(r.owners, owner)
	} else {
		r.owners[owner] = slot
	}
}

// flush sends r's union if the upstream may not hold it. Writes of one key
// are serialised so they arrive in order.
func (l *Link) flush(ctx context.Context, r *registration) error {
	select {
	case r.sendMu <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("register %s: %w", r.key, ctx.Err())
	}
	defer func() { <-r.sendMu }()
	l.mu.Lock()
	s, dirty, union, sent := l.sess, r.dirty, r.union(), r.sent
	r.dirty = false
	l.mu.Unlock()
	if !dirty {
		return nil
	}
	if s == nil {
		l.markDirty(r)
		return errNotConnected
	}
	if err := l.sendUnion(ctx, s, r.key, union, sent); err != nil {
		l.mu.Lock()
		r.dirty = true
		r.retryAt = l.now().Add(backoff(r.failures, l.opts.BackoffMax))
		r.failures++
		l.mu.Unlock()
		return err
	}
	l.mu.Lock()
	r.sent, r.failures, r.retryAt = union, 0, time.Time{}
	if len(r.owners) == 0 && !r.dirty && l.regs[r.key] == r {
		delete(l.regs, r.key)
	}
	l.mu.Unlock()
	return nil
}

func (l *Link) markDirty(r *registration) {
	l.mu.Lock()
	r.dirty = true
	l.mu.Unlock()
}

// sendUnion fills this gateway's upstream slot of key with union: a
// batchRegisterInstance, or a deregisterInstance when union is empty
// (nothing at all when the upstream holds nothing).
func (l *Link) sendUnion(ctx context.Context, s *session, key upstream.ServiceKey, union, sent []upstream.Instance) error {
	if len(union) == 0 {
		if len(sent) == 0 {
			return nil
		}
		in := sent[0]
		err := s.call(ctx, nacoswire.TypeInstanceRequest, nacoswire.InstanceRequest{NamingRequest: nacoswire.Naming(key),
			Type: nacoswire.DeregisterInstance, Instance: &in}, nil)
		l.counted(err, &l.count.Deregisters)
		return err
	}
	err := s.call(ctx, nacoswire.TypeBatchInstanceRequest, nacoswire.BatchInstanceRequest{NamingRequest: nacoswire.Naming(key),
		Type: nacoswire.BatchRegisterInstance, Instances: union}, nil)
	l.counted(err, &l.count.Registers)
	return err
}

// counted increments c when err is nil.
func (l *Link) counted(err error, c *uint64) {
	if err != nil {
		return
	}
	l.mu.Lock()
	*c++
	l.mu.Unlock()
}

// flushDirty resends every registration the upstream may not hold, except
// those backing off after a failure (a rejected redo is not retried at
// every sweep).
func (l *Link) flushDirty() {
	l.mu.Lock()
	var todo []*registration
	now := l.now()
	for _, r := range l.regs {
		if r.dirty && !now.Before(r.retryAt) {
			todo = append(todo, r)
		}
	}
	l.mu.Unlock()
	for _, r := range todo {
		if err := l.flush(l.ctx, r); err != nil && !errors.Is(err, errNotConnected) {
			l.log.Warn("upstream registration redo failed", "service", r.key.String(), "err", err)
		}
	}
}

// redoRegistrations resends every ephemeral registration after a
// (re)connect; persistent instances stay upstream (see persistent.go).
func (l *Link) redoRegistrations(*session) { l.flushDirty() }
