package gateway

import (
	"context"
	"sync"
	"time"
)

// moveBudget bounds the clients moving at once, so a drain or a shed goes
// only as fast as the rest of the fleet takes the moves. A move is under
// way from its ConnectResetRequest until the client has left and the
// registrations held for it are released because it registered again
// elsewhere; it stops counting after the reset timeout and the
// registration grace (what the gateway gives a move before it gives up on
// it: a client that never comes back holds one place that long at most).
//
// Without the bound, a window too short for the fleet queues the moves on
// the receiving gateways until their registrations outlast the grace and
// subscribers see instances vanish (benchmarks/RESULTS.md, "Issue 16").
type moveBudget struct {
	max     int           // moves under way at once; 0: unbounded
	timeout time.Duration // a move counts at most this long
	now     func() time.Time

	freed chan struct{} // buffered 1: a move ended
	// mu protects open.
	mu   sync.Mutex
	open map[string]time.Time // conn id → when it was told to move
}

func newMoveBudget(max int, timeout time.Duration) *moveBudget {
	return &moveBudget{max: max, timeout: timeout, now: time.Now,
		freed: make(chan struct{}, 1), open: make(map[string]time.Time)}
}

// begin counts the move of connection id, told now.
func (b *moveBudget) begin(id string) {
	b.mu.Lock()
	b.open[id] = b.now()
	b.mu.Unlock()
}

// end stops counting the move of id (a no-op for an id not counted).
func (b *moveBudget) end(id string) {
	b.mu.Lock()
	_, ok := b.open[id]
	delete(b.open, id)
	b.mu.Unlock()
	if ok {
		select {
		case b.freed <- struct{}{}:
		default:
		}
	}
}

// underWay is the number of moves counted now.
func (b *moveBudget) underWay() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pruneLocked(b.now())
	return len(b.open)
}

// pruneLocked forgets moves older than the timeout and returns when the
// oldest left stops counting (zero if none is left).
func (b *moveBudget) pruneLocked(now time.Time) time.Time {
	var next time.Time
	for id, at := range b.open {
		end := at.Add(b.timeout)
		switch {
		case !now.Before(end):
			delete(b.open, id)
		case next.IsZero() || end.Before(next):
			next = end
		}
	}
	return next
}

// room waits until fewer than max moves are under way. It returns true
// at once when unbounded or once hurry has passed (a drain past its
// timeout tells the rest without waiting), and false when ctx ends first.
func (b *moveBudget) room(ctx context.Context, hurry time.Time) bool {
	if b.max <= 0 {
		return true
	}
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		now := b.now()
		if !hurry.IsZero() && !now.Before(hurry) {
			return true
		}
		b.mu.Lock()
		next := b.pruneLocked(now)
		n := len(b.open)
		b.mu.Unlock()
		if n < b.max {
			return true
		}
		if !hurry.IsZero() && hurry.Before(next) {
			next = hurry
		}
		t.Reset(max(next.Sub(now), time.Millisecond))
		select {
		case <-b.freed:
		case <-t.C:
		case <-ctx.Done():
			return false
		}
	}
}
