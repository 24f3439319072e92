package upstream

import (
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// fastHealth probes every 20ms and flips on the first failure.
var fastHealth = HealthCheck{Interval: 20 * time.Millisecond, Timeout: time.Second, Failures: 1}

func newProbed(t *testing.T, h HealthCheck) *Embedded {
	t.Helper()
	e := NewEmbedded(WithHealthCheck(h))
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// waitHealthy waits for a notification whose only instance has the wanted
// health.
func (r *recorder) waitHealthy(t *testing.T, want bool) Service {
	t.Helper()
	for {
		s := r.next(t)
		if len(s.Instances) == 1 && s.Instances[0].Healthy == want {
			return s
		}
	}
}

func listen(t *testing.T, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	var err error
	// A port just closed may take a moment to be free again.
	for deadline := time.Now().Add(waitTimeout); ; time.Sleep(20 * time.Millisecond) {
		if ln, err = net.Listen("tcp", addr); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func hostPort(t *testing.T, addr string) (string, uint64) {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}

func TestTCPProbeFlipsHealth(t *testing.T) {
	e := newProbed(t, fastHealth)
	ln := listen(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	r := newRecorder()
	defer subscribe(t, e, svcKey("p"), r.notify)()
	mustRegisterPersistent(t, e, svcKey("p"), inst(hostPort(t, addr)))
	r.waitHealthy(t, true)

	ln.Close()
	down := r.waitHealthy(t, false)
	listen(t, addr)
	up := r.waitHealthy(t, true)
	if up.Revision <= down.Revision {
		t.Fatalf("revision did not move forward: %d then %d", down.Revision, up.Revision)
	}
}

func TestHTTPProbeFollowsStatus(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusOK)
	var paths atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths.Store(r.URL.Path)
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	e := newProbed(t, fastHealth)
	r := newRecorder()
	defer subscribe(t, e, svcKey("p"), r.notify)()
	in := inst(hostPort(t, srv.Listener.Addr().String()))
	in.Healthy = false
	in.Metadata = map[string]string{MetaHealthChecker: CheckerHTTP, MetaHealthPath: "/health"}
	mustRegisterPersistent(t, e, svcKey("p"), in)

	r.waitHealthy(t, true) // registered unhealthy, 200 turns it healthy
	if p, _ := paths.Load().(string); p != "/health" {
		t.Fatalf("probe asked for %q, want /health", p)
	}
	status.Store(http.StatusInternalServerError)
	r.waitHealthy(t, false)
	status.Store(http.StatusFound) // 3xx is an answer: healthy, not followed
	r.waitHealthy(t, true)
}

func TestUnhealthyOnlyAfterConsecutiveFailures(t *testing.T) {
	var failing, failedProbes atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if failing.Load() == 1 {
			failedProbes.Add(1)
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	h := fastHealth
	h.Checker, h.Failures = CheckerHTTP, 3
	e := newProbed(t, h)
	r := newRecorder()
	defer subscribe(t, e, svcKey("p"), r.notify)()
	mustRegisterPersistent(t, e, svcKey("p"), inst(hostPort(t, srv.Listener.Addr().String())))
	failing.Store(1)
	r.waitHealthy(t, false)
	if n := failedProbes.Load(); n < 3 {
		t.Fatalf("turned unhealthy after %d failed probes, want 3", n)
	}
}

func TestHangingProbeBlocksNothing(t *testing.T) {
	release := make(chan struct{})
	hit := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		select {
		case hit <- struct{}{}:
		default:
		}
		<-release
	}))
	defer srv.Close()
	defer close(release)
	h := fastHealth
	h.Checker, h.Timeout = CheckerHTTP, time.Minute
	e := NewEmbedded(WithHealthCheck(h))
	mustRegisterPersistent(t, e, svcKey("p"), inst(hostPort(t, srv.Listener.Addr().String())))
	select {
	case <-hit:
	case <-time.After(waitTimeout):
		t.Fatal("no probe reached the server")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		mustRegister(t, e, "conn1", svcKey("other"), inst("10.0.0.9", 80))
		mustQuery(t, e, svcKey("p"))
		e.Close() // cancels the hanging probe
	}()
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatal("registry operations or Close blocked behind a hanging probe")
	}
}

func TestHealthChangeIsSaved(t *testing.T) {
	dir := t.TempDir()
	ln := listen(t, "127.0.0.1:0")
	ln.Close() // nothing listens: the first probe fails
	e, err := OpenEmbedded(dir, WithHealthCheck(fastHealth))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	r := newRecorder()
	defer subscribe(t, e, svcKey("p"), r.notify)()
	mustRegisterPersistent(t, e, svcKey("p"), inst(hostPort(t, ln.Addr().String())))
	down := r.waitHealthy(t, false)
	state, err := newSnapshotFile(dir).read()
	if err != nil {
		t.Fatal(err)
	}
	if len(state.Services) != 1 || state.Services[0].Instances[0].Healthy || state.Services[0].Revision != down.Revision {
		t.Fatalf("saved %+v, want the unhealthy instance at revision %d", state.Services, down.Revision)
	}
}

func TestProbeJobsFollowMetadata(t *testing.T) {
	e, _ := newFrozen(t)
	meta := func(ip string, md map[string]string) Instance {
		in := inst(ip, 80)
		in.Metadata = md
		return in
	}
	for _, in := range []Instance{
		meta("10.0.0.1", nil),
		meta("10.0.0.2", map[string]string{MetaHealthChecker: CheckerHTTP, MetaHealthPath: "/ready"}),
		meta("10.0.0.3", map[string]string{MetaHealthChecker: CheckerNone}),
		meta("10.0.0.4", map[string]string{MetaHealthChecker: CheckerTCP}),
	} {
		mustRegisterPersistent(t, e, svcKey("p"), in)
	}
	mustRegister(t, e, "conn1", svcKey("eph"), inst("10.0.0.5", 80))
	got := map[string]string{}
	for _, j := range e.probeJobs(HealthCheck{Checker: CheckerHTTP, Path: "/"}) {
		got[j.addr] = j.checker + " " + j.path
	}
	want := map[string]string{"10.0.0.1:80": "http /", "10.0.0.2:80": "http /ready", "10.0.0.4:80": "tcp /"}
	if !maps.Equal(got, want) {
		t.Fatalf("probe jobs %v, want %v (none and ephemeral instances are not probed)", got, want)
	}
}
