package gateway

import (
	"context"
	"testing"
	"time"
)

// TestMoveBudget: room waits while max moves are under way and returns
// when one ends, when the oldest outlives the timeout (a client that
// never comes back), or once hurry has passed; false when ctx ends.
func TestMoveBudget(t *testing.T) {
	b := newMoveBudget(2, time.Hour)
	b.begin("a")
	b.begin("b")
	got := make(chan bool, 1)
	go func() { got <- b.room(t.Context(), time.Time{}) }()
	select {
	case ok := <-got:
		t.Fatalf("room returned %v with two moves under way", ok)
	case <-time.After(50 * time.Millisecond):
	}
	b.end("a")
	if !<-got {
		t.Fatal("room false after a move ended")
	}
	b.end("a") // twice: a no-op
	if n := b.underWay(); n != 1 {
		t.Fatalf("underWay %d, want 1", n)
	}

	short := newMoveBudget(1, 30*time.Millisecond)
	short.begin("stays")
	start := time.Now()
	if !short.room(t.Context(), time.Time{}) {
		t.Fatal("room false")
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("room returned after %v, before the move's timeout", d)
	}
	if n := short.underWay(); n != 0 {
		t.Fatalf("underWay %d after the timeout, want 0", n)
	}

	b.begin("c")
	if !b.room(t.Context(), time.Now().Add(20*time.Millisecond)) {
		t.Fatal("room false past hurry")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if b.room(ctx, time.Time{}) {
		t.Fatal("room true with two under way and ctx done")
	}
	if !newMoveBudget(0, time.Hour).room(ctx, time.Time{}) {
		t.Fatal("an unbounded budget waited")
	}
}
