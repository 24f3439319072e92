package nacoslink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/herald-gateway/herald/internal/nacoswire"
)

// run is the link's connection manager: connect, serve, reconnect to the
// next server with capped backoff, until Close.
func (l *Link) run() {
	defer l.wg.Done()
	failures := 0
	for i := 0; !l.stopped(); i++ {
		server := l.opts.Servers[i%len(l.opts.Servers)]
		s, err := l.connect(server)
		if err != nil {
			l.connectFailed(server, err, failures)
			if !l.sleep(backoff(failures, l.opts.BackoffMax)) {
				return
			}
			failures++
			continue
		}
		failures = 0
		l.serve(s)
	}
}

// connect dials server, bounded by the request timeout and Close.
func (l *Link) connect(server string) (*session, error) {
	return dial(l.ctx, server, l.opts, l.tokens, l.onServerRequest)
}

// connectFailed records a failed attempt; the first of a series is a
// warning, the rest are debug noise.
func (l *Link) connectFailed(server string, err error, failures int) {
	l.mu.Lock()
	l.state.server, l.state.lastErr = server, err
	l.mu.Unlock()
	lvl := slog.LevelDebug
	if failures == 0 {
		lvl = slog.LevelWarn
	}
	l.log.Log(context.Background(), lvl, "upstream unreachable, retrying", "server", server, "err", err)
}

// serve runs one session: redo, then sync, health checks and sweeps until
// the session ends or the link closes.
func (l *Link) serve(s *session) {
	l.attach(s)
	l.redo(s)
	health := time.NewTicker(l.opts.HealthInterval)
	defer health.Stop()
	sweep := time.NewTicker(sweepPeriod(l.opts))
	defer sweep.Stop()
	fails := 0
	for {
		select {
		case <-l.stop:
			l.detach(s, errLinkClosed)
			return
		case <-s.done:
			l.detach(s, s.err)
			return
		case <-l.kick:
			l.sync(s)
		case <-sweep.C:
			l.sync(s) // sweeps first
		case <-health.C:
			if fails = l.healthCheck(s, fails); fails >= healthFailures {
				s.fail(fmt.Errorf("%d health checks failed", fails))
			}
		}
	}
}

// errLinkClosed is why the session ends on Close.
var errLinkClosed = errors.New("link closed")

// sweepPeriod is how often linger and resync deadlines are checked. No
// linger (negative) needs no sweeping: the last unsubscribe wakes the run
// loop, which ends the subscription at once.
func sweepPeriod(o Options) time.Duration {
	d := o.ResyncGrace
	if o.Linger > 0 {
		d = min(d, o.Linger)
	}
	return max(d/4, 10*time.Millisecond)
}

// healthCheck sends HealthCheckRequest and returns the failure streak.
// Errors 300..399 count as healthy, as in the SDKs.
func (l *Link) healthCheck(s *session, fails int) int {
	err := s.call(l.ctx, nacoswire.TypeHealthCheckRequest, nacoswire.Internal(""), nil)
	var e *Error
	if err == nil || errors.As(err, &e) && e.Code >= 300 && e.Code < 400 && e.Code != errUnregistered {
		return 0
	}
	l.log.Warn("upstream health check failed", "server", s.server, "err", err)
	return fails + 1
}

// attach makes s the current session: every subscription must be renewed
// and every registration resent on it.
func (l *Link) attach(s *session) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state.connID != "" || l.state.reconnects > 0 || !l.state.since.IsZero() {
		l.state.reconnects++
	}
	l.sess = s
	l.state.server, l.state.connID, l.state.since = s.server, s.id, l.now()
	l.state.lastErr, l.state.redone = nil, false
	clear(l.unsubs) // the new connection holds no subscriptions
	for _, sub := range l.subs {
		sub.upstream, sub.lastRef, sub.failures, sub.retryAt = false, 0, 0, time.Time{}
	}
	for _, r := range l.regs {
		r.dirty, r.sent, r.failures, r.retryAt = true, nil, 0, time.Time{}
	}
	l.resetConfigs()
	l.log.Info("upstream connected", "server", s.server, "connectionId", s.id)
}

// detach forgets s and closes it. Snapshots are kept: clients keep their
// last good lists until the upstream is back.
func (l *Link) detach(s *session, why error) {
	l.mu.Lock()
	if l.sess == s {
		l.sess = nil
		l.state.lastErr, l.state.since, l.state.redone = why, l.now(), false
		for _, sub := range l.subs {
			sub.held = nil // a drop seen as the upstream went away is not the truth
		}
	}
	l.mu.Unlock()
	s.close()
	if !l.stopped() {
		l.log.Warn("upstream connection lost, reconnecting", "server", s.server, "err", why)
	}
}

// redo resends every registration, then every subscription, and starts
// the resync grace.
func (l *Link) redo(s *session) {
	l.redoRegistrations(s)
	l.sync(s)
	l.mu.Lock()
	if l.sess == s {
		l.state.redone = true
		l.state.resyncEnd = l.now().Add(l.opts.ResyncGrace)
	}
	l.mu.Unlock()
}
