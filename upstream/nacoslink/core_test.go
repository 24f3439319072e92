package nacoslink

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway"
	"github.com/herald-gateway/herald/upstream"
)

// wait bounds every wait on the real core in these tests.
const wait = 15 * time.Second

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// core is a real Herald gateway (Kitex server, fanout hub, embedded
// registry) on a free loopback port: the upstream the link talks to.
type core struct {
	reg  *upstream.Embedded
	hub  *fanout.Hub
	srv  *gateway.Server
	addr string
}

func startCore(t *testing.T, addr string) *core {
	t.Helper()
	return startCoreWith(t, gateway.Options{Addr: addr})
}

// startCoreWith starts a core with gateway options o (quiet, fast exit).
func startCoreWith(t *testing.T, o gateway.Options) *core {
	t.Helper()
	o.Logger, o.ExitWait = quiet, 100*time.Millisecond
	reg := upstream.NewEmbedded()
	hub, err := fanout.NewHub(fanout.NamingSource(reg), fanout.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var srv *gateway.Server
	deadline := time.Now().Add(wait)
	for {
		srv, err = gateway.New(o, reg, hub)
		if err == nil {
			if err = srv.Start(); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("start core on %s: %v", o.Addr, err)
		}
		time.Sleep(50 * time.Millisecond) // the port of a stopped core may linger briefly
	}
	c := &core{reg: reg, hub: hub, srv: srv, addr: srv.Addr().String()}
	t.Cleanup(c.stop)
	return c
}

// stopMu protects core.srv: stop runs from the test body and from Cleanup.
var stopMu sync.Mutex

func (c *core) stop() {
	stopMu.Lock()
	defer stopMu.Unlock()
	if c.srv == nil {
		return
	}
	c.srv.Stop()
	c.hub.Close()
	c.reg.Close()
	c.srv = nil
}

// newLink is a link to addrs with test timings.
func newLink(t *testing.T, o Options) *Link {
	t.Helper()
	if o.Logger == nil {
		o.Logger = quiet
	}
	if o.HealthInterval == 0 {
		o.HealthInterval = 200 * time.Millisecond
	}
	o.BackoffMax = 200 * time.Millisecond
	l, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func waitReady(t *testing.T, l *Link) {
	t.Helper()
	eventually(t, "link ready", func() error { return l.Ready() })
}

func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// notes records notify calls.
type notes struct {
	ch chan upstream.Service
}

func newNotes() *notes { return &notes{ch: make(chan upstream.Service, 64)} }

func (n *notes) notify(s upstream.Service) { n.ch <- s }

// next waits for a notification satisfying ok, failing on timeout.
func (n *notes) next(t *testing.T, what string, ok func(upstream.Service) bool) upstream.Service {
	t.Helper()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case s := <-n.ch:
			if ok(s) {
				return s
			}
		case <-timer.C:
			t.Fatalf("no notification: %s", what)
		}
	}
}

// none asserts that nothing is notified for d.
func (n *notes) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case s := <-n.ch:
		t.Fatalf("unexpected notification: rev %d, %d instances", s.Revision, len(s.Instances))
	case <-time.After(d):
	}
}

func count(k int) func(upstream.Service) bool {
	return func(s upstream.Service) bool { return len(s.Instances) == k }
}

func inst(ip string, port uint64) upstream.Instance {
	return upstream.Instance{IP: ip, Port: port, Weight: 1, Healthy: true, Enabled: true}
}

func svc(name string) upstream.ServiceKey { return upstream.ServiceKey{Name: name}.Normalize() }

func coreCount(t *testing.T, c *core, key upstream.ServiceKey) int {
	t.Helper()
	s, err := c.reg.Query(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return len(s.Instances)
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
