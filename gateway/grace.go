package gateway

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-gateway/herald/upstream"
)

// graceKeeper holds the registrations of connections that were told to
// move (ConnectResetRequest) after those connections end, so the client's
// instances stay registered while it reconnects elsewhere. A held slot is
// released (deregistered) as soon as the registry shows each of its
// instances twice, i.e. registered again by another owner (another
// connection of this gateway, or another gateway of a shared upstream),
// or when its grace expires. The keeper watches each held service
// through the registry's own subscription.
type graceKeeper struct {
	reg   upstream.Registry
	grace time.Duration
	log   *slog.Logger
	now   func() time.Time
	kick  chan struct{} // buffered 1: something changed, scan again
	// settled is signalled (buffered 1) after every scan that left
	// nothing held.
	settled chan struct{}
	done    chan struct{} // closed by stop
	wg      sync.WaitGroup

	// freed is called (outside mu) when an owner has nothing held any
	// more; optional.
	freed func(owner string)

	// mu protects held, owners and stopped.
	mu      sync.Mutex
	held    map[upstream.ServiceKey]*heldService
	owners  map[string]int // owner → services it has a slot held in
	stopped bool
	// released counts slots released because they were registered again
	// elsewhere; expired those released at the end of their grace.
	released, expired atomic.Int64
}

// heldService is one service with held slots.
type heldService struct {
	slots  map[string]heldSlot // owner → slot
	cancel func()              // ends the registry subscription
	latest atomic.Pointer[upstream.Service]
	// changed is set with every new snapshot: only those services are
	// checked for instances registered again (a storm of moves brings
	// many snapshots of few services; counting every held service's
	// instances at each one was 8 % of a draining edge's CPU).
	changed atomic.Bool
}

// heldSlot is one owner's held instances and when their grace ends.
type heldSlot struct {
	instances []upstream.Instance
	deadline  time.Time
}

func newGraceKeeper(reg upstream.Registry, grace time.Duration, log *slog.Logger, freed func(owner string)) *graceKeeper {
	g := &graceKeeper{
		reg: reg, grace: grace, log: log, now: time.Now, freed: freed,
		kick: make(chan struct{}, 1), settled: make(chan struct{}, 1), done: make(chan struct{}),
		held: make(map[upstream.ServiceKey]*heldService), owners: make(map[string]int),
	}
	g.wg.Add(1)
	go g.loop()
	return g
}

func (g *graceKeeper) wake() {
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

// hold keeps owner's slots registered for the grace. It reports false
// (holding nothing) once the keeper stopped; the caller then deregisters.
func (g *graceKeeper) hold(owner string, regs map[upstream.ServiceKey][]upstream.Instance) bool {
	deadline := g.now().Add(g.grace)
	var watch []upstream.ServiceKey
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		return false
	}
	for key, ins := range regs {
		hs := g.held[key]
		if hs == nil {
			hs = &heldService{slots: make(map[string]heldSlot)}
			g.held[key] = hs
			watch = append(watch, key)
		}
		if _, ok := hs.slots[owner]; !ok {
			g.owners[owner]++
		}
		hs.slots[owner] = heldSlot{instances: ins, deadline: deadline}
		hs.changed.Store(true) // the snapshot seen may already show the new slot's instances twice
	}
	g.mu.Unlock()
	for _, key := range watch {
		g.watch(key)
	}
	g.wake()
	return true
}

// watch subscribes to key for the keeper. The callback only stores the
// snapshot and wakes the loop: the registry may call it synchronously.
func (g *graceKeeper) watch(key upstream.ServiceKey) {
	g.mu.Lock()
	hs := g.held[key]
	g.mu.Unlock()
	if hs == nil {
		return
	}
	cancel, err := g.reg.Subscribe(key, func(s upstream.Service) {
		hs.latest.Store(&s)
		hs.changed.Store(true)
		g.wake()
	})
	if err != nil {
		g.log.Warn("registration grace: cannot watch; held until the grace ends", "service", key.String(), "err", err)
		return
	}
	g.mu.Lock()
	if g.held[key] == hs && hs.cancel == nil {
		hs.cancel = cancel
		cancel = nil
	}
	g.mu.Unlock()
	if cancel != nil { // released meanwhile
		cancel()
	}
}

// loop scans whenever woken and when the next grace ends.
func (g *graceKeeper) loop() {
	defer g.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-g.done:
			return
		case <-g.kick:
		case <-t.C:
		}
		next := g.scan(g.now())
		t.Reset(max(time.Until(next), time.Millisecond))
	}
}

// notifyFreed tells freed of owners with nothing held any more.
func (g *graceKeeper) notifyFreed(owners []string) {
	if g.freed == nil {
		return
	}
	for _, o := range owners {
		g.freed(o)
	}
}

// release is one held slot to deregister.
type release struct {
	key     upstream.ServiceKey
	owner   string
	expired bool
}

// scan releases every held slot registered again elsewhere or past its
// grace, and returns when the next grace ends.
func (g *graceKeeper) scan(now time.Time) time.Time {
	next := now.Add(time.Hour)
	var out []release
	var cancels []func()
	var freed []string // owners with nothing held any more
	g.mu.Lock()
	for key, hs := range g.held {
		var counts map[string]int // the instances of a changed snapshot, by address
		if snap := hs.latest.Load(); snap != nil && hs.changed.Swap(false) {
			counts = countAddrs(*snap)
		}
		for owner, slot := range hs.slots {
			switch {
			case counts != nil && shownTwice(counts, slot.instances):
				out = append(out, release{key, owner, false})
			case !now.Before(slot.deadline):
				out = append(out, release{key, owner, true})
			default:
				next = minTime(next, slot.deadline)
				continue
			}
			delete(hs.slots, owner)
			if g.owners[owner]--; g.owners[owner] <= 0 {
				delete(g.owners, owner)
				freed = append(freed, owner)
			}
		}
		if len(hs.slots) == 0 {
			delete(g.held, key)
			if hs.cancel != nil {
				cancels = append(cancels, hs.cancel)
			}
		}
	}
	empty := len(g.held) == 0
	g.mu.Unlock()
	g.notifyFreed(freed)
	g.deregister(out)
	for _, c := range cancels {
		c()
	}
	if empty {
		select {
		case g.settled <- struct{}{}:
		default:
		}
	}
	return next
}

// deregister releases held slots, releaseParallel at a time: releases
// of one service made together coalesce into one upstream write (the
// Nacos link sends a service's union once for the changes that wait
// while a write is under way), where one after another each resent it.
func (g *graceKeeper) deregister(out []release) {
	sem := make(chan struct{}, releaseParallel)
	var wg sync.WaitGroup
	for _, r := range out {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			g.releaseOne(r)
		})
	}
	wg.Wait()
}

// releaseParallel bounds the releases under way at once.
const releaseParallel = 32

// releaseOne counts the release before it deregisters: a subscriber
// that sees the slot's instances gone then also sees it counted.
func (g *graceKeeper) releaseOne(r release) {
	if r.expired {
		g.expired.Add(1)
	} else {
		g.released.Add(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	err := g.reg.Deregister(ctx, r.owner, r.key)
	cancel()
	if err != nil {
		g.log.Error("registration grace: release", "conn", r.owner, "service", r.key.String(), "err", err)
	}
	g.log.Debug("registration grace: released", "conn", r.owner, "service", r.key.String(), "expired", r.expired)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// countAddrs counts the instances of snap by cluster, ip and port.
func countAddrs(snap upstream.Service) map[string]int {
	seen := make(map[string]int, len(snap.Instances))
	for _, in := range snap.Instances {
		seen[addrKey(in)]++
	}
	return seen
}

// shownTwice reports whether every instance of slot appears at least
// twice in a snapshot's counts: once from the held slot and once
// registered again by another owner.
func shownTwice(seen map[string]int, slot []upstream.Instance) bool {
	for _, in := range slot {
		if seen[addrKey(in)] < 2 {
			return false
		}
	}
	return len(slot) > 0
}

func addrKey(in upstream.Instance) string {
	cluster := in.ClusterName
	if cluster == "" {
		cluster = upstream.DefaultCluster
	}
	return cluster + "|" + in.IP + "|" + strconv.FormatUint(in.Port, 10)
}

// count is the number of slots held now.
func (g *graceKeeper) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, hs := range g.held {
		n += len(hs.slots)
	}
	return n
}

// wait returns once nothing is held or ctx is done.
func (g *graceKeeper) wait(ctx context.Context) error {
	for g.count() > 0 {
		select {
		case <-g.settled:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// stop releases everything still held and ends the keeper.
func (g *graceKeeper) stop() {
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		return
	}
	g.stopped = true
	var out []release
	var cancels []func()
	for key, hs := range g.held {
		for owner := range hs.slots {
			out = append(out, release{key, owner, true})
		}
		if hs.cancel != nil {
			cancels = append(cancels, hs.cancel)
		}
	}
	g.held = make(map[upstream.ServiceKey]*heldService)
	freed := slices.Collect(maps.Keys(g.owners))
	g.owners = make(map[string]int)
	g.mu.Unlock()
	g.notifyFreed(freed)
	close(g.done)
	g.wg.Wait()
	g.deregister(out)
	for _, c := range cancels {
		c()
	}
}
