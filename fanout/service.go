package fanout

import (
	"context"
	"fmt"

	"github.com/herald-gateway/herald/upstream"
)

// current returns the newest snapshot the Hub has seen for the service, or
// asks the registry when no notification has arrived yet.
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

// add records sub with the snapshot it is about to be answered with and
// returns that snapshot, or a newer one if a change arrived meanwhile.
func (s *service) add(sub Subscriber, clusters string, snap upstream.Service) upstream.Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.latest != nil && s.latest.Revision > snap.Revision {
		snap = *s.latest
	}
	// Pushes come from latest and snap is at least latest, so a renewed
	// subscription never goes back in revision here.
	s.subs[subKey{sub.ID(), clusters}] = &subscription{sub: sub, clusters: clusters, lastRev: snap.Revision}
	return snap
}

// remove deletes one subscription and returns how many remain.
func (s *service) remove(k subKey) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.subs, k)
	return len(s.subs)
}

// advance records s as the newest snapshot and returns, grouped by cluster
// filter, the subscribers that have not seen it yet. Stale snapshots give
// nothing.
func (s *service) advance(snap upstream.Service) map[string][]Subscriber {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.latest != nil && snap.Revision <= s.latest.Revision {
		return nil
	}
	s.latest = &snap
	groups := make(map[string][]Subscriber)
	for _, sub := range s.subs {
		if sub.lastRev >= snap.Revision {
			continue
		}
		sub.lastRev = snap.Revision
		groups[sub.clusters] = append(groups[sub.clusters], sub.sub)
	}
	return groups
}
