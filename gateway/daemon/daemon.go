// Package daemon wires Herald's parts into one running process: the
// registry (embedded by default), the Nacos gRPC endpoint and the admin
// API. The herald command and the end-to-end tests both start Herald
// through it.
package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/common/hlog"
	"github.com/redis/go-redis/v9"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway"
	"github.com/herald-gateway/herald/gateway/adminauth"
	"github.com/herald-gateway/herald/gateway/auth"
	"github.com/herald-gateway/herald/gateway/http1"
	"github.com/herald-gateway/herald/tracker"
	"github.com/herald-gateway/herald/tracker/fleet"
	"github.com/herald-gateway/herald/upstream"
)

// Daemon is a running Herald.
type Daemon struct {
	cfg      conf.Config
	log      *slog.Logger
	backend  backend
	reg      upstream.Registry // backend.reg
	hub      *fanout.Hub
	grpc     *gateway.Server
	http     *http1.Server
	store    tracker.Store
	recorder *tracker.Recorder
	admin    *server.Hertz
	guard    *adminauth.Guard // the admin token check
	auth     *auth.Authority  // client credentials and permissions, both wires
	adLn     net.Listener
	tel      telemetryParts
	stopping atomic.Bool // Stop has begun: /readyz says so
	stopOnce sync.Once
	stops    []func() // how to stop each started part, in start order

	// life is cancelled by Stop: it ends a drain under way (drain.go).
	life      context.Context
	endLife   context.CancelFunc
	drainOnce sync.Once
	drained   chan struct{}       // closed when a drain has ended
	drainRep  gateway.DrainReport // set before drained is closed

	redis redis.UniversalClient // tracker.redis, shared by the store and the fleet view; nil without
	view  *fleet.View
}

// Start brings Herald up with cfg, which must be valid. On error nothing
// is left running.
func Start(cfg conf.Config, log *slog.Logger) (*Daemon, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	d := &Daemon{cfg: cfg, log: log, drained: make(chan struct{})}
	d.life, d.endLife = context.WithCancel(context.Background())
	// Each part starts after the parts it uses and stops before them.
	parts := []struct {
		start func() error
		stop  func()
	}{
		{d.loadAuth, func() {}},
		{d.openBackend, d.closeBackend},
		{d.startTelemetry, d.stopTelemetry},
		{d.startTracking, d.stopTracking},
		{d.startHub, func() { d.hub.Close() }},
		{d.startGateway, func() { d.grpc.Stop() }},
		{d.startHTTP, func() { d.http.Stop() }},
		{d.startFleet, d.stopFleet},
		{d.startAdmin, d.stopAdmin},
		{d.publishFleet, func() {}}, // stopped by stopFleet
	}
	for _, p := range parts {
		if err := p.start(); err != nil {
			d.stopParts()
			d.endLife()
			return nil, err
		}
		d.stops = append(d.stops, p.stop)
	}
	log.Info("herald started", "node", cfg.Node, "grpc", d.GRPCAddr().String(), "http", d.HTTPAddr().String(),
		"admin", d.AdminAddr().String(), "upstream", cfg.Upstream.Kind)
	return d, nil
}

// stopParts stops the started parts, newest first.
func (d *Daemon) stopParts() {
	for i := len(d.stops) - 1; i >= 0; i-- {
		d.stops[i]()
	}
	d.stops = nil
}

func (d *Daemon) openBackend() error {
	b, err := newBackend(d.cfg, d.log)
	if err != nil {
		return err
	}
	d.backend, d.reg = b, b.reg
	return nil
}

func (d *Daemon) closeBackend() { d.backend.close(d.log) }

// loadAuth builds the one Authority both client wires check (conf/auth.go
// reads its files). It logs whether auth is on, never a secret.
func (d *Daemon) loadAuth() error {
	a, err := d.cfg.Authority()
	if err != nil {
		return err
	}
	d.auth = a
	if a.Enabled() {
		d.log.Info("client authentication on", "tokenTtl", a.TTL().String(), "tokenKey", d.cfg.Auth.TokenKey != "" || d.cfg.Auth.TokenKeyFile != "")
	} else {
		d.log.Info("client authentication off: no users configured")
	}
	if len(d.cfg.HTTP.Users) > 0 {
		d.log.Warn("http.users holds plain-text passwords and now guards both wires; move them to auth.users (herald hash-password)")
	}
	return nil
}

// startHub starts the push engine, observed by the tracker and traced.
func (d *Daemon) startHub() error {
	cfg := d.cfg
	observer, tracing := d.hubTelemetry(d.recorder)
	var err error
	sources := fanout.Sources{fanout.KindNaming: fanout.NamingSource(d.reg)}
	if d.backend.config != nil {
		sources[fanout.KindConfig] = fanout.ConfigSource(d.backend.config)
	}
	d.hub, err = fanout.NewHub(sources, fanout.Options{
		Naming: fanout.Policy{MergeWindow: cfg.Fanout.MergeWindow, MergeWindowMax: cfg.Fanout.MergeWindowMax,
			StallTimeout: cfg.Fanout.StallTimeout},
		// Config pushes go at once, as Nacos's, and a listener that never
		// acknowledges is given up after its attempts, never disconnected.
		Config: fanout.Policy{StallTimeout: -1, MaxAttempts: cfg.Config.PushMaxAttempts,
			ConfirmTimeout: cfg.Config.PushConfirmTimeout},
		Workers:    cfg.Fanout.Workers,
		AckTimeout: cfg.Session.AckTimeout,
		RetryBase:  cfg.Fanout.RetryBase,
		RetryMax:   cfg.Fanout.RetryMax,
		Observer:   observer,
		Tracer:     tracing.Tracer(),
		PushSpans:  tracing.Pushes,
		Logger:     d.log.With("component", "fanout"),

		MaxPerSubscriber: cfg.Fanout.MaxSubscriptionsPerClient,
	})
	return err
}

// startGateway starts the client-facing endpoints.
func (d *Daemon) startGateway() error {
	cfg := d.cfg
	tlsCfg, err := listenerTLS("grpc.tls", cfg.GRPC.TLS, alpnGRPC, d.log)
	if err != nil {
		return err
	}
	d.grpc, err = gateway.New(gateway.Options{
		TLS:             tlsCfg,
		Limits:          gatewayLimits(cfg.Limits),
		Addr:            cfg.GRPC.Addr,
		MaxMessageBytes: cfg.GRPC.MaxMessageBytes,
		Transport:       cfg.GRPC.Transport,
		IdleTimeout:     cfg.Session.IdleTimeout,
		DetectTimeout:   cfg.Session.DetectTimeout,
		PushQueue:       cfg.Session.PushQueue,
		ResetTimeout:    cfg.Fleet.ResetTimeout,
		// A moved client's instances are held in any registry (an SDK
		// shed by this gateway may come back to it); a drain awaits them
		// only when the registry outlives the gateway (Daemon.Drain).
		RegistrationGrace: cfg.Fleet.RegistrationGrace,
		MaxMoving:         cfg.Fleet.MaxMoving,
		Requests:          d.tel.requests,
		Config:            d.backend.config,
		Auth:              d.auth,
		Logger:            d.log,
		Kitex: gateway.KitexTuning{
			WriteBufferSize:       cfg.GRPC.WriteBufferSize,
			ReadBufferSize:        cfg.GRPC.ReadBufferSize,
			InitialWindowSize:     cfg.GRPC.InitialWindowSize,
			InitialConnWindowSize: cfg.GRPC.InitialConnWindowSize,
			ReuseWriteBuffer:      cfg.GRPC.ReuseWriteBuffer,
			ReuseFramerBuffer:     cfg.GRPC.ReuseFramerBuffer,
		},
	}, d.reg, d.hub)
	if err != nil {
		return err
	}
	return d.grpc.Start()
}

// startHTTP starts the Nacos 1.x HTTP API and its UDP push socket.
func (d *Daemon) startHTTP() error {
	quietHertz.Do(func() { hlog.SetLevel(hlog.LevelWarn) })
	h := d.cfg.HTTP
	tlsCfg, err := listenerTLS("http.tls", h.TLS, alpnHTTP1, d.log)
	if err != nil {
		return err
	}
	d.http, err = http1.New(http1.Options{
		TLS: tlsCfg, TrustedProxies: trustedProxies(h.TrustedProxies),
		Addr: h.Addr, MaxBodyBytes: h.MaxBodyBytes, UDPAddr: h.UDPAddr, UDPExpiry: h.UDPExpiry,
		UDPMaxSubscribers: h.UDPMaxSubscribers,
		Beats:             http1.BeatRules{Interval: h.BeatInterval, Timeout: h.BeatTimeout, Delete: h.BeatDeleteTimeout},
		BeatCheckInterval: h.BeatCheckInterval,
		Auth:              d.auth,
		Logger:            d.log, Requests: d.tel.requests,
		Config: d.backend.config, MaxLongPolls: d.cfg.Config.MaxLongPolls,
	}, d.reg, d.hub)
	if err != nil {
		return fmt.Errorf("http1: %w", err)
	}
	return d.http.Start()
}

// GRPCAddr is the bound Nacos gRPC address.
func (d *Daemon) GRPCAddr() net.Addr { return d.grpc.Addr() }

// HTTPAddr is the bound Nacos 1.x HTTP address.
func (d *Daemon) HTTPAddr() net.Addr { return d.http.Addr() }

// HTTP exposes the Nacos 1.x endpoint (for stats and tests).
func (d *Daemon) HTTP() *http1.Server { return d.http }

// AdminAddr is the bound admin API address.
func (d *Daemon) AdminAddr() net.Addr { return d.adLn.Addr() }

// Hub exposes the push engine (for stats and tests).
func (d *Daemon) Hub() *fanout.Hub { return d.hub }

// Gateway exposes the gRPC endpoint (for stats and tests).
func (d *Daemon) Gateway() *gateway.Server { return d.grpc }

// Stop shuts Herald down: clients are disconnected, push records flushed
// and the registry closed. It may be called more than once.
func (d *Daemon) Stop() { d.stopOnce.Do(d.stop) }

func (d *Daemon) stop() {
	d.stopping.Store(true)
	d.endLife()
	d.stopParts()
	d.log.Info("herald stopped")
}

// stopAdmin shuts the admin API down.
func (d *Daemon) stopAdmin() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.admin.Shutdown(ctx); err != nil {
		d.log.Warn("admin shutdown", "err", err)
	}
}
