// Package nacoslink is Herald's Nacos upstream: an upstream.Registry that
// speaks the Nacos 2.x gRPC protocol, as a client, to an upstream cluster (a
// Nacos server or another Herald), through the same Kitex-generated code
// the gateway serves with.
//
// One connection at a time: ServerCheck, bidi stream, ConnectionSetup,
// HealthCheckRequest every HealthInterval (3 failures, a broken stream, a
// 301 answer or a ConnectResetRequest → reconnect to the next server with
// capped backoff). ClientDetectionRequest and NotifySubscriberRequest are
// acknowledged on the stream. After every (re)connect the link redoes its
// registrations, then its subscriptions.
//
// Coalescing: one upstream subscription per service key (all clusters),
// reference-counted over local Subscribe calls; cluster filters are
// applied by the gateway. The last local subscriber leaving starts the
// linger; the upstream subscription ends when it expires unused.
//
// Push-empty protection: while disconnected nothing is notified and every
// snapshot is kept, so clients keep their last good list. While resyncing
// (from a connect until its redo of registrations and subscriptions has
// completed, plus ResyncGrace for the upstream's other clients to come
// back), a snapshot that loses instances compared with the last one
// notified is held back; the latest held snapshot is forwarded when the
// resync ends. A drop from some instances to none is held back at any
// time until it has stood for ResyncGrace. A held snapshot is discarded
// when the connection ends first (an upstream shutting down releases its
// clients' instances just before its connections close) or when the
// instances come back. Snapshots whose instances equal the last one
// notified are never forwarded, so after a reconnect only real differences
// are pushed.
package nacoslink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/herald-gateway/herald/upstream"
)

// ErrUnavailable is returned when the upstream is needed and not
// connected.
var ErrUnavailable = errors.New("upstream unavailable")

// Link is a Nacos upstream registry. Create it with New; it connects in
// the background and keeps reconnecting until Close.
type Link struct {
	opts Options
	log  *slog.Logger
	kick chan struct{} // buffered 1: the run loop has work (sync)
	stop chan struct{} // closed by Close
	// ctx is cancelled by Close: it bounds the run loop's upstream calls.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
	tokens *tokens // the accessToken of every request; nil without credentials

	// mu protects everything below and the mutable fields of the
	// subscriptions and registrations in the maps.
	mu     sync.Mutex
	sess   *session // nil while not connected
	state  connState
	subs   map[upstream.ServiceKey]*subscription
	unsubs map[upstream.ServiceKey]unsub // expired subscriptions to end upstream
	regs   map[upstream.ServiceKey]*registration
	cfgs   map[upstream.ConfigKey]*configWatch
	cfgRev int64 // last config revision handed out (config.go)
	count  Counters
	closed bool
}

// connState describes the upstream connection for Ready and Status.
type connState struct {
	server     string
	connID     string
	since      time.Time // connected (or first failure) at
	reconnects int
	lastErr    error
	redone     bool      // the redo after the last connect completed
	resyncEnd  time.Time // resync ends at (valid when redone)
}

var (
	_ upstream.Registry = (*Link)(nil)
	_ upstream.Ready    = (*Link)(nil)
)

// New starts a link with o. It returns at once: an unreachable upstream is
// reported by Ready and Status, not by New. Invalid options are an error
// that names the field.
func New(o Options) (*Link, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("nacos upstream: %w", err)
	}
	l := &Link{
		opts: o, log: o.Logger,
		kick: make(chan struct{}, 1), stop: make(chan struct{}),
		subs:   make(map[upstream.ServiceKey]*subscription),
		unsubs: make(map[upstream.ServiceKey]unsub),
		regs:   make(map[upstream.ServiceKey]*registration),
		cfgs:   make(map[upstream.ConfigKey]*configWatch),
	}
	if o.Credentials.enabled() {
		l.tokens = newTokens(o)
	}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.state.lastErr = errors.New("not connected yet")
	l.wg.Add(1)
	go l.run()
	return l, nil
}

func (l *Link) now() time.Time { return l.opts.Now() }

// wake asks the run loop to sync without blocking.
func (l *Link) wake() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Ready implements upstream.Ready: nil while connected and in sync.
func (l *Link) Ready() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return upstream.ErrClosed
	case l.sess == nil:
		return fmt.Errorf("%w: not connected to %v: %v", ErrUnavailable, l.opts.Servers, l.state.lastErr)
	case !l.state.redone:
		return fmt.Errorf("upstream %s: resyncing registrations and subscriptions", l.state.server)
	}
	return nil
}

// Close stops the link: the connection is closed (the upstream drops this
// gateway's instances and subscriptions) and every subscription stops.
func (l *Link) Close() error {
	l.once.Do(func() {
		close(l.stop)
		l.cancel()
		l.wg.Wait()
		l.mu.Lock()
		l.closed = true
		for _, sub := range l.subs {
			sub.stopAll()
		}
		l.stopConfigs()
		l.mu.Unlock()
	})
	return nil
}

// stopped reports whether Close was called.
func (l *Link) stopped() bool {
	select {
	case <-l.stop:
		return true
	default:
		return false
	}
}

// sleep waits d or until Close; false means stop.
func (l *Link) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.stop:
		return false
	}
}
