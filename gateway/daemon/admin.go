package daemon

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/common/hlog"

	"github.com/herald-gateway/herald/tracker"
)

// stats is the body of GET /stats.
type stats struct {
	Node          string `json:"node"`
	Connections   int    `json:"connections"`
	Sessions      int    `json:"sessions"`
	Services      int    `json:"subscribedServices"`
	Subscriptions int    `json:"subscriptions"`
	// Pushes counts push outcomes by event: sent, retried, acked, failed,
	// timeout, superseded, dropped.
	Pushes  map[string]uint64     `json:"pushes"`
	Tracker tracker.RecorderStats `json:"tracker"`
}

// quietHertz sets hlog's global level once.
var quietHertz sync.Once

// startAdmin serves Herald's own API with Hertz on the admin listener
// (loopback by default): GET /healthz, /livez, /readyz, /metrics, /stats
// and the tracker API.
func (d *Daemon) startAdmin() error {
	quietHertz.Do(func() { hlog.SetLevel(hlog.LevelWarn) })
	ln, err := net.Listen("tcp", d.cfg.Admin.Addr)
	if err != nil {
		return fmt.Errorf("admin listen %s: %w", d.cfg.Admin.Addr, err)
	}
	d.adLn = ln
	if err := d.observeState(); err != nil {
		ln.Close()
		return err
	}
	h := server.New(server.WithListener(ln), server.WithDisablePrintRoute(true),
		server.WithExitWaitTime(time.Second))
	h.GET("/healthz", func(_ context.Context, c *app.RequestContext) { c.String(http.StatusOK, "ok\n") })
	h.GET("/livez", d.serveLive)
	h.GET("/readyz", d.serveReady)
	h.GET("/metrics", d.serveMetrics)
	h.GET("/stats", d.serveStats)
	api := &tracker.API{Store: d.store, Status: d.hub, MaxWindow: d.cfg.Tracker.Retention}
	api.Register(h)
	d.admin = h
	go func() {
		if err := h.Run(); err != nil {
			d.log.Error("admin server", "err", err)
		}
	}()
	if err := waitRunning(h); err != nil {
		ln.Close()
		return err
	}
	return nil
}

// waitRunning waits until the Hertz engine serves, so a Stop right after
// Start finds it running.
func waitRunning(h *server.Hertz) error {
	deadline := time.Now().Add(5 * time.Second)
	for !h.IsRunning() {
		if time.Now().After(deadline) {
			return fmt.Errorf("admin server did not start within 5s")
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

func (d *Daemon) serveStats(_ context.Context, c *app.RequestContext) {
	st := stats{Node: d.cfg.Node}
	st.Connections, st.Sessions = d.grpc.Stats()
	st.Services, st.Subscriptions = d.hub.Stats()
	st.Pushes = d.hub.Counts()
	st.Tracker = d.recorder.Stats()
	c.JSON(http.StatusOK, st)
}
