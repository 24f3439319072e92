package event

import (
	"context"
	"sync"
	"sync/atomic"
)

// callGroup runs and counts the goroutines the transport starts (unary
// calls, and the core's release of ended streams and closed
// connections). Unlike a sync.WaitGroup it may be added to while Stop
// waits on it: loops keep closing connections during shutdown.
//
// A goroutine whose call is done waits for the next one, up to
// maxParked of them: a fresh goroutine starts on a small stack and a
// request's JSON decoding grows it by copying, several times per call,
// which cost a sixth of the CPU of a register before; a parked one keeps
// the stack it grew (until a GC shrinks it). Calls are never queued
// behind one another: with no goroutine parked, a new one starts.
type callGroup struct {
	// mu protects n, idle, parked and retired.
	mu      sync.Mutex
	n       int
	idle    chan struct{}  // closed when n drops to 0; nil when nobody waits
	parked  []chan func()  // inboxes of the goroutines waiting for a call, newest last
	retired bool           // Retire ran: finished goroutines end
	workers sync.WaitGroup // the goroutines started, running or parked
	spawned atomic.Int64   // goroutines started, for tests
}

// maxParked bounds the goroutines kept waiting for the next call.
const maxParked = 64

// Go runs f on a counted goroutine, a parked one if any.
func (g *callGroup) Go(f func()) {
	g.mu.Lock()
	g.n++
	if k := len(g.parked); k > 0 {
		in := g.parked[k-1]
		g.parked = g.parked[:k-1]
		g.mu.Unlock()
		in <- f // buffered: the goroutine takes it when it gets there
		return
	}
	g.workers.Add(1)
	g.mu.Unlock()
	g.spawned.Add(1)
	go g.work(f)
}

// work runs f, then the calls handed to it while parked.
func (g *callGroup) work(f func()) {
	defer g.workers.Done()
	in := make(chan func(), 1)
	for f != nil {
		f()
		if !g.done(in) {
			return
		}
		f = <-in // nil from Retire
	}
}

// done counts a call finished and parks in, unless enough goroutines
// are parked or the group is retired; it reports whether it parked.
func (g *callGroup) done(in chan func()) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if g.n == 0 && g.idle != nil {
		close(g.idle)
		g.idle = nil
	}
	if g.retired || len(g.parked) >= maxParked {
		return false
	}
	g.parked = append(g.parked, in)
	return true
}

// Retire ends the parked goroutines, and each running one when its call
// is done; later calls still run, each on a goroutine of its own. Stop
// calls it last.
func (g *callGroup) Retire() {
	g.mu.Lock()
	parked := g.parked
	g.parked, g.retired = nil, true
	g.mu.Unlock()
	for _, in := range parked {
		in <- nil
	}
}

// Wait returns once no counted goroutine runs, or ctx is done.
func (g *callGroup) Wait(ctx context.Context) {
	g.mu.Lock()
	if g.n == 0 {
		g.mu.Unlock()
		return
	}
	if g.idle == nil {
		g.idle = make(chan struct{})
	}
	idle := g.idle
	g.mu.Unlock()
	select {
	case <-idle:
	case <-ctx.Done():
	}
}
