package nacoslink

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// clock is an injectable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestLingerReusesThenEndsUpstreamSubscription(t *testing.T) {
	c := startCore(t, "127.0.0.1:0")
	clk := &clock{now: t0}
	l := newLink(t, Options{Servers: []string{c.addr}, Linger: time.Minute, Now: clk.Now})
	waitReady(t, l)
	k := svc("linger")
	if err := c.reg.Register(context.Background(), "core-client", k, []upstream.Instance{inst("10.0.0.1", 80)}); err != nil {
		t.Fatal(err)
	}
	first := newNotes()
	cancel, err := l.Subscribe(k, first.notify)
	if err != nil {
		t.Fatal(err)
	}
	first.next(t, "first snapshot", count(1))
	cancel()

	// Within the linger: the upstream subscription is reused and the
	// snapshot arrives at once, with no new upstream subscribe.
	clk.add(30 * time.Second)
	l.sweep(clk.Now())
	again := newNotes()
	cancel2, err := l.Subscribe(k, again.notify)
	if err != nil {
		t.Fatal(err)
	}
	again.next(t, "snapshot from the lingering subscription", count(1))
	if st := l.Status(); st.Counters.Subscribes != 1 {
		t.Fatalf("upstream subscribes = %d, want 1 (reused within the linger)", st.Counters.Subscribes)
	}
	cancel2()

	// Past the linger: the upstream subscription ends.
	clk.add(61 * time.Second)
	l.sweep(clk.Now())
	l.wake()
	eventually(t, "upstream unsubscribe", func() error {
		if svcs, _ := c.hub.Stats(fanout.KindNaming); svcs != 0 {
			return errorf("core still holds %d subscribed services", svcs)
		}
		return nil
	})
	if st := l.Status(); len(st.Subscriptions) != 0 || st.Counters.Unsubscribes != 1 {
		t.Fatalf("after the linger: subscriptions %+v, unsubscribes %d", st.Subscriptions, st.Counters.Unsubscribes)
	}
}

func TestNegativeLingerEndsAtOnce(t *testing.T) {
	c := startCore(t, "127.0.0.1:0")
	l := newLink(t, Options{Servers: []string{c.addr}, Linger: -1})
	waitReady(t, l)
	n := newNotes()
	cancel, err := l.Subscribe(svc("brief"), n.notify)
	if err != nil {
		t.Fatal(err)
	}
	n.next(t, "first snapshot", count(0))
	cancel()
	eventually(t, "upstream unsubscribe without linger", func() error {
		if svcs, _ := c.hub.Stats(fanout.KindNaming); svcs != 0 {
			return errorf("core still holds %d subscribed services", svcs)
		}
		return nil
	})
}

// TestSweepPeriod: the sweep follows the shorter of linger and resync
// grace; no linger does not make the run loop sweep every 10 ms.
func TestSweepPeriod(t *testing.T) {
	for _, c := range []struct {
		linger, grace, want time.Duration
	}{
		{30 * time.Second, 5 * time.Second, 1250 * time.Millisecond},
		{time.Second, 5 * time.Second, 250 * time.Millisecond},
		{-1, 5 * time.Second, 1250 * time.Millisecond},
		{30 * time.Second, -1, 10 * time.Millisecond},
	} {
		if got := sweepPeriod(Options{Linger: c.linger, ResyncGrace: c.grace}); got != c.want {
			t.Errorf("linger %v, grace %v: sweep every %v, want %v", c.linger, c.grace, got, c.want)
		}
	}
}
