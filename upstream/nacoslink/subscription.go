package nacoslink

import (
	"time"

	"github.com/herald-gateway/herald/upstream"
)

// subscription is the link's one upstream subscription of a service and
// its local subscribers. Its fields are protected by Link.mu.
type subscription struct {
	key       upstream.ServiceKey
	boxes     map[*upstream.Mailbox]struct{} // local subscribers
	idleSince time.Time                      // last local subscriber left (zero while used)
	upstream  bool                           // subscribed on the current session
	snap      *upstream.Service              // last snapshot notified (nil before the first)
	ready     chan struct{}                  // closed when snap is first set
	held      *heldEmpty                     // a drop to zero instances not yet forwarded
	pushes    uint64                         // upstream pushes received
	lastRef   int64                          // newest upstream lastRefTime seen on this session
}

// heldEmpty is a drop to zero instances not yet forwarded.
type heldEmpty struct {
	revision int64
	since    time.Time
}

func newSubscription(key upstream.ServiceKey) *subscription {
	return &subscription{key: key, boxes: make(map[*upstream.Mailbox]struct{}), ready: make(chan struct{})}
}

// publish makes instances the next snapshot and offers it to every local
// subscriber. The revision is max(upstream lastRefTime, previous+1).
func (sub *subscription) publish(instances []upstream.Instance, lastRef int64, now time.Time) {
	rev := lastRef
	if sub.snap != nil {
		rev = max(rev, sub.snap.Revision+1)
	} else {
		close(sub.ready)
	}
	if instances == nil {
		instances = []upstream.Instance{}
	}
	snap := upstream.Service{Key: sub.key, Revision: rev, Instances: instances, Changed: now}
	sub.snap, sub.held = &snap, nil
	for b := range sub.boxes {
		b.Offer(snap)
	}
}

// receive applies an upstream snapshot under the rules of the package doc
// and reports whether it was forwarded.
func (sub *subscription) receive(instances []upstream.Instance, lastRef int64, now time.Time) bool {
	if lastRef < sub.lastRef {
		return false // an answer overtaken by a newer push
	}
	sub.lastRef = lastRef
	if sub.snap != nil && upstream.SameInstances(sub.snap.Instances, instances) {
		sub.held = nil // back to what clients have: nothing to push
		return false
	}
	if len(instances) == 0 && sub.snap != nil && len(sub.snap.Instances) > 0 {
		if sub.held == nil {
			sub.held = &heldEmpty{revision: lastRef, since: now}
		}
		return false
	}
	sub.publish(instances, lastRef, now)
	return true
}

// release forwards a held drop to zero once it has stood for grace and
// the link is not resyncing.
func (sub *subscription) release(now time.Time, grace time.Duration, resyncing bool) bool {
	if sub.held == nil || resyncing || now.Sub(sub.held.since) < grace {
		return false
	}
	sub.publish(nil, sub.held.revision, now)
	return true
}

// stopAll stops every local subscriber's mailbox.
func (sub *subscription) stopAll() {
	for b := range sub.boxes {
		b.Stop()
	}
	sub.boxes = map[*upstream.Mailbox]struct{}{}
}
