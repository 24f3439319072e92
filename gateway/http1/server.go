// Package http1 serves the Nacos 1.x HTTP open API (context path /nacos)
// for clients that do not speak gRPC: the Node SDK, older Java clients and
// the Go SDK's persistent (Ephemeral:false) registrations. It registers
// instances in the same Registry as the gRPC gateway, applies the 1.x beat
// rules to ephemeral HTTP instances, and pushes changes to 1.x subscribers
// by UDP through the same fanout.Hub (NACOS_PROTOCOL.md B). It also serves
// the 1.x config API from the gateway's ConfigStore, long polls held as
// Hub subscribers (config.go, longpoll.go).
package http1

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/common/config"
	"github.com/cloudwego/hertz/pkg/network/standard"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway/auth"
	"github.com/herald-gateway/herald/gateway/hertzrun"
	"github.com/herald-gateway/herald/internal/netpollfix"
	"github.com/herald-gateway/herald/internal/tlsfiles"
	"github.com/herald-gateway/herald/upstream"
)

// Options configure a Server. Zero durations take the Nacos defaults.
type Options struct {
	Addr              string        // HTTP listen address
	MaxBodyBytes      int           // largest request body; default 1 MiB
	UDPAddr           string        // UDP push socket; default ":0"
	UDPExpiry         time.Duration // default 3m
	UDPMaxSubscribers int           // default 100000
	Beats             BeatRules     // default 5s / 15s / 30s
	BeatCheckInterval time.Duration // default 5s
	// Auth checks credentials and permissions (gateway/auth); nil builds
	// one from Users and TokenTTL, the legacy plain "username:password"
	// list (each user a global admin; empty = no auth).
	Auth     *auth.Authority
	Users    []string
	TokenTTL time.Duration // default 18000s
	// Now is the clock; default time.Now. With Manual set, no background
	// checks run: tests drive them with CheckBeats and ExpireUDP.
	Now    func() time.Time
	Manual bool
	Logger *slog.Logger
	// Requests, when set, is told of every request served (protocol
	// "http", type "<METHOD> <route>", HTTP status).
	Requests RequestObserver
	// Config serves /nacos/v1/cs (config.go); nil answers those 501.
	Config upstream.ConfigStore
	// MaxLongPolls bounds the config long polls held at once; default
	// 10000. MinLongPollHold is the shortest hold, default 10s (Nacos's
	// MIN_LONG_POOLING_TIMEOUT); tests shorten it.
	MaxLongPolls    int
	MinLongPollHold time.Duration
	// TLS, when set, serves the listener over TLS (Hertz's standard
	// transport: netpoll carries no TLS). Nil: plain text.
	TLS *tls.Config
	// TrustedProxies are the networks whose requests may name another
	// host in clientIP for UDP pushes (udp_target.go); empty: none.
	TrustedProxies []netip.Prefix
}

// RequestObserver is told of every request served; it must be fast and
// safe for concurrent use (telemetry.RequestMetrics implements it).
type RequestObserver interface {
	Observe(protocol, typ string, d time.Duration, code int)
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.UDPExpiry, 3*time.Minute)
	def(&o.Beats.Interval, 5*time.Second)
	def(&o.Beats.Timeout, 15*time.Second)
	def(&o.Beats.Delete, 30*time.Second)
	def(&o.BeatCheckInterval, 5*time.Second)
	def(&o.TokenTTL, 18000*time.Second)
	if o.UDPMaxSubscribers <= 0 {
		o.UDPMaxSubscribers = 100000
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.UDPAddr == "" {
		o.UDPAddr = ":0"
	}
	if o.MaxLongPolls <= 0 {
		o.MaxLongPolls = 10000
	}
	def(&o.MinLongPollHold, 10*time.Second)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Server is the Nacos 1.x HTTP endpoint with its UDP push socket.
type Server struct {
	opts  Options
	reg   upstream.Registry
	hub   *fanout.Hub
	log   *slog.Logger
	beats *beatTable
	udp   *udpPusher
	auth  *auth.Authority
	polls *longPolls // the config long polls held (longpoll.go)
	h     *server.Hertz
	ln    net.Listener
	done  chan struct{}
	// ctx is cancelled by Stop, so a beat check waiting on a slow
	// registry does not hold Stop up.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	stop   sync.Once
}

// New returns a Server for reg and hub; Start makes it listen.
func New(opts Options, reg upstream.Registry, hub *fanout.Hub) (*Server, error) {
	opts.defaults()
	authority := opts.Auth
	if authority == nil {
		var err error
		if authority, err = auth.New(auth.Options{PlainUsers: opts.Users, TTL: opts.TokenTTL}); err != nil {
			return nil, err
		}
	}
	log := opts.Logger.With("component", "http1")
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		opts: opts, reg: reg, hub: hub, log: log, auth: authority,
		beats: newBeatTable(reg, opts.Beats, log),
		polls: newLongPolls(opts.MaxLongPolls),
		done:  make(chan struct{}),
		ctx:   ctx, cancel: cancel,
	}, nil
}

// Start binds the HTTP listener and the UDP socket and starts serving. On
// error nothing is left running.
func (s *Server) Start() error {
	udp, err := newUDPPusher(s.opts.UDPAddr, s.hub, udpLimits{s.opts.UDPExpiry, s.opts.UDPMaxSubscribers}, s.log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		udp.close()
		return fmt.Errorf("http listen %s: %w", s.opts.Addr, err)
	}
	s.udp, s.ln = udp, ln
	hopts := []config.Option{server.WithDisablePrintRoute(true),
		server.WithMaxRequestBodySize(s.opts.MaxBodyBytes), server.WithExitWaitTime(time.Second),
		// A held long poll learns that its client went away.
		server.WithSenseClientDisconnection(true)}
	if s.opts.TLS != nil {
		// Hertz is handed only connections whose handshake completed, on
		// its standard transport (netpoll reads sockets itself).
		tln := tlsfiles.NewListener(ln, s.opts.TLS, s.log)
		hopts = append(hopts, server.WithListener(tln), server.WithTransport(standard.NewTransporter))
	} else {
		nl, err := netpollfix.Listener(ln) // netpoll's own would close its fd twice
		if err != nil {
			ln.Close()
			udp.close()
			return fmt.Errorf("http listen %s: %w", s.opts.Addr, err)
		}
		hopts = append(hopts, server.WithListener(nl))
	}
	s.h = server.New(hopts...)
	s.routes()
	if err := hertzrun.Start(s.h, "http1", s.log); err != nil {
		ln.Close()
		udp.close()
		return err
	}
	s.log.Info("nacos 1.x http endpoint listening", "addr", ln.Addr().String(), "udp", udp.conn.LocalAddr().String())
	s.wg.Add(1)
	go func() { defer s.wg.Done(); udp.readAcks() }()
	if !s.opts.Manual {
		s.wg.Add(1)
		go s.checkLoop()
	}
	return nil
}

// checkLoop applies the beat rules and expires UDP subscriptions every
// BeatCheckInterval until Stop.
func (s *Server) checkLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.BeatCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.CheckBeats(s.opts.Now())
			s.ExpireUDP(s.opts.Now())
		}
	}
}

// CheckBeats applies the beat rules at now (the server does so every
// BeatCheckInterval unless Options.Manual).
func (s *Server) CheckBeats(now time.Time) {
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	s.beats.check(ctx, now)
}

// ExpireUDP drops UDP subscriptions not renewed within UDPExpiry of now.
func (s *Server) ExpireUDP(now time.Time) { s.udp.expire(now) }

// Addr is the bound HTTP address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// UDPAddr is the bound address pushes are sent from.
func (s *Server) UDPAddr() net.Addr { return s.udp.conn.LocalAddr() }

// Stats counts the 1.x ephemeral instances kept alive by beats and the UDP
// subscribers.
func (s *Server) Stats() (beatInstances, udpSubscribers int) {
	return s.beats.size(), s.udp.size()
}

// Stop stops serving, closes the UDP socket and drops the UDP subscribers
// from the Hub (call it before closing the Hub). Instances registered over
// HTTP stay in the registry. It may be called more than once.
func (s *Server) Stop() {
	s.stop.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.polls.stop() // held long polls answer now, not at Shutdown's deadline
		if err := s.h.Shutdown(ctx); err != nil {
			s.log.Warn("http shutdown", "err", err)
		}
		close(s.done)
		s.cancel()
		s.udp.close()
		s.wg.Wait()
	})
}
