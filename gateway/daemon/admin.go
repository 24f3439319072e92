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

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway"
	"github.com/herald-gateway/herald/gateway/adminauth"
	"github.com/herald-gateway/herald/gateway/hertzrun"
	"github.com/herald-gateway/herald/internal/netpollfix"
	"github.com/herald-gateway/herald/tracker"
	"github.com/herald-gateway/herald/tracker/console"
	"github.com/herald-gateway/herald/tracker/fleet"
	"github.com/herald-gateway/herald/upstream/nacoslink"
)

// stats is the body of GET /stats.
type stats struct {
	Node          string `json:"node"`
	Connections   int    `json:"connections"`
	Sessions      int    `json:"sessions"`
	Services      int    `json:"subscribedServices"`
	Subscriptions int    `json:"subscriptions"`
	// Listeners counts the configuration listens (a key of a gRPC batch
	// listen, or of a held long poll); absent when this gateway serves no
	// configuration.
	Listeners *int `json:"listeners,omitempty"`
	// HTTP counts the Nacos 1.x API's beat-kept instances, UDP
	// subscribers and held config long polls.
	HTTP httpStats `json:"http"`
	// Pushes counts push outcomes by event: sent, retried, acked, failed,
	// timeout, superseded, dropped.
	Pushes  map[string]uint64     `json:"pushes"`
	Tracker tracker.RecorderStats `json:"tracker"`
	// Moves counts the connections told to move (drain, shed) and the
	// registrations held for them.
	Moves gateway.MoveStats `json:"moves"`
	// Upstream counts the Nacos link's traffic (kind nacos only).
	Upstream *nacoslink.Counters `json:"upstream,omitempty"`
}

// httpStats is the http section of GET /stats.
type httpStats struct {
	BeatInstances  int `json:"beatInstances"`
	UDPSubscribers int `json:"udpSubscribers"`
	LongPolls      int `json:"longPolls"` // config long polls held now
}

// quietHertz sets hlog's global level once.
var quietHertz sync.Once

// startAdmin serves Herald's own API with Hertz on the admin listener
// (loopback by default): GET /healthz, /livez, /readyz, /metrics, /stats,
// /v1/upstream, the tracker API and the console at /console/, all behind
// the admin token when one is configured (the probes /livez and /readyz
// stay open).
func (d *Daemon) startAdmin() error {
	quietHertz.Do(func() { hlog.SetLevel(hlog.LevelWarn) })
	token, err := d.cfg.Admin.ReadToken()
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	d.guard = adminauth.New(token)
	d.guard.Allow("/livez", "/readyz")
	ln, err := net.Listen("tcp", d.cfg.Admin.Addr)
	if err != nil {
		return fmt.Errorf("admin listen %s: %w", d.cfg.Admin.Addr, err)
	}
	d.adLn = ln
	if err := d.observeState(); err != nil {
		ln.Close()
		return err
	}
	hln, err := netpollfix.Listener(ln) // netpoll's own would close its fd twice
	if err != nil {
		ln.Close()
		return fmt.Errorf("admin listen %s: %w", d.cfg.Admin.Addr, err)
	}
	h := server.New(server.WithListener(hln), server.WithDisablePrintRoute(true),
		server.WithExitWaitTime(time.Second))
	h.Use(d.guard.Middleware()) // before any route: routes copy the middleware chain
	h.GET("/healthz", d.serveHealth)
	h.GET("/livez", d.serveLive)
	h.GET("/readyz", d.serveReady)
	h.GET("/metrics", d.serveMetrics)
	h.GET("/stats", d.serveStats)
	h.GET("/v1/upstream", d.serveUpstream)
	h.POST("/v1/drain", d.serveDrain)
	h.POST("/v1/shed", d.serveShed)
	h.GET("/v1/fleet", d.serveFleet)
	api := &tracker.API{Store: d.store, Status: d.view, MaxWindow: d.cfg.Tracker.Retention}
	if d.backend.config != nil {
		// configuration push tracking: status for the whole fleet (the
		// view), by-IP listens from this gateway's own hub
		api.Config = fleetConfig{d.view, d.hub}
	}
	api.Register(h)
	console.New(console.Options{Node: d.cfg.Node, TraceURL: d.cfg.Console.TraceURL,
		MaxWindow: d.cfg.Tracker.Retention, Guard: d.guard, Fleet: d.redis != nil}).Register(h.Engine)
	d.admin = h
	if err := hertzrun.Start(h, "admin", d.log); err != nil {
		ln.Close()
		return err
	}
	return nil
}

func (d *Daemon) serveStats(_ context.Context, c *app.RequestContext) {
	st := stats{Node: d.cfg.Node}
	st.Connections, st.Sessions = d.grpc.Stats()
	st.Services, st.Subscriptions = d.hub.Stats(fanout.KindNaming)
	if d.backend.config != nil {
		_, listeners := d.hub.Stats(fanout.KindConfig)
		st.Listeners = &listeners
	}
	st.HTTP.BeatInstances, st.HTTP.UDPSubscribers = d.http.Stats()
	st.HTTP.LongPolls = d.http.LongPolls()
	st.Pushes = d.hub.Counts()
	st.Tracker = d.recorder.Stats()
	st.Moves = d.grpc.MoveStats()
	if l, ok := d.reg.(*nacoslink.Link); ok {
		c := l.Status().Counters
		st.Upstream = &c
	}
	c.JSON(http.StatusOK, st)
}

// fleetConfig is the tracker's configuration status source: the delivery
// status of a configuration across the fleet (fleet.View), the listens of
// a client IP on this gateway (the Hub).
type fleetConfig struct {
	*fleet.View
	hub *fanout.Hub
}

// ClientStatus implements tracker.ConfigStatusSource.
func (f fleetConfig) ClientStatus(k fanout.Kind, ip string) []fanout.ClientSubscription {
	return f.hub.ClientStatus(k, ip)
}
