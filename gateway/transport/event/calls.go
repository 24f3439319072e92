package event

import (
	"context"
	"sync"
)

// callGroup counts the goroutines the transport starts (unary calls, and
// the core's release of ended streams and closed connections). Unlike a
// sync.WaitGroup it may be added to while Stop waits on it: loops keep
// closing connections during shutdown.
type callGroup struct {
	// mu protects n and idle.
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0; nil when nobody waits
}

// Go runs f on a counted goroutine.
func (g *callGroup) Go(f func()) {
	g.mu.Lock()
	g.n++
	g.mu.Unlock()
	go func() {
		defer g.done()
		f()
	}()
}

func (g *callGroup) done() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if g.n == 0 && g.idle != nil {
		close(g.idle)
		g.idle = nil
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
