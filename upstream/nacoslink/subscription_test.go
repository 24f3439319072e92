package nacoslink

import (
	"testing"
	"time"

	"github.com/herald-gateway/herald/upstream"
)

// These tests drive the subscription rules directly with injected time.

var t0 = time.Unix(1_700_000_000, 0)

func ins(addrs ...string) []upstream.Instance {
	out := []upstream.Instance{}
	for i, a := range addrs {
		out = append(out, upstream.Instance{IP: a, Port: uint64(i + 1), ClusterName: "DEFAULT", Enabled: true})
	}
	return out
}

// subWithBox is a subscription with one local subscriber recording what
// it is offered (the mailbox keeps the latest).
func subWithBox(t *testing.T) (*subscription, *notes) {
	t.Helper()
	sub := newSubscription(svc("rules"))
	n := newNotes()
	b := upstream.NewMailbox(n.notify)
	sub.boxes[b] = struct{}{}
	go b.Run()
	t.Cleanup(b.Stop)
	return sub, n
}

func TestRevisionIsMaxOfUpstreamAndPreviousPlusOne(t *testing.T) {
	sub, _ := subWithBox(t)
	sub.receive(ins("a"), 100, t0, false)
	sub.receive(ins("a", "b"), 100, t0, false) // same lastRefTime, new content
	if sub.snap.Revision != 101 {
		t.Fatalf("revision = %d, want 101 (previous+1)", sub.snap.Revision)
	}
	sub.receive(ins("a", "b", "c"), 500, t0, false)
	if sub.snap.Revision != 500 {
		t.Fatalf("revision = %d, want the upstream's 500", sub.snap.Revision)
	}
}

func TestSameContentIsNotForwarded(t *testing.T) {
	sub, n := subWithBox(t)
	sub.receive(ins("a"), 100, t0, false)
	n.next(t, "first", count(1))
	if sub.receive(ins("a"), 200, t0, false) {
		t.Fatal("a snapshot equal to the last one notified was forwarded")
	}
	n.none(t, 50*time.Millisecond)
	if sub.snap.Revision != 100 {
		t.Fatalf("revision moved to %d without a change", sub.snap.Revision)
	}
}

func TestOverTakenAnswerIsIgnored(t *testing.T) {
	sub, _ := subWithBox(t)
	sub.receive(ins("a", "b"), 200, t0, false)
	if sub.receive(ins("a"), 150, t0, false) {
		t.Fatal("an older upstream snapshot was forwarded")
	}
}

func TestDropToZeroHeldForGrace(t *testing.T) {
	sub, n := subWithBox(t)
	sub.receive(ins("a"), 100, t0, false)
	n.next(t, "first", count(1))
	if sub.receive(ins(), 200, t0, false) {
		t.Fatal("a drop to zero was forwarded at once")
	}
	if sub.release(t0.Add(time.Second), 2*time.Second, false) {
		t.Fatal("released before the grace")
	}
	if sub.release(t0.Add(3*time.Second), 2*time.Second, true) {
		t.Fatal("released while resyncing")
	}
	if !sub.release(t0.Add(3*time.Second), 2*time.Second, false) {
		t.Fatal("a drop that stood for the grace was not released")
	}
	n.next(t, "empty after the grace", count(0))
}

func TestDropToZeroCancelledWhenInstancesReturn(t *testing.T) {
	sub, n := subWithBox(t)
	sub.receive(ins("a"), 100, t0, false)
	n.next(t, "first", count(1))
	sub.receive(ins(), 200, t0, false)
	sub.receive(ins("a"), 300, t0.Add(time.Second), false)
	if sub.held != nil || sub.release(t0.Add(time.Hour), time.Second, false) {
		t.Fatal("the held drop survived the instances coming back")
	}
	n.none(t, 50*time.Millisecond)
}

func TestLossHeldWhileResyncingThenLatestForwarded(t *testing.T) {
	sub, n := subWithBox(t)
	sub.receive(ins("a", "b"), 100, t0, false)
	n.next(t, "first", count(2))
	if sub.receive(ins("a"), 200, t0, true) {
		t.Fatal("a partial list was forwarded while resyncing")
	}
	// Additions are not held, even while resyncing.
	if !sub.receive(ins("a", "b", "c"), 300, t0, true) {
		t.Fatal("a list that only adds was held")
	}
	n.next(t, "addition", count(3))
	sub.receive(ins("a", "b"), 400, t0, true)
	if !sub.release(t0.Add(time.Millisecond), time.Second, false) {
		t.Fatal("the held partial list was not forwarded when the resync ended")
	}
	n.next(t, "latest after resync", count(2))
}

func TestLossOutsideResyncIsForwarded(t *testing.T) {
	sub, n := subWithBox(t)
	sub.receive(ins("a", "b"), 100, t0, false)
	if !sub.receive(ins("a"), 200, t0, false) {
		t.Fatal("a real removal outside a resync was held")
	}
	n.next(t, "removal", count(1))
}
