package nacoslink

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-gateway/herald/gateway"
	"github.com/herald-gateway/herald/internal/nacoswire"
)

// failedSubscribes counts the core's SubscribeServiceRequests answered
// with an error.
type failedSubscribes struct{ n atomic.Int64 }

func (f *failedSubscribes) Observe(_, typ string, _ time.Duration, code int) {
	if typ == nacoswire.TypeSubscribeServiceRequest && code != 200 {
		f.n.Add(1)
	}
}

// TestFailingUnsubscribeBacksOff: an unsubscribe the upstream keeps
// failing is retried after a doubling backoff, not at every sync.
func TestFailingUnsubscribeBacksOff(t *testing.T) {
	fails := &failedSubscribes{}
	c := startCoreWith(t, gateway.Options{Addr: "127.0.0.1:0", Requests: fails})
	clk := &clock{now: t0}
	l := newLink(t, Options{Servers: []string{c.addr}, Linger: -1, Now: clk.Now})
	waitReady(t, l)
	n := newNotes()
	cancel, err := l.Subscribe(svc("sticky"), n.notify)
	if err != nil {
		t.Fatal(err)
	}
	n.next(t, "first snapshot", count(0))
	eventually(t, "upstream subscription", func() error {
		if st := l.Status(); st.Counters.Subscribes != 1 {
			return errorf("%d upstream subscribes", st.Counters.Subscribes)
		}
		return nil
	})
	c.reg.Close() // the core now answers every (un)subscribe with an error
	cancel()
	eventually(t, "the first failed unsubscribe", func() error {
		if got := fails.n.Load(); got != 1 {
			return errorf("%d failed", got)
		}
		return nil
	})
	l.mu.Lock()
	s := l.sess // the live session: sync is called as the run loop calls it
	l.mu.Unlock()
	steps := []struct {
		advance time.Duration
		want    int64
	}{
		{0, 1},           // syncs within the backoff send nothing
		{backoffBase, 2}, // the first retry after 100 ms
		{backoffBase, 2}, // the next waits 200 ms
		{backoffBase, 3}, //
		{backoffBase, 3}, // then the 200 ms cap (newLink's BackoffMax)
		{backoffBase, 4}, //
	}
	for i, st := range steps {
		clk.add(st.advance)
		for range 3 {
			l.sync(s)
		}
		if got := fails.n.Load(); got != st.want {
			t.Fatalf("step %d (+%v): %d failed unsubscribes, want %d", i, st.advance, got, st.want)
		}
	}
}
