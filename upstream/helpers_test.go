package upstream

import (
	"context"
	"sync"
	"testing"
	"time"
)

// waitTimeout bounds every wait for an event in these tests.
const waitTimeout = 5 * time.Second

// fakeClock is a settable clock for WithClock.
type fakeClock struct {
	mu sync.Mutex // mu protects t.
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.UnixMilli(1_700_000_000_000)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *fakeClock) Millis() int64 { return c.Now().UnixMilli() }

// newFrozen returns a registry whose clock only moves when told to.
func newFrozen(t *testing.T) (*Embedded, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	e := NewEmbedded(WithClock(clk.Now))
	t.Cleanup(func() { _ = e.Close() })
	return e, clk
}

func inst(ip string, port uint64) Instance {
	return Instance{IP: ip, Port: port, Weight: 1, Healthy: true, Enabled: true}
}

func svcKey(name string) ServiceKey { return ServiceKey{Name: name} }

func mustRegister(t *testing.T, e *Embedded, owner string, key ServiceKey, ins ...Instance) {
	t.Helper()
	if err := e.Register(context.Background(), owner, key, ins); err != nil {
		t.Fatalf("register %s by %s: %v", key, owner, err)
	}
}

func mustDeregister(t *testing.T, e *Embedded, owner string, key ServiceKey) {
	t.Helper()
	if err := e.Deregister(context.Background(), owner, key); err != nil {
		t.Fatalf("deregister %s by %s: %v", key, owner, err)
	}
}

func mustQuery(t *testing.T, e *Embedded, key ServiceKey) Service {
	t.Helper()
	s, err := e.Query(context.Background(), key)
	if err != nil {
		t.Fatalf("query %s: %v", key, err)
	}
	return s
}

func ips(s Service) []string {
	out := []string{}
	for _, in := range s.Instances {
		out = append(out, in.IP)
	}
	return out
}

// recorder collects notifications on a channel large enough that notify
// never blocks in these tests.
type recorder struct {
	ch chan Service
}

func newRecorder() *recorder { return &recorder{ch: make(chan Service, 1<<14)} }

func (r *recorder) notify(s Service) { r.ch <- s }

// next waits for the next notification.
func (r *recorder) next(t *testing.T) Service {
	t.Helper()
	select {
	case s := <-r.ch:
		return s
	case <-time.After(waitTimeout):
		t.Fatal("no notification before the deadline")
		return Service{}
	}
}

// until collects notifications up to and including one with revision rev,
// failing if revisions ever fail to increase.
func (r *recorder) until(t *testing.T, rev int64) []Service {
	t.Helper()
	var got []Service
	for {
		s := r.next(t)
		if n := len(got); n > 0 && s.Revision <= got[n-1].Revision {
			t.Fatalf("revision went from %d to %d", got[n-1].Revision, s.Revision)
		}
		got = append(got, s)
		if s.Revision >= rev {
			return got
		}
	}
}

// pending reports the notifications already queued, without waiting.
func (r *recorder) pending() int { return len(r.ch) }

// mailboxLatest returns the latest revision offered to each mailbox of key.
func mailboxLatest(e *Embedded, key ServiceKey) []int64 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []int64
	if ent := e.services[key.Normalize()]; ent != nil {
		for b := range ent.subs {
			s, _ := b.take()
			out = append(out, s.Revision)
		}
	}
	return out
}
