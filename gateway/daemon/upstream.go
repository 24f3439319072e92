package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/upstream"
	"github.com/herald-gateway/herald/upstream/nacoslink"
)

// Version is Herald's version, sent upstream as the client version.
var Version = "dev"

// backend is where Herald's data lives or comes from: the registry and the
// config center, and how to release them (in order).
type backend struct {
	reg    upstream.Registry
	config upstream.ConfigStore // nil: the backend serves no configuration
	closes []func() error
}

// close releases the backend, newest part first.
func (b backend) close(log *slog.Logger) {
	for i := len(b.closes) - 1; i >= 0; i-- {
		if err := b.closes[i](); err != nil {
			log.Warn("backend close", "err", err)
		}
	}
}

// newBackend builds the backend cfg.Upstream selects. A nacos upstream
// connects in the background: unreachable at start is a degraded state
// (logged, shown by /healthz and /v1/upstream), not an error.
func newBackend(cfg conf.Config, log *slog.Logger) (backend, error) {
	u := cfg.Upstream
	switch u.Kind {
	case "", conf.UpstreamEmbedded:
		return openEmbedded(cfg, log)
	case conf.UpstreamNacos:
		tlsCfg, err := upstreamTLS(u.Nacos.TLS, log)
		if err != nil {
			return backend{}, err
		}
		l, err := nacoslink.New(nacoslink.Options{
			TLS:     tlsCfg,
			Servers: u.Servers, RequestTimeout: u.RequestTimeout, Linger: zeroIsNone(u.Linger),
			ResyncGrace: zeroIsNone(u.ResyncGrace), ClientVersion: "Herald:" + Version, AppName: cfg.Node,
			MaxConfigBytes: cfg.Config.MaxContentBytes,
			Credentials: nacoslink.Credentials{Username: u.Username, Password: u.Password,
				AccessToken: u.AccessToken, LoginServers: u.LoginServers},
			Logger: log.With("component", "upstream"),
		})
		if err != nil {
			return backend{}, fmt.Errorf("upstream: %w", err)
		}
		return backend{reg: l, config: l, closes: []func() error{l.Close}}, nil
	default:
		return backend{}, fmt.Errorf("upstream.kind %q is not supported", u.Kind)
	}
}

// zeroIsNone maps a configured 0 ("none") to the link's "none" (negative;
// the link reads 0 as "default").
func zeroIsNone(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// health is the body of GET /healthz when the registry is not ready.
type health struct {
	Status   string `json:"status"` // "degraded"
	Upstream string `json:"upstream"`
}

// serveHealth answers 200 "ok", or 503 with the reason while a remote
// registry is not connected and in sync.
func (d *Daemon) serveHealth(_ context.Context, c *app.RequestContext) {
	if r, ok := d.reg.(upstream.Ready); ok {
		if err := r.Ready(); err != nil {
			c.JSON(http.StatusServiceUnavailable, health{Status: "degraded", Upstream: err.Error()})
			return
		}
	}
	c.String(http.StatusOK, "ok\n")
}

// upstreamBody is GET /v1/upstream: the registry kind, and for kind nacos
// the link's connection, subscriptions and forwarded registrations.
type upstreamBody struct {
	Kind  string            `json:"kind"`
	Ready bool              `json:"ready"`
	Error string            `json:"error,omitempty"`
	Link  *nacoslink.Status `json:"link,omitempty"`
}

func (d *Daemon) serveUpstream(_ context.Context, c *app.RequestContext) {
	body := upstreamBody{Kind: d.cfg.Upstream.Kind, Ready: true}
	if r, ok := d.reg.(upstream.Ready); ok {
		if err := r.Ready(); err != nil {
			body.Ready, body.Error = false, err.Error()
		}
	}
	if l, ok := d.reg.(*nacoslink.Link); ok {
		st := l.Status()
		body.Link = &st
	}
	c.JSON(http.StatusOK, body)
}
