// Package gateway terminates Nacos client connections. This file holds the
// Nacos 2.x gRPC endpoint's session core: connections, sessions, unary
// dispatch, the outbox, acks and idle detection. The wire (HTTP/2, gRPC
// framing) is a transport's job (gateway/transport): the core sees it only
// through transport.Conn and transport.Stream, and transports call it
// through transport.Core.
package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway/auth"
	"github.com/herald-gateway/herald/gateway/transport"
	"github.com/herald-gateway/herald/gateway/transport/compress"
	"github.com/herald-gateway/herald/gateway/transport/kitex"
	"github.com/herald-gateway/herald/upstream"
)

// Options configure the gRPC endpoint. Zero values take the defaults noted.
type Options struct {
	Addr            string        // listen address; default ":9848"
	MaxMessageBytes int           // largest request body (errorCode 400 above); a gRPC message over it + 64 KiB, declared or inflated, drops the connection; default 10 MiB
	Transport       string        // TransportEvent (default), TransportNetpoll or TransportGonet (both Kitex); TLS is always served by Kitex on gonet
	IdleTimeout     time.Duration // idle time before a ClientDetectionRequest; default 20s
	DetectTimeout   time.Duration // time to answer it; default 5s
	PushQueue       int           // queued server messages per connection; default 1024
	SweepInterval   time.Duration // how often idle connections and acks are checked; default min(3s, IdleTimeout/4, DetectTimeout/2)
	ExitWait        time.Duration // graceful shutdown bound; default 2s
	// ResetTimeout closes a connection still open this long after it was
	// told to move (ConnectResetRequest); default 10s.
	ResetTimeout time.Duration
	// RegistrationGrace keeps the instances of a connection told to move
	// registered this long after it ends, or until they are registered
	// again elsewhere (grace.go); 0 releases them at once.
	RegistrationGrace time.Duration
	// MaxMoving bounds the clients a drain or shed has moving at once
	// (moves.go): the next is told only when one has arrived elsewhere,
	// so the moves go as fast as the fleet takes them. 0: unbounded.
	MaxMoving int
	Requests  RequestObserver      // told of every unary request; optional
	Config    upstream.ConfigStore // the config center Config* requests are served from; nil answers them 501
	Auth      *auth.Authority      // checks every guarded request's token and rights (permit.go); nil or empty = auth off
	Logger    *slog.Logger
	Kitex     KitexTuning
	TLS       *tls.Config // serve TLS (Kitex only; see kitex.Options.TLS); nil: plain text
	Limits    Limits      // per-client bounds (limits.go); zero: none
}

// KitexTuning holds the Kitex transport's HTTP/2 buffer and window
// options (see kitex.Tuning).
type KitexTuning = kitex.Tuning

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.Addr == "" {
		o.Addr = ":9848"
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 10 << 20
	}
	if o.Transport == "" {
		o.Transport = TransportEvent
	}
	def(&o.IdleTimeout, 20*time.Second)
	def(&o.DetectTimeout, 5*time.Second)
	// Sweep often enough that short test timeouts still fire promptly.
	def(&o.SweepInterval, min(3*time.Second, o.IdleTimeout/4, o.DetectTimeout/2))
	def(&o.ExitWait, 2*time.Second)
	def(&o.ResetTimeout, 10*time.Second)
	if o.PushQueue <= 0 {
		o.PushQueue = 1024
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Server is the Nacos 2.x gRPC endpoint.
type Server struct {
	opts Options
	reg  upstream.Registry
	hub  *fanout.Hub
	enc  pushEncoder
	log  *slog.Logger

	tr       transport.Transport
	done     chan struct{} // closed by Stop: ends the sweeper and sheds
	wg       sync.WaitGroup
	draining atomic.Bool  // Drain began: new connections are refused
	grace    *graceKeeper // nil without a registration grace
	moves    *moveBudget  // the moves under way (drain.go)

	refused refusals // what the limits refused (limits.go)

	// mu protects conns and perIP.
	mu    sync.Mutex
	conns map[string]*conn
	perIP map[string]int // open connections by client IP
}

// New returns a gRPC endpoint serving reg and pushing through hub, which
// the caller owns and closes after Stop. Call Start to listen and Stop to
// release every connection.
func New(opts Options, reg upstream.Registry, hub *fanout.Hub) (*Server, error) {
	opts.defaults()
	compress.RaiseGzipLimit(opts.inboundLimit())
	s := &Server{
		opts:  opts,
		reg:   reg,
		log:   opts.Logger.With("component", "grpc"),
		done:  make(chan struct{}),
		conns: make(map[string]*conn),
		perIP: make(map[string]int),
		hub:   hub,
		enc:   pushEncoder{ids: &requestIDs{}},
		moves: newMoveBudget(opts.MaxMoving, opts.ResetTimeout+opts.RegistrationGrace),
	}
	if opts.RegistrationGrace > 0 {
		s.grace = newGraceKeeper(reg, opts.RegistrationGrace, s.log, s.moves.end)
	}
	return s, nil
}

// Start listens and serves in the background.
func (s *Server) Start() error {
	tr, err := s.newTransport()
	if err != nil {
		return err
	}
	if err := tr.Start(core{s}); err != nil {
		return err
	}
	s.tr = tr
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.sweepLoop()
	}()
	s.log.Info("nacos grpc endpoint listening", "addr", tr.Addr().String(), "transport", s.opts.Transport)
	return nil
}

// Addr is the bound listen address (useful with port 0).
func (s *Server) Addr() net.Addr { return s.tr.Addr() }

// Registry is the registry the endpoint serves.
func (s *Server) Registry() upstream.Registry { return s.reg }

// Stop closes the listener and every connection, releasing their
// instances and subscriptions.
func (s *Server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	close(s.done)
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.ExitWait)
	s.tr.Stop(ctx)
	cancel()
	s.wg.Wait()
	if s.grace != nil {
		s.grace.stop() // what is still held is released; moving connections closed now are not held
	}
	for _, c := range s.snapshotConns() {
		s.closeConn(c, "server stopping")
	}
}

// opened is called by the transport for every new connection: a draining
// gateway refuses it; one over a limit is kept only to be told why
// (limits.go, admitLocked).
func (s *Server) opened(nc transport.Conn) (*conn, error) {
	if s.draining.Load() {
		return nil, errDraining
	}
	now := time.Now()
	c := newConn(nc, now, s.closeConn)
	c.enc = s.enc
	c.rate = s.opts.Limits.newBucket(now)
	s.mu.Lock()
	c.refused = s.admitLocked(c)
	s.conns[c.id] = c
	s.mu.Unlock()
	if c.refused != nil {
		s.log.Info("connection refused", "conn", c.id, "err", c.refused)
	}
	return c, nil
}

// release frees everything a connection holds. It runs when the transport
// closes, and is safe to call more than once.
func (s *Server) release(c *conn) {
	c.regMu.Lock()
	regs, moving, first := c.markClosed()
	held := moving && len(regs) > 0 && s.grace != nil && s.grace.hold(c.id, regs)
	if moving && !held {
		s.moves.end(c.id) // nothing held: the move ends with the connection
	}
	for key := range regs {
		if held {
			break
		}
		if err := s.reg.Deregister(context.Background(), c.id, key); err != nil {
			s.log.Error("release registration", "conn", c.id, "service", key.String(), "err", err)
		}
	}
	c.regMu.Unlock()
	if !first {
		return
	}
	s.hub.RemoveSubscriber(c.id)
	s.mu.Lock()
	delete(s.conns, c.id)
	if c.refused == nil {
		s.leaveLocked(c)
	}
	s.mu.Unlock()
	s.log.Debug("connection released", "conn", c.id, "instances", len(regs), "held", held)
}

// closeConn closes the transport and releases the connection at once.
func (s *Server) closeConn(c *conn, reason string) {
	if c.isClosed() {
		return
	}
	s.log.Info("closing connection", "conn", c.id, "reason", reason)
	if err := c.nc.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		s.log.Debug("close transport", "conn", c.id, "err", err)
	}
	s.release(c)
}

func (s *Server) snapshotConns() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.conns))
	for _, c := range s.conns {
		out = append(out, c)
	}
	return out
}

// Stats reports live connections and sessions.
func (s *Server) Stats() (conns, sessions int) {
	for _, c := range s.snapshotConns() {
		conns++
		if _, err := c.session(); err == nil {
			sessions++
		}
	}
	return conns, sessions
}
