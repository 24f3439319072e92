package fanout

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/herald-gateway/herald/upstream"
)

// service is the Hub's state for one upstream subscription: the newest
// snapshot, the merge window, and the subscriptions.
type service struct {
	hub    *Hub
	key    upstream.ServiceKey
	cancel func()

	// mu protects every field below.
	mu      sync.Mutex
	latest  *upstream.Service // newest snapshot received
	pushed  int64             // revision of the last dispatch
	merging bool              // a merge window is open
	change  trace.Span        // the span of the change(s) not yet dispatched; nil when untraced
	subs    map[subKey]*subscription
}

// subKey names one subscription within a service.
type subKey struct {
	id       string
	clusters string
}

// current returns the newest snapshot the Hub has for the service, or asks
// the registry when none has arrived yet.
func (s *service) current(ctx context.Context, reg upstream.Registry) (upstream.Service, error) {
	s.mu.Lock()
	latest := s.latest
	s.mu.Unlock()
	if latest != nil {
		return *latest, nil
	}
	snap, err := reg.Query(ctx, s.key)
	if err != nil {
		return upstream.Service{}, fmt.Errorf("query %s: %w", s.key, err)
	}
	return snap, nil
}

// add registers (or finds) the subscription of sub with clusters and
// returns it with the snapshot the client should be answered with: the one
// given, or a newer one if it arrived meanwhile.
func (s *service) add(sub Subscriber, clusters string, snap upstream.Service) (*subscription, upstream.Service) {
	s.mu.Lock()
	if s.latest != nil && s.latest.Revision > snap.Revision {
		snap = *s.latest
	}
	k := subKey{sub.ID(), clusters}
	su := s.subs[k]
	if su == nil {
		su = &subscription{hub: s.hub, sub: sub, key: s.key, clusters: clusters}
		s.subs[k] = su
	}
	// Marked answered before s.mu is released: a dispatch that finds the
	// subscription must also see that the client has snap already.
	su.answered(snap.Revision)
	s.mu.Unlock()
	return su, snap
}

// remove deletes one subscription and returns it (nil if absent) and how
// many remain.
func (s *service) remove(k subKey) (*subscription, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	su := s.subs[k]
	delete(s.subs, k)
	return su, len(s.subs)
}

// notify receives a snapshot from the registry. With no merge window it is
// dispatched at once; otherwise the first change opens a window and the
// newest snapshot when it closes is dispatched.
func (s *service) notify(snap upstream.Service) {
	s.mu.Lock()
	if s.latest != nil && snap.Revision <= s.latest.Revision {
		s.mu.Unlock()
		return
	}
	s.latest = &snap
	s.traceLocked(snap)
	window := s.hub.opts.MergeWindow
	if window > 0 {
		if !s.merging {
			s.merging = true
			s.hub.wheel.schedule(s.hub.now().Add(window), mergeClose{s})
		}
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.dispatch(s.hub.now())
}

// dispatch sends the newest snapshot to every subscription that has not
// seen it, encoding once per cluster filter and wire.
func (s *service) dispatch(now time.Time) {
	s.mu.Lock()
	s.merging = false
	if s.latest == nil || s.latest.Revision <= s.pushed {
		change := s.change
		s.change = nil
		s.mu.Unlock()
		endChange(change, s.pushed, 0, now)
		return
	}
	snap := *s.latest
	s.pushed = snap.Revision
	change := s.change
	s.change = nil
	groups := make(map[group][]*subscription)
	for _, su := range s.subs {
		g := group{su.clusters, su.sub.Encoder()}
		groups[g] = append(groups[g], su)
	}
	n := len(s.subs)
	s.mu.Unlock()
	var sc trace.SpanContext
	if change != nil {
		sc = change.SpanContext()
	}
	for g, subs := range groups {
		s.hub.send(snap, g, subs, sc, now)
	}
	endChange(change, snap.Revision, n, now)
}

// traceLocked opens the change span at the first change of a merge
// window; later changes merged into it are events on it.
func (s *service) traceLocked(snap upstream.Service) {
	if !s.hub.tracing() {
		return
	}
	now := s.hub.now()
	if s.change == nil {
		s.change = s.hub.startChange(snap, now)
		return
	}
	if s.change.IsRecording() {
		s.change.AddEvent("merged", trace.WithTimestamp(now),
			trace.WithAttributes(AttrRevision.Int64(snap.Revision)))
	}
}

// group is the subscriptions that share one encoded push: the same cluster
// filter on the same wire.
type group struct {
	clusters string
	enc      Encoder
}

// mergeClose ends a service's merge window.
type mergeClose struct{ s *service }

func (t mergeClose) fire(now time.Time) { t.s.dispatch(now) }
