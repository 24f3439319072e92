package event

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestCallGroupReusesGoroutines: calls made one after another run on the
// goroutine the first one started, and Retire ends it.
func TestCallGroupReusesGoroutines(t *testing.T) {
	var g callGroup
	for i := range 50 {
		ran := make(chan struct{})
		g.Go(func() { close(ran) })
		<-ran
		waitIdle(t, &g)
		if i == 0 && g.spawned.Load() != 1 {
			t.Fatalf("first call: %d goroutines started", g.spawned.Load())
		}
	}
	if n := g.spawned.Load(); n != 1 {
		t.Fatalf("50 calls one after another started %d goroutines, want 1", n)
	}
	g.Retire()
	g.workers.Wait() // the parked goroutine ends
	done := make(chan struct{})
	g.Go(func() { close(done) }) // a call after Retire still runs
	<-done
	g.workers.Wait() // and its goroutine ends too, not parked
	if n := g.spawned.Load(); n != 2 {
		t.Fatalf("after Retire: %d goroutines started in all, want 2", n)
	}
}

// TestCallGroupNeverQueuesCalls: calls that block do not hold up the
// next ones, whatever the number of parked goroutines.
func TestCallGroupNeverQueuesCalls(t *testing.T) {
	var g callGroup
	const n = 3 * maxParked
	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(n)
	for range n {
		g.Go(func() { started.Done(); <-release })
	}
	started.Wait() // every call runs at once
	close(release)
	waitIdle(t, &g)
	if got := len(g.parked); got != maxParked {
		t.Fatalf("%d goroutines parked, want the bound %d", got, maxParked)
	}
	// A second wave reuses the parked goroutines before starting more.
	before := g.spawned.Load()
	release2 := make(chan struct{})
	started.Add(n)
	for range n {
		g.Go(func() { started.Done(); <-release2 })
	}
	started.Wait()
	if got := g.spawned.Load() - before; got != n-maxParked {
		t.Fatalf("second wave started %d goroutines, want %d", got, n-maxParked)
	}
	close(release2)
	waitIdle(t, &g)
	g.Retire()
	g.workers.Wait()
}

// waitIdle waits for the group's calls to finish; parked goroutines do
// not count.
func waitIdle(t *testing.T, g *callGroup) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	g.Wait(ctx)
	if ctx.Err() != nil {
		t.Fatal("calls still counted as running")
	}
}
