package nacoslink

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/upstream"
)

// Subscribe implements upstream.Registry. It never waits for the network:
// the first local subscriber of a service registers it here and the run
// loop subscribes upstream; later ones (and any within the linger) share
// that subscription and get its current snapshot at once.
func (l *Link) Subscribe(key upstream.ServiceKey, notify func(upstream.Service)) (func(), error) {
	key = key.Normalize()
	if err := upstream.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("subscribe %s: %w", key, err)
	}
	if notify == nil {
		return nil, fmt.Errorf("subscribe %s: notify must not be nil: %w", key, upstream.ErrInvalid)
	}
	b := upstream.NewMailbox(notify)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, fmt.Errorf("subscribe %s: %w", key, upstream.ErrClosed)
	}
	sub := l.subs[key]
	fresh := sub == nil
	if fresh {
		sub = newSubscription(key)
		l.subs[key] = sub
	}
	sub.boxes[b] = struct{}{}
	sub.idleSince = time.Time{}
	if sub.snap != nil {
		b.Offer(*sub.snap)
	}
	l.mu.Unlock()
	go b.Run()
	if fresh {
		l.wake()
	}
	return func() { l.unsubscribe(sub, b) }, nil
}

// unsubscribe removes one local subscriber; the last one starts the
// linger.
func (l *Link) unsubscribe(sub *subscription, b *upstream.Mailbox[upstream.Service]) {
	l.mu.Lock()
	if _, ok := sub.boxes[b]; ok {
		delete(sub.boxes, b)
		if len(sub.boxes) == 0 {
			sub.idleSince = l.now()
		}
	}
	l.mu.Unlock()
	b.Stop()
	l.wake()
}

// sweep ends subscriptions whose linger expired and releases held drops
// to zero that have stood for the grace outside a resync.
func (l *Link) sweep(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	resyncing := l.resyncing(now)
	for key, sub := range l.subs {
		if len(sub.boxes) == 0 && !sub.idleSince.IsZero() && now.Sub(sub.idleSince) >= l.opts.Linger {
			delete(l.subs, key)
			if sub.upstream {
				l.unsubs[key] = unsub{}
			}
			continue
		}
		if sub.release(now, l.opts.ResyncGrace, resyncing) {
			l.count.Notified++
		}
	}
}

// resyncing reports whether empty drops are held back (see the package
// doc). Callers hold mu.
func (l *Link) resyncing(now time.Time) bool {
	return l.sess == nil || !l.state.redone || now.Before(l.state.resyncEnd)
}

// sync brings the upstream in line with the local state: expired
// subscriptions ended, new ones made, registrations resent.
func (l *Link) sync(s *session) {
	l.sweep(l.now())
	l.mu.Lock()
	now := l.now()
	unsubs := make(map[upstream.ServiceKey]unsub)
	for key, u := range l.unsubs {
		switch {
		case l.subs[key] != nil: // subscribed again: the subscribe below renews it
			delete(l.unsubs, key)
		case !now.Before(u.retryAt):
			unsubs[key] = u
			delete(l.unsubs, key)
		}
	}
	var todo []upstream.ServiceKey
	for key, sub := range l.subs {
		if !sub.upstream && !now.Before(sub.retryAt) {
			todo = append(todo, key)
		}
	}
	l.mu.Unlock()
	for key, u := range unsubs {
		l.unsubscribeUpstream(s, key, u)
	}
	for _, key := range todo {
		l.subscribeUpstream(s, key, true)
	}
	l.syncConfigs(s)
	l.flushDirty()
}

// subscribeUpstream sends one SubscribeServiceRequest (or unsubscribe) on
// s and applies the snapshot it returns.
func (l *Link) subscribeUpstream(s *session, key upstream.ServiceKey, on bool) {
	var resp nacoswire.ServiceInfoResponse
	err := s.call(l.ctx, nacoswire.TypeSubscribeServiceRequest,
		nacoswire.SubscribeServiceRequest{NamingRequest: nacoswire.Naming(key), Subscribe: on}, &resp)
	l.mu.Lock()
	defer l.mu.Unlock()
	sub := l.subs[key]
	if err != nil {
		l.subscribeFailed(sub, key, on, err)
		return
	}
	if on {
		l.count.Subscribes++
	} else {
		l.count.Unsubscribes++
	}
	if !on || sub == nil || l.sess != s {
		return
	}
	sub.upstream, sub.failures, sub.retryAt = true, 0, time.Time{}
	if resp.ServiceInfo != nil {
		l.apply(sub, resp.ServiceInfo)
	}
}

// unsub is an upstream subscription to end; a failed unsubscribe is
// retried after a backoff that doubles with each failure, not at every
// sync.
type unsub struct {
	failures int
	retryAt  time.Time
}

// unsubscribeUpstream ends key's upstream subscription on s; a failure
// is kept for a retry after its backoff (logged at warn the first time).
func (l *Link) unsubscribeUpstream(s *session, key upstream.ServiceKey, u unsub) {
	err := s.call(l.ctx, nacoswire.TypeSubscribeServiceRequest,
		nacoswire.SubscribeServiceRequest{NamingRequest: nacoswire.Naming(key), Subscribe: false}, nil)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.count.Unsubscribes++
		return
	}
	lvl := slog.LevelWarn
	if u.failures > 0 {
		lvl = slog.LevelDebug
	}
	l.log.Log(l.ctx, lvl, "upstream unsubscribe failed", "service", key.String(), "failures", u.failures+1, "err", err)
	if l.subs[key] == nil && l.sess == s {
		l.unsubs[key] = unsub{failures: u.failures + 1, retryAt: l.now().Add(backoff(u.failures, l.opts.BackoffMax))}
	}
}

// subscribeFailed logs a failed (un)subscribe and backs the subscription
// off, so a failing service neither floods the log nor holds up the run
// loop. Callers hold mu.
func (l *Link) subscribeFailed(sub *subscription, key upstream.ServiceKey, on bool, err error) {
	lvl := slog.LevelWarn
	if sub != nil && on {
		if sub.failures > 0 {
			lvl = slog.LevelDebug
		}
		sub.retryAt = l.now().Add(backoff(sub.failures, l.opts.BackoffMax))
		sub.failures++
	}
	l.log.Log(l.ctx, lvl, "upstream subscribe failed", "service", key.String(), "subscribe", on, "err", err)
}

// apply feeds an upstream ServiceInfo into sub. Callers hold mu.
func (l *Link) apply(sub *subscription, info *upstream.ServiceInfo) {
	now := l.now()
	if sub.receive(info.Hosts, info.LastRefTime, now, l.resyncing(now)) {
		l.count.Notified++
	}
}
