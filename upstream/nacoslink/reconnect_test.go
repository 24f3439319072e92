package nacoslink

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/herald-gateway/herald/upstream"
)

// Two links on one core: b registers, a subscribes. The core restarts
// empty; b's redo restores the registration, a's redo the subscription.
// a's subscriber sees no empty or partial list, and no push at all until a
// real change. a's grace must outlast b's way back to the new core: with
// a grace of 300 ms, the core's empty answer to a's redo sometimes stood
// long enough to be forwarded, as designed, and the test failed about one
// run in 15. b's way back was about 3 s long in one run of four or five
// (20-40 ms otherwise): its first reconnect reached the stopping core in
// the instant between gnet v2.9.7's engine stop signalling the event
// loops and its acceptor stopping, and was accepted onto a loop that no
// longer ran, so b's ServerCheckRequest waited out the link's 3 s request
// timeout. The event transport now shuts its listener before the loops
// stop (event.Transport.shutListener; gateway's
// TestEventStopClosesEveryAcceptedConnection); the grace stays long, as
// b's way back also includes the link's reconnect backoff.
func TestCoreRestartPushesOnlyRealDifferences(t *testing.T) {
	c := startCore(t, "127.0.0.1:0")
	a := newLink(t, Options{Servers: []string{c.addr}, ResyncGrace: 5 * time.Second})
	b := newLink(t, Options{Servers: []string{c.addr}})
	waitReady(t, a)
	waitReady(t, b)
	ctx := context.Background()
	k := svc("restart")
	if err := b.Register(ctx, "client-1", k, []upstream.Instance{inst("10.0.0.1", 80)}); err != nil {
		t.Fatal(err)
	}
	n := newNotes()
	cancel, err := a.Subscribe(k, n.notify)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	first := n.next(t, "b's instance", count(1))

	c.stop()
	eventually(t, "a sees the core down", func() error {
		if a.Ready() == nil {
			return fmt.Errorf("still ready")
		}
		return nil
	})
	c2 := startCore(t, c.addr)
	waitReady(t, a)
	waitReady(t, b)
	eventually(t, "b's registration redone", func() error {
		if got := coreCount(t, c2, k); got != 1 {
			return fmt.Errorf("core has %d instances", got)
		}
		return nil
	})
	eventually(t, "a's subscription redone and resync over", func() error {
		st := a.Status()
		if len(st.Subscriptions) != 1 || !st.Subscriptions[0].Subscribed || st.Connection.Resyncing {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
	if err := b.Register(ctx, "client-2", k, []upstream.Instance{inst("10.0.0.2", 80)}); err != nil {
		t.Fatal(err)
	}
	// The very next notification must be the real change: anything pushed
	// across the restart would come first.
	s := n.next(t, "the real change", func(upstream.Service) bool { return true })
	if len(s.Instances) != 2 {
		t.Fatalf("first notification after the restart has %d instances, want the real change's 2", len(s.Instances))
	}
	if s.Revision <= first.Revision {
		t.Fatalf("revision %d not above %d", s.Revision, first.Revision)
	}
}
