package fanout

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// feed is the Hub's state for one watched topic: the newest snapshot, the
// merge window, and the subscriptions.
type feed struct {
	hub    *Hub
	topic  Topic
	policy Policy
	cancel func()

	// mu protects every field below.
	mu      sync.Mutex
	latest  *Snapshot     // newest snapshot received
	base    *Snapshot     // before the first: what subscribers were answered with (config events' prior)
	pushed  int64         // revision of the last dispatch
	merging bool          // a merge window is open
	window  time.Duration // the length of the last window opened (policy.MergeWindowMax)
	closed  time.Time     // when the last window closed
	change  changeTrace   // the trace of the change(s) not yet dispatched
	subs    map[subKey]*subscription
}

// subKey names one subscription within a feed.
type subKey struct {
	id   string
	view string
}

// current returns the newest snapshot the Hub has for the topic, or asks
// the source when none has arrived yet.
func (f *feed) current(ctx context.Context, src Source) (Snapshot, error) {
	f.mu.Lock()
	latest := f.latest
	f.mu.Unlock()
	if latest != nil {
		return *latest, nil
	}
	snap, err := src.Current(ctx, f.topic)
	if err != nil {
		return Snapshot{}, fmt.Errorf("query %s: %w", f.topic, err)
	}
	return snap, nil
}

// add registers (or finds) the subscription of sub with view and returns
// it with the snapshot the client should be answered with: the one given,
// or a newer one if it arrived meanwhile.
func (f *feed) add(sub Subscriber, view string, snap Snapshot) (*subscription, Snapshot) {
	f.mu.Lock()
	if f.latest != nil && f.latest.Revision > snap.Revision {
		snap = *f.latest
	}
	if f.latest == nil && (f.base == nil || f.base.Revision < snap.Revision) {
		f.base = &snap
	}
	k := subKey{sub.ID(), view}
	su := f.subs[k]
	if su == nil {
		su = &subscription{hub: f.hub, sub: sub, topic: f.topic, view: view, policy: &f.policy}
		f.subs[k] = su
	}
	// Marked answered before f.mu is released: a dispatch that finds the
	// subscription must also see that the client has snap already.
	su.answered(snap.Revision)
	f.mu.Unlock()
	return su, snap
}

// remove deletes one subscription and returns it (nil if absent) and how
// many remain.
func (f *feed) remove(k subKey) (*subscription, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	su := f.subs[k]
	delete(f.subs, k)
	return su, len(f.subs)
}

// notify receives a snapshot from the source. With no merge window it is
// dispatched at once; otherwise the first change opens a window and the
// newest snapshot when it closes is dispatched.
func (f *feed) notify(snap Snapshot) {
	f.mu.Lock()
	if f.latest != nil && snap.Revision <= f.latest.Revision {
		f.mu.Unlock()
		return
	}
	prior := f.latest
	if prior == nil {
		prior = f.base
	}
	f.latest, f.base = &snap, nil
	now := f.hub.now()
	f.hub.tr.changed(&f.change, f.topic, snap.Revision, now)
	if f.policy.MergeWindow > 0 {
		if !f.merging {
			f.merging = true
			f.hub.wheel.schedule(now.Add(f.nextWindowLocked(now)), mergeClose{f})
		}
		f.mu.Unlock()
		f.changed(prior, snap, now)
		return
	}
	f.mu.Unlock()
	f.changed(prior, snap, now)
	f.dispatch(now)
}

// nextWindowLocked is the length of a merge window opened now: doubled
// while the topic keeps changing (the change comes within MergeWindowMax
// of the last window's close), MergeWindow after a quiet spell. The
// measure is the cap, not the last window: a Hub behind another (an edge
// behind a core) gets a storm's changes already merged, one just after
// each of its own windows closed.
func (f *feed) nextWindowLocked(now time.Time) time.Duration {
	base, top := f.policy.MergeWindow, f.policy.MergeWindowMax
	switch {
	case top <= base || f.window == 0 || now.Sub(f.closed) >= top:
		f.window = base
	default:
		f.window = min(2*f.window, top)
	}
	return f.window
}

// dispatch sends the newest snapshot to every subscription that has not
// seen it, encoding once per view and wire.
func (f *feed) dispatch(now time.Time) {
	f.mu.Lock()
	f.merging, f.closed = false, now
	change := f.change.take()
	if f.latest == nil || f.latest.Revision <= f.pushed {
		rev := f.pushed
		f.mu.Unlock()
		f.hub.tr.dispatched(change, rev, 0, now)
		return
	}
	snap := *f.latest
	f.pushed = snap.Revision
	groups := make(map[group][]*subscription)
	for _, su := range f.subs {
		g := group{su.view, su.sub.Encoder()}
		groups[g] = append(groups[g], su)
	}
	n := len(f.subs)
	f.mu.Unlock()
	sc := change.context()
	for g, subs := range groups {
		f.hub.send(f.topic, snap, g, subs, sc, now)
	}
	f.hub.tr.dispatched(change, snap.Revision, n, now)
}

// group is the subscriptions that share one encoded push: the same view
// on the same wire.
type group struct {
	view string
	enc  Encoder
}

// mergeClose ends a topic's merge window.
type mergeClose struct{ f *feed }

func (t mergeClose) fire(now time.Time) { t.f.dispatch(now) }
