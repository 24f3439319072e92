package nacoslink

import (
	"strconv"
	"time"

	"github.com/herald-gateway/herald/upstream"
)

// subscription is the link's one upstream subscription of a service and
// its local subscribers. Its fields are protected by Link.mu.
type subscription struct {
	key       upstream.ServiceKey
	boxes     map[*upstream.Mailbox[upstream.Service]]struct{} // local subscribers
	idleSince time.Time                                        // last local subscriber left (zero while used)
	upstream  bool                                             // subscribed on the current session
	snap      *upstream.Service                                // last snapshot notified (nil before the first)
	ready     chan struct{}                                    // closed when snap is first set
	held      *heldSnap                                        // a loss of instances not yet forwarded
	pushes    uint64                                           // upstream pushes received
	lastRef   int64                                            // newest upstream lastRefTime seen on this session
	failures  int                                              // upstream subscribes failed in a row
	retryAt   time.Time                                        // no new attempt before this
}

// heldSnap is an upstream snapshot not yet forwarded (see the package doc).
type heldSnap struct {
	instances []upstream.Instance
	revision  int64     // upstream lastRefTime
	since     time.Time // first held at
}

func newSubscription(key upstream.ServiceKey) *subscription {
	return &subscription{key: key, boxes: make(map[*upstream.Mailbox[upstream.Service]]struct{}), ready: make(chan struct{})}
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
func (sub *subscription) receive(instances []upstream.Instance, lastRef int64, now time.Time, resyncing bool) bool {
	if lastRef < sub.lastRef {
		return false // an answer overtaken by a newer push
	}
	sub.lastRef = lastRef
	if sub.snap != nil && upstream.SameInstances(sub.snap.Instances, instances) {
		sub.held = nil // back to what clients have: nothing to push
		return false
	}
	if sub.snap != nil && (dropsToZero(sub.snap.Instances, instances) || resyncing && loses(sub.snap.Instances, instances)) {
		since := now
		if sub.held != nil {
			since = sub.held.since
		}
		sub.held = &heldSnap{instances: instances, revision: lastRef, since: since}
		return false
	}
	sub.publish(instances, lastRef, now)
	return true
}

// release forwards a held snapshot once the link is not resyncing and, for
// a drop to zero, once it has stood for grace.
func (sub *subscription) release(now time.Time, grace time.Duration, resyncing bool) bool {
	h := sub.held
	if h == nil || resyncing || len(h.instances) == 0 && now.Sub(h.since) < grace {
		return false
	}
	sub.publish(h.instances, h.revision, now)
	return true
}

// dropsToZero reports a change from some instances to none.
func dropsToZero(prev, next []upstream.Instance) bool { return len(prev) > 0 && len(next) == 0 }

// loses reports whether an instance (cluster, ip, port) of prev is missing
// from next.
func loses(prev, next []upstream.Instance) bool {
	have := make(map[string]struct{}, len(next))
	for _, in := range next {
		have[addrKey(in)] = struct{}{}
	}
	for _, in := range prev {
		if _, ok := have[addrKey(in)]; !ok {
			return true
		}
	}
	return false
}

func addrKey(in upstream.Instance) string {
	return in.ClusterName + "/" + in.IP + ":" + strconv.FormatUint(in.Port, 10)
}

// stopAll stops every local subscriber's mailbox.
func (sub *subscription) stopAll() {
	for b := range sub.boxes {
		b.Stop()
	}
	sub.boxes = map[*upstream.Mailbox[upstream.Service]]struct{}{}
}
