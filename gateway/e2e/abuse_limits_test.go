package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/herald-gateway/herald/gateway/nacostest"
)

// dialFrom opens a raw connection to addr from the local IP from (with
// ServerCheck).
func dialFrom(ctx context.Context, addr, from string) (*nacostest.Client, error) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	return nacostest.Dial(ctx, addr, grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) {
		return d.DialContext(ctx, "tcp", a)
	}))
}

// TestConnectionsPerIPLimit: a client IP holding limits.maxConnectionsPerIP
// connections is refused another: its ServerCheck is answered errorCode
// 503 with the reason, and Herald closes it; meanwhile another IP
// connects, and once one of the first IP's connections closes it may open
// a new one. The refusal is counted in /metrics.
func TestConnectionsPerIPLimit(t *testing.T) {
	cfg := testConfig(t)
	cfg.Limits.MaxConnectionsPerIP = 2
	d := startHerald(t, cfg)
	addr := d.GRPCAddr().String()
	fresh := func() context.Context {
		ctx, cancel := context.WithTimeout(t.Context(), wait)
		t.Cleanup(cancel)
		return ctx
	}
	dial := func(from string) *nacostest.Client {
		t.Helper()
		c, err := dialFrom(fresh(), addr, from)
		if err != nil {
			t.Fatalf("dial from %s: %v", from, err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	var held []*nacostest.Client
	for range 2 {
		c := dial("127.0.0.1")
		if c.ConnectionID == "" {
			t.Fatal("a connection within the limit got no connection id")
		}
		held = append(held, c)
	}
	over := dial("127.0.0.1")
	if over.ConnectionID != "" {
		t.Fatalf("a third connection from 127.0.0.1 was served (connection id %q) over the limit of 2", over.ConnectionID)
	}
	_, r := call(t, over, "ServerCheckRequest", map[string]any{"requestId": "", "module": "internal"})
	if r.ErrorCode != 503 || !strings.Contains(r.Message, "too many connections from 127.0.0.1") ||
		!strings.Contains(r.Message, "limits.maxConnectionsPerIP") {
		t.Fatalf("refused connection's ServerCheck = %+v, want errorCode 503 saying why", r)
	}
	other := dialSetUpFrom(t, fresh(), addr, "127.0.0.2")
	if _, r := call(t, other, "ServiceQueryRequest", naming("limits-svc", "")); r.ResultCode != 200 {
		t.Fatalf("another IP: %+v", r)
	}
	// Two held, one from 127.0.0.2: the refused one is closed by Herald.
	eventually(t, "Herald closes the refused connection", wait, func() error {
		if conns, _ := d.Gateway().Stats(); conns != 3 {
			return fmt.Errorf("%d connections open, want 3", conns)
		}
		return nil
	})
	held[0].Close()
	eventually(t, "a connection from 127.0.0.1 after one closed", wait, func() error {
		c, err := dialFrom(fresh(), addr, "127.0.0.1")
		if err != nil {
			return err
		}
		t.Cleanup(func() { c.Close() })
		if c.ConnectionID == "" {
			return errors.New("still refused")
		}
		return nil
	})
	if n := sample(scrape(t, d), "herald_limit_refusals_total", "limit", "connections_per_ip"); n < 1 {
		t.Errorf("herald_limit_refusals_total{limit=connections_per_ip} = %v, want at least 1", n)
	}
}

// dialSetUpFrom is dialSetUp from the local IP from.
func dialSetUpFrom(t *testing.T, ctx context.Context, addr, from string) *nacostest.Client {
	t.Helper()
	c, err := dialFrom(ctx, addr, from)
	if err != nil {
		t.Fatalf("dial from %s: %v", from, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Setup(ctx, map[string]string{"source": "sdk", "module": "naming"}); err != nil {
		t.Fatalf("setup: %v", err)
	}
	eventually(t, "session registered", wait, func() error {
		_, err := expectOK(c, "HealthCheckRequest", map[string]any{"requestId": "", "module": "internal"})
		return err
	})
	return c
}

// TestRequestRateLimit: a connection sending faster than
// limits.requestsPerSecond (beyond its burst) is answered errorCode 503,
// Nacos's OVER_THRESHOLD, with a message naming the limit; health checks
// pass, other connections are unaffected, and the refusals are counted.
func TestRequestRateLimit(t *testing.T) {
	cfg := testConfig(t)
	cfg.Limits.RequestsPerSecond = 1
	cfg.Limits.RequestBurst = 2
	d := startHerald(t, cfg)
	c := dialSetUp(t, d.GRPCAddr().String())
	start := time.Now()
	ok, over := 0, 0
	for range 10 {
		switch _, r := call(t, c, "ServiceQueryRequest", naming("rate-svc", "")); {
		case r.ResultCode == 200:
			ok++
		case r.ErrorCode == 503 && strings.Contains(r.Message, "limits.requestsPerSecond"):
			over++
		default:
			t.Fatalf("unexpected answer %+v", r)
		}
	}
	elapsed := time.Since(start)
	if allowed := 2 + int(elapsed.Seconds()) + 1; over == 0 || ok > allowed {
		t.Fatalf("10 requests in %v: %d served, %d refused; want at most %d served (burst 2, 1/s)", elapsed, ok, over, allowed)
	}
	if _, r := call(t, c, "HealthCheckRequest", map[string]any{"requestId": "", "module": "internal"}); r.ResultCode != 200 {
		t.Fatalf("a health check over the rate: %+v, want it served", r)
	}
	if _, r := call(t, dialSetUp(t, d.GRPCAddr().String()), "ServiceQueryRequest", naming("rate-svc", "")); r.ResultCode != 200 {
		t.Fatalf("another connection: %+v", r)
	}
	if n := sample(scrape(t, d), "herald_limit_refusals_total", "limit", "requests_per_second"); n < float64(over) {
		t.Errorf("herald_limit_refusals_total{limit=requests_per_second} = %v, want %d", n, over)
	}
}
