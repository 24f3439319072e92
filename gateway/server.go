// Package gateway terminates Nacos client connections. This file holds the
// Nacos 2.x gRPC endpoint, served with Kitex: /Request/request for unary
// calls and /BiRequestStream/requestBiStream for connection setup, server
// pushes and their acknowledgements.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/cloudwego/kitex/pkg/klog"
	"github.com/cloudwego/kitex/pkg/remote/trans/nphttp2/grpc"
	"github.com/cloudwego/kitex/server"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/internal/nacospb"
	"github.com/herald-gateway/herald/internal/nacospb/birequeststream"
	requestsvc "github.com/herald-gateway/herald/internal/nacospb/request"
	"github.com/herald-gateway/herald/internal/nacospb/requeststream"
	"github.com/herald-gateway/herald/upstream"
)

// Options configure the gRPC endpoint. Zero values take the defaults noted.
type Options struct {
	Addr            string          // listen address; default ":9848"
	MaxMessageBytes int             // largest request body (errorCode 400 above); a gRPC message over it + 64 KiB, declared or inflated, drops the connection; default 10 MiB
	Transport       string          // Kitex transport: TransportNetpoll (default) or TransportGonet
	IdleTimeout     time.Duration   // idle time before a ClientDetectionRequest; default 20s
	DetectTimeout   time.Duration   // time to answer it; default 5s
	PushQueue       int             // queued server messages per connection; default 1024
	SweepInterval   time.Duration   // how often idle connections and acks are checked; default min(3s, IdleTimeout/4, DetectTimeout/2)
	ExitWait        time.Duration   // graceful shutdown bound; default 2s
	Requests        RequestObserver // told of every unary request; optional
	Logger          *slog.Logger
	Kitex           KitexTuning
}

// KitexTuning holds the HTTP/2 transport options that decide memory per
// connection. Buffer sizes are always applied (0 disables a buffer; Kitex's
// own default is 32 KiB); zero windows keep Kitex's defaults. conf supplies
// the measured defaults; see benchmarks/RESULTS.md.
type KitexTuning struct {
	WriteBufferSize       int
	ReadBufferSize        int
	InitialWindowSize     int
	InitialConnWindowSize int
	ReuseWriteBuffer      bool
	ReuseFramerBuffer     bool
}

// options turns the tuning into Kitex server options.
func (k KitexTuning) options() []server.Option {
	opts := []server.Option{
		server.WithGRPCWriteBufferSize(uint32(k.WriteBufferSize)),
		server.WithGRPCReadBufferSize(uint32(k.ReadBufferSize)),
	}
	if k.InitialWindowSize > 0 {
		opts = append(opts, server.WithGRPCInitialWindowSize(uint32(k.InitialWindowSize)))
	}
	if k.InitialConnWindowSize > 0 {
		opts = append(opts, server.WithGRPCInitialConnWindowSize(uint32(k.InitialConnWindowSize)))
	}
	if k.ReuseWriteBuffer || k.ReuseFramerBuffer {
		opts = append(opts, server.WithGRPCReuseWriteBuffer(grpc.ReuseWriteBufferConfig{
			Enable: k.ReuseWriteBuffer, EnableReuseHTTP2FramerBuffer: k.ReuseFramerBuffer,
		}))
	}
	return opts
}

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
		o.Transport = TransportNetpoll
	}
	def(&o.IdleTimeout, 20*time.Second)
	def(&o.DetectTimeout, 5*time.Second)
	// Sweep often enough that short test timeouts still fire promptly.
	def(&o.SweepInterval, min(3*time.Second, o.IdleTimeout/4, o.DetectTimeout/2))
	def(&o.ExitWait, 2*time.Second)
	if o.PushQueue <= 0 {
		o.PushQueue = 1024
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// quietKitex sets klog's global level once: SetLevel races with logging.
var quietKitex sync.Once

// Server is the Nacos 2.x gRPC endpoint.
type Server struct {
	opts Options
	reg  upstream.Registry
	hub  *fanout.Hub
	enc  pushEncoder
	log  *slog.Logger

	ln   net.Listener
	ksvr server.Server
	exit chan error    // closed by Stop: ends the Kitex server's Run
	done chan struct{} // closed by Stop: ends the sweeper
	wg   sync.WaitGroup

	// mu protects conns.
	mu    sync.Mutex
	conns map[string]*conn
}

// New returns a gRPC endpoint serving reg and pushing through hub, which
// the caller owns and closes after Stop. Call Start to listen and Stop to
// release every connection.
//
// Kitex logs every closed transport at Info and Warn through its global
// klog; Herald logs connection events itself, so klog is set to Error.
func New(opts Options, reg upstream.Registry, hub *fanout.Hub) (*Server, error) {
	opts.defaults()
	raiseGzipLimit(opts.inboundLimit())
	quietKitex.Do(func() { klog.SetLevel(klog.LevelError) })
	s := &Server{
		opts:  opts,
		reg:   reg,
		log:   opts.Logger.With("component", "grpc"),
		exit:  make(chan error),
		done:  make(chan struct{}),
		conns: make(map[string]*conn),
		hub:   hub,
		enc:   pushEncoder{ids: &requestIDs{}},
	}
	return s, nil
}

// Start listens and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("grpc listen %s: %w", s.opts.Addr, err)
	}
	s.ln = ln
	if s.ksvr, err = s.newKitex(ln); err != nil {
		ln.Close()
		return err
	}
	if err := s.register(); err != nil {
		ln.Close()
		return err
	}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := s.ksvr.Run(); err != nil {
			s.log.Error("kitex server stopped", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		s.sweepLoop()
	}()
	s.log.Info("nacos grpc endpoint listening", "addr", ln.Addr().String())
	return nil
}

func (s *Server) newKitex(ln net.Listener) (server.Server, error) {
	transport, err := s.transportOptions()
	if err != nil {
		return nil, err
	}
	hooks := &transportHooks{opened: s.opened, closed: s.release}
	opts := append(s.opts.Kitex.options(), transport...)
	opts = append(opts,
		server.WithListener(ln),
		server.WithBoundHandler(hooks),
		server.WithExitSignal(func() <-chan error { return s.exit }),
		server.WithExitWaitTime(s.opts.ExitWait),
		// Nacos SDKs ping every 60 s with PermitWithoutStream; a lenient
		// policy means a client is never sent too_many_pings.
		server.WithGRPCKeepaliveEnforcementPolicy(grpc.EnforcementPolicy{
			MinTime: 5 * time.Second, PermitWithoutStream: true,
		}),
	)
	return server.NewServer(opts...), nil
}

func (s *Server) register() error {
	if err := requestsvc.RegisterService(s.ksvr, &requestHandler{s}); err != nil {
		return fmt.Errorf("register Request service: %w", err)
	}
	if err := birequeststream.RegisterService(s.ksvr, &streamHandler{s}); err != nil {
		return fmt.Errorf("register BiRequestStream service: %w", err)
	}
	if err := requeststream.RegisterService(s.ksvr, &unimplementedStream{}); err != nil {
		return fmt.Errorf("register RequestStream service: %w", err)
	}
	return nil
}

// Addr is the bound listen address (useful with port 0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

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
	close(s.exit)
	s.wg.Wait()
	// Kitex may not have taken the listener over yet when Stop follows
	// Start closely; closing it here frees the port either way.
	if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		s.log.Debug("close listener", "err", err)
	}
	for _, c := range s.snapshotConns() {
		s.closeConn(c, "server stopping")
	}
}

// opened is called by Kitex for every new transport.
func (s *Server) opened(nc net.Conn) *conn {
	c := newConn(s.closable(nc), time.Now(), s.closeConn)
	c.enc = s.enc
	s.mu.Lock()
	s.conns[c.id] = c
	s.mu.Unlock()
	return c
}

// release frees everything a connection holds. It runs when the transport
// closes, and is safe to call more than once.
func (s *Server) release(c *conn) {
	c.regMu.Lock()
	regs, first := c.markClosed()
	for _, key := range regs {
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
	s.mu.Unlock()
	s.log.Debug("connection released", "conn", c.id, "instances", len(regs))
}

// closeConn closes the transport and releases the connection at once.
func (s *Server) closeConn(c *conn, reason string) {
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

// unimplementedStream answers /RequestStream/requestStream, which no SDK
// uses.
type unimplementedStream struct{}

func (unimplementedStream) RequestStream(*nacospb.Payload, nacospb.RequestStream_RequestStreamServer) error {
	return errors.New("RequestStream is not implemented by Herald")
}
