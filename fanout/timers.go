package fanout

import (
	"sync"
	"time"
)

// timerTarget is something with a deadline: a push awaiting its ack, a
// retry, a stall check, a merge window. fire is called at or after the
// deadline it was scheduled for and must check that the deadline still
// applies: entries are never removed, only outdated.
type timerTarget interface {
	fire(now time.Time)
}

// timerWheel buckets deadlines by tick. Scheduling is O(1) and an outdated
// entry costs only its slot, which suits hundreds of thousands of short ack
// deadlines a second. Time only moves when advance is called, so tests
// drive it with any clock they like.
type timerWheel struct {
	tick time.Duration

	// mu protects buckets and next.
	mu      sync.Mutex
	buckets map[int64][]timerTarget
	next    int64 // the first bucket not yet fired
}

func newTimerWheel(tick time.Duration, now time.Time) *timerWheel {
	return &timerWheel{tick: tick, buckets: make(map[int64][]timerTarget), next: now.UnixNano() / int64(tick)}
}

// schedule asks for t.fire at or after at. A deadline in a bucket already
// fired goes to the next one.
func (w *timerWheel) schedule(at time.Time, t timerTarget) {
	b := (at.UnixNano() + int64(w.tick) - 1) / int64(w.tick) // round up: never early
	w.mu.Lock()
	b = max(b, w.next)
	w.buckets[b] = append(w.buckets[b], t)
	w.mu.Unlock()
}

// advance fires every target whose bucket is due at now, outside the lock.
func (w *timerWheel) advance(now time.Time) {
	last := now.UnixNano() / int64(w.tick)
	for {
		due := w.takeDue(last)
		if due == nil {
			return
		}
		for _, t := range due {
			t.fire(now)
		}
	}
}

// takeDue removes and returns the targets of the next due bucket that has
// any, or nil when no bucket up to last holds one.
func (w *timerWheel) takeDue(last int64) []timerTarget {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buckets) == 0 {
		w.next = max(w.next, last+1)
		return nil
	}
	for ; w.next <= last; w.next++ {
		if ts, ok := w.buckets[w.next]; ok {
			delete(w.buckets, w.next)
			w.next++
			return ts
		}
	}
	return nil
}
