package daemon

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/herald-gateway/herald/upstream"
)

// readiness is the body of GET /readyz.
type readiness struct {
	Ready   bool     `json:"ready"`
	Reasons []string `json:"reasons,omitempty"`
}

// serveLive answers GET /livez: the process is up and serving its admin
// API.
func (d *Daemon) serveLive(_ context.Context, c *app.RequestContext) {
	c.String(http.StatusOK, "ok\n")
}

// serveReady answers GET /readyz: 200 when Herald can take clients, 503
// with the reasons otherwise.
func (d *Daemon) serveReady(ctx context.Context, c *app.RequestContext) {
	r := readiness{Reasons: d.notReady(ctx)}
	r.Ready = len(r.Reasons) == 0
	if !d.guard.Authorized(c) {
		r.Reasons = nil // probes need no token; the reasons (addresses, errors) do
	}
	code := http.StatusOK
	if !r.Ready {
		code = http.StatusServiceUnavailable
	}
	c.JSON(code, r)
}

// notReady lists what keeps Herald from serving clients: stopping, the
// gRPC listener not accepting, or a remote registry not in sync. The
// admin listener is up, since it answers.
func (d *Daemon) notReady(ctx context.Context) []string {
	var reasons []string
	if d.stopping.Load() {
		reasons = append(reasons, "stopping")
	}
	if d.grpc.Draining() {
		reasons = append(reasons, "draining")
	}
	if err := dialCheck(ctx, d.GRPCAddr()); err != nil {
		reasons = append(reasons, "grpc listener: "+err.Error())
	}
	if r, ok := d.reg.(upstream.Ready); ok {
		if err := r.Ready(); err != nil {
			reasons = append(reasons, "upstream: "+err.Error())
		}
	}
	return reasons
}

// dialCheck connects to a listener (a wildcard address through loopback)
// to see that it accepts.
func dialCheck(ctx context.Context, addr net.Addr) error {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return fmt.Errorf("unexpected address %v", addr)
	}
	host := tcp.IP
	if host == nil || host.IsUnspecified() {
		host = net.IPv4(127, 0, 0, 1)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(host.String(), fmt.Sprint(tcp.Port)))
	if err != nil {
		return fmt.Errorf("not accepting on %s: %w", addr, err)
	}
	return conn.Close()
}
