// Package kitex serves the Nacos 2.x gRPC wire with Kitex (nphttp2 on
// netpoll or gonet) for the session core: /Request/request for unary
// calls and /BiRequestStream/requestBiStream for connection setup, server
// pushes and their acknowledgements. It adapts Kitex to transport.Core.
package kitex

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/cloudwego/kitex/pkg/klog"
	"github.com/cloudwego/kitex/pkg/remote/codec/protobuf/encoding"
	"github.com/cloudwego/kitex/pkg/remote/trans/nphttp2/grpc"
	"github.com/cloudwego/kitex/server"

	"github.com/herald-gateway/herald/gateway/transport"
	"github.com/herald-gateway/herald/gateway/transport/compress"
	"github.com/herald-gateway/herald/internal/nacospb"
	"github.com/herald-gateway/herald/internal/nacospb/birequeststream"
	requestsvc "github.com/herald-gateway/herald/internal/nacospb/request"
	"github.com/herald-gateway/herald/internal/nacospb/requeststream"
	"github.com/herald-gateway/herald/internal/netpollfix"
	"github.com/herald-gateway/herald/internal/tlsfiles"
)

// Kitex's own gzip inflates without bound; Herald's stops at the inbound
// limit. Kitex's compressor registry is process-wide and only safe to
// write during init.
func init() {
	encoding.RegisterCompressor(compress.Gzip)
}

// Options configure the Kitex transport.
type Options struct {
	transport.Options
	Poller   string        // PollerNetpoll (default) or PollerGonet
	ExitWait time.Duration // graceful shutdown bound
	Tuning   Tuning
	// TLS, when set, serves TLS (its config should advertise ALPN "h2",
	// which gRPC clients require). netpoll reads sockets itself and
	// cannot carry TLS, so TLS is always served on gonet.
	TLS *tls.Config
}

// Tuning holds the HTTP/2 transport options that decide memory per
// connection. Buffer sizes are always applied (0 disables a buffer; Kitex's
// own default is 32 KiB); zero windows keep Kitex's defaults. conf supplies
// the measured defaults; see benchmarks/RESULTS.md.
type Tuning struct {
	WriteBufferSize       int
	ReadBufferSize        int
	InitialWindowSize     int
	InitialConnWindowSize int
	ReuseWriteBuffer      bool
	ReuseFramerBuffer     bool
}

// options turns the tuning into Kitex server options.
func (k Tuning) options() []server.Option {
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

// quietKitex sets klog's global level once: SetLevel races with logging.
var quietKitex sync.Once

// Transport is the Kitex implementation of transport.Transport.
type Transport struct {
	opts Options
	log  *slog.Logger

	ln   net.Listener
	ksvr server.Server
	exit chan error // closed by Stop: ends the Kitex server's Run
	wg   sync.WaitGroup
}

var _ transport.Transport = (*Transport)(nil)

// New returns a Kitex transport; Start listens.
//
// Kitex logs every closed transport at Info and Warn through its global
// klog; Herald logs connection events itself, so klog is set to Error.
func New(opts Options) *Transport {
	if opts.Poller == "" {
		opts.Poller = PollerNetpoll
	}
	if opts.TLS != nil && opts.Poller != PollerGonet {
		opts.Logger.Info("grpc TLS is served on Kitex gonet (netpoll carries no TLS)", "poller", opts.Poller)
		opts.Poller = PollerGonet
	}
	quietKitex.Do(func() { klog.SetLevel(klog.LevelError) })
	return &Transport{opts: opts, log: opts.Logger, exit: make(chan error)}
}

// Start implements transport.Transport.
func (s *Transport) Start(core transport.Core) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("grpc listen %s: %w", s.opts.Addr, err)
	}
	if s.opts.TLS != nil {
		// Kitex is handed only connections whose handshake completed.
		ln = tlsfiles.NewListener(ln, s.opts.TLS, s.log)
	} else if s.opts.Poller != PollerGonet {
		nl, err := netpollfix.Listener(ln) // netpoll's own would close its fd twice
		if err != nil {
			ln.Close()
			return fmt.Errorf("grpc listen %s: %w", s.opts.Addr, err)
		}
		ln = nl
	}
	s.ln = ln
	if s.ksvr, err = s.newKitex(ln, core); err != nil {
		ln.Close()
		return err
	}
	if err := s.register(core); err != nil {
		ln.Close()
		return err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.ksvr.Run(); err != nil {
			s.log.Error("kitex server stopped", "err", err)
		}
	}()
	return nil
}

func (s *Transport) newKitex(ln net.Listener, core transport.Core) (server.Server, error) {
	poller, err := s.transportOptions()
	if err != nil {
		return nil, err
	}
	hooks := &transportHooks{core: core, wrap: s.closable}
	opts := append(s.opts.Tuning.options(), poller...)
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

func (s *Transport) register(core transport.Core) error {
	if err := requestsvc.RegisterService(s.ksvr, &requestHandler{core}); err != nil {
		return fmt.Errorf("register Request service: %w", err)
	}
	if err := birequeststream.RegisterService(s.ksvr, &streamHandler{core}); err != nil {
		return fmt.Errorf("register BiRequestStream service: %w", err)
	}
	if err := requeststream.RegisterService(s.ksvr, &unimplementedStream{}); err != nil {
		return fmt.Errorf("register RequestStream service: %w", err)
	}
	return nil
}

// Addr implements transport.Transport.
func (s *Transport) Addr() net.Addr { return s.ln.Addr() }

// Stop implements transport.Transport: Kitex shuts down gracefully
// within ExitWait.
func (s *Transport) Stop(context.Context) {
	close(s.exit)
	s.wg.Wait()
	// Kitex may not have taken the listener over yet when Stop follows
	// Start closely; closing it here frees the port either way.
	if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		s.log.Debug("close listener", "err", err)
	}
}

// requestHandler adapts the core to Kitex's Request service.
type requestHandler struct{ core transport.Core }

// Request serves /Request/request: the core answers every failure
// in-band, so the gRPC call itself always succeeds.
func (h requestHandler) Request(ctx context.Context, p *nacospb.Payload) (*nacospb.Payload, error) {
	return h.core.Unary(ctx, sessionFrom(ctx), p), nil
}

// streamHandler adapts the core to Kitex's BiRequestStream service.
type streamHandler struct{ core transport.Core }

// RequestBiStream serves /BiRequestStream/requestBiStream: every client
// message goes to the core in order; when the stream ends, the core ends
// the connection.
func (h streamHandler) RequestBiStream(stream nacospb.BiRequestStream_RequestBiStreamServer) error {
	s := sessionFrom(stream.Context())
	if s == nil {
		return errors.New("stream outside a tracked transport")
	}
	defer h.core.StreamEnded(s)
	out := streamSender{stream}
	for {
		p, err := stream.Recv()
		if err != nil {
			return nil
		}
		h.core.StreamMessage(s, out, p)
	}
}

// frame is a pre-encoded Payload message. Kitex's gRPC codec copies it
// through Size/MarshalTo, so one encoding serves every connection.
type frame []byte

// Size is the encoded length.
func (f frame) Size() int { return len(f) }

// MarshalTo copies the encoded bytes into data.
func (f frame) MarshalTo(data []byte) (int, error) { return copy(data, f), nil }

// streamSender is the bidi stream as transport.Stream. SendMsg may block
// on flow control, so the core drains it from a writer goroutine.
type streamSender struct {
	stream nacospb.BiRequestStream_RequestBiStreamServer
}

// Send implements transport.Stream.
func (s streamSender) Send(msg []byte) error { return s.stream.SendMsg(frame(msg)) }

// unimplementedStream answers /RequestStream/requestStream, which no SDK
// uses.
type unimplementedStream struct{}

func (unimplementedStream) RequestStream(*nacospb.Payload, nacospb.RequestStream_RequestStreamServer) error {
	return errors.New("RequestStream is not implemented by Herald")
}
