// Package event serves the Nacos 2.x gRPC wire from gnet event loops
// (github.com/panjf2000/gnet/v2), with HTTP/2 frames read and written by
// golang.org/x/net/http2's Framer and header blocks by its hpack package.
//
// No goroutine belongs to a connection: a loop reads whatever arrived,
// parses whole frames, hands stream messages (setup, acks) to the core on
// the loop, and starts a goroutine only for a unary call, which may block
// on the registry. Writes from any goroutine append frames to the
// connection's write buffer under its lock and wake the loop, which writes
// everything buffered in one go; an idle connection holds its HPACK
// decoder, its read framer and its session, no buffers.
//
// Served: h2c with prior knowledge; SETTINGS, PING, WINDOW_UPDATE (flow
// control both ways, fixed windows), HEADERS/CONTINUATION, DATA,
// RST_STREAM, GOAWAY; /Request/request and
// /BiRequestStream/requestBiStream with gRPC status in trailers; gzip
// messages inflated with the bounded compressor; the inbound size limit.
// Not served: TLS (TLS listeners use the Kitex transport), server push,
// priorities (PRIORITY frames are read and ignored).
package event

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	gerrors "github.com/panjf2000/gnet/v2/pkg/errors"
	"golang.org/x/sys/unix"

	"github.com/herald-gateway/herald/gateway/transport"
)

// Options configure the event transport.
type Options struct {
	transport.Options
	// Loops is the number of event loops; 0 = one per CPU.
	Loops int
	// MaxPending caps the bytes a connection may have waiting for the
	// client (flow-control window shut, or its socket not draining); a
	// connection past it is closed. Default 16 MiB.
	MaxPending int
	// StreamWindow and ConnWindow are the receive windows Herald
	// advertises (fixed: replenished as data is consumed, never grown).
	// Default 65535 each, HTTP/2's initial values.
	StreamWindow, ConnWindow int
}

func (o *Options) defaults() {
	if o.MaxPending <= 0 {
		o.MaxPending = 16 << 20
	}
	if o.StreamWindow <= 0 {
		o.StreamWindow = initialWindow
	}
	if o.ConnWindow <= 0 {
		o.ConnWindow = initialWindow
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Transport is the event-loop implementation of transport.Transport.
type Transport struct {
	opts Options
	log  *slog.Logger
	core transport.Core

	eng    gnet.Engine
	addr   net.Addr
	ctx    context.Context // cancelled by Stop: the context of unary calls
	cancel context.CancelFunc
	runErr chan error // gnet.Run's result
	calls  callGroup
	// shut is set once Stop has shut the listener: gnet then reports the
	// acceptor's failed accept as errors, which are the shutdown itself.
	shut atomic.Bool
	// engineDown is closed by the handler's OnShutdown: gnet's engine
	// has begun to stop, and its acceptor no longer runs.
	engineDown     chan struct{}
	engineDownOnce sync.Once

	// mu protects conns and stopping.
	mu       sync.Mutex
	conns    map[*h2conn]struct{}
	stopping bool
}

var _ transport.Transport = (*Transport)(nil)

// New returns an event transport; Start listens.
func New(opts Options) *Transport {
	opts.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Transport{
		opts: opts, log: opts.Logger, ctx: ctx, cancel: cancel,
		runErr: make(chan error, 1), conns: make(map[*h2conn]struct{}), engineDown: make(chan struct{}),
	}
}

// Start implements transport.Transport: it returns once the listener is
// bound (gnet's OnBoot). gnet starts its loops right after OnBoot; a
// connection arriving before they run waits in the accept backlog.
func (t *Transport) Start(core transport.Core) error {
	t.core = core
	booted := make(chan struct{})
	h := &handler{t: t, booted: booted}
	opts := []gnet.Option{
		gnet.WithMulticore(t.opts.Loops == 0),
		gnet.WithLogger(gnetLogger{t.log, &t.shut}),
		gnet.WithReuseAddr(true),
	}
	if t.opts.Loops > 0 {
		opts = append(opts, gnet.WithNumEventLoop(t.opts.Loops))
	}
	go func() { t.runErr <- gnet.Run(h, "tcp://"+t.opts.Addr, opts...) }()
	select {
	case <-booted:
	case err := <-t.runErr:
		return fmt.Errorf("grpc listen %s: %w", t.opts.Addr, err)
	}
	addr, err := boundAddr(t.eng)
	if err != nil {
		t.Stop(context.Background())
		return err
	}
	t.addr = addr
	return nil
}

// boundAddr is the engine's listen address (the port chosen for port 0).
func boundAddr(eng gnet.Engine) (net.Addr, error) {
	fd, err := eng.Dup()
	if err != nil {
		return nil, fmt.Errorf("grpc listener: %w", err)
	}
	defer unix.Close(fd)
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil, fmt.Errorf("grpc listener address: %w", err)
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}, nil
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}, nil
	}
	return nil, fmt.Errorf("grpc listener address: unexpected %T", sa)
}

// Addr implements transport.Transport.
func (t *Transport) Addr() net.Addr { return t.addr }

// Stop implements transport.Transport: every connection is sent GOAWAY
// (NO_ERROR, naming the last stream it started), unary calls under way
// may finish until ctx is done, then the loops stop and close what is
// left.
func (t *Transport) Stop(ctx context.Context) {
	t.mu.Lock()
	if t.stopping {
		t.mu.Unlock()
		return
	}
	t.stopping = true
	conns := make([]*h2conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		c.goAway()
	}
	t.calls.Wait(ctx) // unary calls under way may finish
	t.cancel()
	if t.shutListener() {
		// The acceptor's failed accept starts the engine's shutdown; wait
		// for it, so that the loops are told to stop only after the
		// acceptor has handed over its last connection.
		select {
		case <-t.engineDown:
		case <-time.After(stopBound):
			t.log.Warn("the event transport's acceptor did not stop after its listener was shut", "bound", stopBound)
		}
	}
	// gnet's shutdown waits for every loop to see its stop task; the wait
	// is bounded so a loop that never wakes cannot hang the daemon's stop
	// (it is logged, and its goroutine is left behind).
	bound, cancel := context.WithTimeout(context.Background(), stopBound)
	defer cancel()
	if err := t.eng.Stop(bound); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, gerrors.ErrEngineInShutdown) {
		t.log.Warn("event loops did not stop in time", "err", err, "bound", stopBound)
	}
	select {
	case err := <-t.runErr:
		if err != nil {
			t.log.Debug("event loops ended", "err", err)
		}
	case <-bound.Done():
		t.log.Warn("event loops did not stop in time", "bound", stopBound)
	}
	t.calls.Wait(bound) // what closing the connections started
	t.calls.Retire()
}

// shutListener stops the listening socket before the loops stop. gnet
// v2.9.7's engine tells its event loops to stop before its acceptor; a
// connection accepted in between is handed to a loop that no longer runs
// and is neither served nor closed. Shut for reading, the socket takes no
// more connections (new ones are refused, those not yet accepted are
// reset), and the acceptor's next accept fails, which ends the acceptor
// and starts the engine's shutdown (OnShutdown). Stop waits for that, so
// the acceptor is always gone before the loops are told to stop, and each
// connection it handed over is opened, and closed, by its loop. It
// reports whether the listener was shut.
func (t *Transport) shutListener() bool {
	fd, err := t.eng.Dup()
	if err != nil {
		t.log.Debug("grpc listener already closed", "err", err)
		return false
	}
	defer unix.Close(fd)
	t.shut.Store(true)
	if err := unix.Shutdown(fd, unix.SHUT_RD); err != nil {
		t.log.Warn("shut grpc listener", "err", err)
		return false
	}
	return true
}

// engineStopping records that gnet's engine has begun to stop.
func (t *Transport) engineStopping() { t.engineDownOnce.Do(func() { close(t.engineDown) }) }

// stopBound bounds Stop's wait for gnet's loops and the releases they start.
const stopBound = 10 * time.Second

// track adds or removes a live connection; it refuses new ones once
// stopping.
func (t *Transport) track(c *h2conn, live bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !live {
		delete(t.conns, c)
		return true
	}
	if t.stopping {
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

// gnetLogger sends gnet's own log lines to slog; once the listener is
// shut, its warnings and errors are logged at debug level.
type gnetLogger struct {
	log  *slog.Logger
	shut *atomic.Bool
}

func (l gnetLogger) Debugf(f string, a ...any) {
	l.log.Debug(fmt.Sprintf(f, a...), "component", "gnet")
}
func (l gnetLogger) Infof(f string, a ...any)  { l.log.Debug(fmt.Sprintf(f, a...), "component", "gnet") }
func (l gnetLogger) Warnf(f string, a ...any)  { l.at(slog.LevelWarn, f, a) }
func (l gnetLogger) Errorf(f string, a ...any) { l.at(slog.LevelError, f, a) }
func (l gnetLogger) Fatalf(f string, a ...any) { l.at(slog.LevelError, f, a) }

func (l gnetLogger) at(level slog.Level, f string, a []any) {
	if l.shut.Load() {
		level = slog.LevelDebug
	}
	l.log.Log(context.Background(), level, fmt.Sprintf(f, a...), "component", "gnet")
}
