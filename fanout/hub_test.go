package fanout

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// waitEvents waits until n outcomes were observed.
func (r *rig) waitEvents(n int) {
	r.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for len(r.obs.events()) < n {
		if time.Now().After(deadline) {
			r.t.Fatalf("%d events, want %d", len(r.obs.events()), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitOffered waits until connection id's subscription has been offered
// revision rev (offers run on the worker pool).
func (r *rig) waitOffered(id string, rev int64) {
	r.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		r.hub.mu.Lock()
		svc := r.hub.feeds[r.topic]
		r.hub.mu.Unlock()
		svc.mu.Lock()
		su := svc.subs[subKey{id, ""}]
		svc.mu.Unlock()
		su.mu.Lock()
		ok := su.newest >= rev
		su.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s never offered revision %d", id, rev)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitLatest waits until the Hub has received revision rev from the
// registry (notifications arrive on the registry's goroutine).
func (r *rig) waitLatest(rev int64) {
	r.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		r.hub.mu.Lock()
		svc := r.hub.feeds[r.topic]
		r.hub.mu.Unlock()
		if svc != nil {
			svc.mu.Lock()
			ok := svc.latest != nil && svc.latest.Revision >= rev
			svc.mu.Unlock()
			if ok {
				return
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("hub never saw revision %d", rev)
		}
		time.Sleep(time.Millisecond)
	}
}

// ackingSub acknowledges every push before its Send returns, as a fast
// client can while the sender is still in Send (the ack is handled on
// another goroutine: the connection's event loop).
type ackingSub struct {
	*fakeSub
	hub *Hub
}

func (a *ackingSub) Send(p *Push) error {
	if err := a.fakeSub.Send(p); err != nil {
		return err
	}
	a.hub.Ack(a.id, p.RequestID, true)
	return nil
}

// TestAckBeforeSendReturnsIsReportedAfterSent: observers (the tracker)
// see a push sent before they see it acknowledged, even when the ack is
// handled before the sender's Send returned.
func TestAckBeforeSendReturnsIsReportedAfterSent(t *testing.T) {
	r := newRig(t, 0)
	f := &ackingSub{fakeSub: newFakeSub("c1"), hub: r.hub}
	if _, err := r.hub.Subscribe(context.Background(), f, r.topic, ""); err != nil {
		t.Fatal(err)
	}
	r.change(1)
	r.waitEvents(2)
	if got := r.obs.events(); !slices.Equal(got, []Event{EventSent, EventAcked}) {
		t.Fatalf("events %v, want sent then acked", got)
	}
	r.change(2) // the next push goes the same way
	r.waitEvents(4)
	if got := r.obs.events(); !slices.Equal(got, []Event{EventSent, EventAcked, EventSent, EventAcked}) {
		t.Fatalf("events %v", got)
	}
}

func TestPushThenAck(t *testing.T) {
	r := newRig(t, 0)
	f := newFakeSub("c1")
	r.subscribe(f)
	rev := r.change(1)
	p := f.waitPushes(t, 1)[0]
	if p.Revision != rev {
		t.Fatalf("pushed revision %d, want %d", p.Revision, rev)
	}
	r.waitEvents(1)
	r.clock.Add(30 * time.Millisecond)
	r.hub.Ack("c1", p.RequestID, true)
	if got := r.obs.events(); !slices.Equal(got, []Event{EventSent, EventAcked}) {
		t.Fatalf("events %v", got)
	}
	if lat := r.obs.last().Latency(); lat != 30*time.Millisecond {
		t.Fatalf("ack latency %v, want 30ms", lat)
	}
	if r.hub.acks.size() != 0 {
		t.Fatal("ack index not emptied")
	}
}

// A subscriber is never sent a revision older than one it has seen, and
// changes made while a push is in flight collapse into the newest.
func TestOrderingAndSupersession(t *testing.T) {
	r := newRig(t, 0)
	f := newFakeSub("c1")
	r.subscribe(f)
	first := r.change(1)
	p1 := f.waitPushes(t, 1)[0]
	r.change(2)
	newest := r.change(3)
	r.waitOffered("c1", newest)
	if n := len(f.sent()); n != 1 {
		t.Fatalf("%d pushes while one is in flight, want 1", n)
	}
	r.hub.Ack("c1", p1.RequestID, true)
	ps := f.waitPushes(t, 2)
	if ps[0].Revision != first || ps[1].Revision != newest {
		t.Fatalf("revisions %d, %d; want %d then %d", ps[0].Revision, ps[1].Revision, first, newest)
	}
	// An old revision offered late is ignored.
	r.hub.feeds[r.topic].subs[subKey{"c1", ""}].offer(ps[0], r.clock.Now())
	if n := len(f.sent()); n != 2 {
		t.Fatalf("old revision was sent again (%d pushes)", n)
	}
}

// While a push is in flight, a newer revision waits and replaces any older
// one waiting; the replaced one is reported superseded.
func TestSupersession(t *testing.T) {
	r := newRig(t, 0)
	f := newFakeSub("c1")
	r.change(1) // a known service: the initial snapshot equals the answer
	base := r.subscribe(f)
	su := r.hub.feeds[r.topic].subs[subKey{"c1", ""}]
	now := r.clock.Now()
	push := func(rev int64, id string) *Push { return &Push{Topic: r.topic, Revision: base + rev, RequestID: id} }
	su.offer(push(1, "a"), now)
	su.offer(push(2, "b"), now)
	su.offer(push(3, "c"), now)
	r.hub.Ack("c1", "a", true)
	ps := f.sent()
	if len(ps) != 2 || ps[0].RequestID != "a" || ps[1].RequestID != "c" {
		t.Fatalf("sent %v, want a then c", ids(ps))
	}
	want := []Event{EventSent, EventSuperseded, EventAcked, EventSent}
	if got := r.obs.events(); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func ids(ps []*Push) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.RequestID
	}
	return out
}

// N changes inside the merge window give one push, of the newest revision.
func TestMergeWindow(t *testing.T) {
	r := newRig(t, 500*time.Millisecond)
	f := newFakeSub("c1")
	r.subscribe(f)
	var last int64
	for i := 1; i <= 5; i++ {
		last = r.change(i)
	}
	r.waitLatest(last)
	r.advance(499 * time.Millisecond)
	if n := len(f.sent()); n != 0 {
		t.Fatalf("%d pushes before the window closed", n)
	}
	r.advance(20 * time.Millisecond)
	ps := f.waitPushes(t, 1)
	if len(ps) != 1 || ps[0].Revision != last || ps[0].Items != 5 {
		t.Fatalf("got %d pushes, first rev %d hosts %d; want one of rev %d with 5 hosts", len(ps), ps[0].Revision, ps[0].Items, last)
	}
}

// A client that withholds its ack gets the newest revision again after
// the ack timeout and the backoff, and the retry's ack settles it.
func TestRetryAfterTimeout(t *testing.T) {
	r := newRig(t, 0)
	f := newFakeSub("c1")
	r.subscribe(f)
	rev := r.change(1)
	p := f.waitPushes(t, 1)[0]
	r.waitEvents(1)                                // the sent event follows the queueing
	r.advance(5*time.Second + 10*time.Millisecond) // ack timeout
	if got := r.obs.events(); !slices.Equal(got, []Event{EventSent, EventTimedOut}) {
		t.Fatalf("events after timeout %v", got)
	}
	r.hub.Ack("c1", p.RequestID, true) // too late: ignored
	r.advance(990 * time.Millisecond)
	if n := len(f.sent()); n != 1 {
		t.Fatalf("retried before the 1s backoff (%d pushes)", n)
	}
	r.advance(20 * time.Millisecond)
	ps := f.waitPushes(t, 2)
	if ps[1].Revision != rev {
		t.Fatalf("retry carried revision %d, want %d", ps[1].Revision, rev)
	}
	r.waitEvents(3)
	r.hub.Ack("c1", ps[1].RequestID, true)
	want := []Event{EventSent, EventTimedOut, EventRetried, EventAcked}
	if got := r.obs.events(); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if a := r.obs.last().Attempt; a != 2 {
		t.Fatalf("acked attempt %d, want 2", a)
	}
}

// A refused push is retried with the newest revision, not the failed one.
func TestRetrySendsNewest(t *testing.T) {
	r := newRig(t, 0)
	f := newFakeSub("c1")
	r.subscribe(f)
	r.change(1)
	p := f.waitPushes(t, 1)[0]
	r.hub.Ack("c1", p.RequestID, false)
	newest := r.change(2)
	r.waitOffered("c1", newest)
	r.advance(time.Second + 20*time.Millisecond)
	ps := f.waitPushes(t, 2)
	if ps[1].Revision != newest {
		t.Fatalf("retry carried revision %d, want the newest %d", ps[1].Revision, newest)
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	r := newRig(t, 0)
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
	for i, w := range want {
		if got := r.hub.backoff(i + 1); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
}

// A connection whose pushes stay unacknowledged for the stall timeout is
// closed, while another subscriber keeps being served.
func TestStalledConnectionClosed(t *testing.T) {
	r := newRig(t, 0)
	slow, fast := newFakeSub("slow"), newFakeSub("fast")
	r.subscribe(slow)
	r.subscribe(fast)
	for i := 1; i <= 3; i++ {
		rev := r.change(i)
		ps := fast.waitPushes(t, i)
		r.hub.Ack("fast", ps[i-1].RequestID, true)
		if ps[i-1].Revision != rev {
			t.Fatalf("fast got revision %d, want %d", ps[i-1].Revision, rev)
		}
		r.advance(10 * time.Second) // slow times out and retries meanwhile
	}
	r.advance(time.Minute)
	slow.mu.Lock()
	reason := slow.closed
	slow.mu.Unlock()
	if reason == "" {
		t.Fatal("stalled connection was not closed")
	}
	fast.mu.Lock()
	defer fast.mu.Unlock()
	if fast.closed != "" {
		t.Fatalf("healthy connection closed: %s", fast.closed)
	}
}

// The stall rule counts from the push left unacknowledged, not from an
// earlier one that was acknowledged: the subscription's one stall check
// moves on to the push outstanding when it comes due.
func TestStallCountsFromTheOutstandingPush(t *testing.T) {
	r := newRig(t, 0) // stall timeout: a minute
	f := newFakeSub("c1")
	r.subscribe(f)
	r.change(1)
	r.hub.Ack("c1", f.waitPushes(t, 1)[0].RequestID, true)
	r.advance(30 * time.Second)
	r.change(2)
	f.waitPushes(t, 2) // never acknowledged: timed out and retried
	for range 5 {
		r.advance(10 * time.Second) // to 80 s after the first push, 50 s after the second
	}
	if reason := f.closedReason(); reason != "" {
		t.Fatalf("closed before the outstanding push was a minute old: %s", reason)
	}
	r.advance(10 * time.Second)
	r.advance(10 * time.Second)
	if f.closedReason() == "" {
		t.Fatal("not closed although a push stayed unacknowledged for over a minute")
	}
}

// Removing a subscriber drops what it was owed and frees the upstream
// subscription.
func TestRemoveSubscriberDrops(t *testing.T) {
	r := newRig(t, 0)
	f := newFakeSub("c1")
	r.subscribe(f)
	r.change(1)
	f.waitPushes(t, 1)
	newest := r.change(2)
	r.waitOffered("c1", newest)
	r.hub.RemoveSubscriber("c1")
	if svcs, subs := r.hub.Stats(KindNaming); svcs != 0 || subs != 0 {
		t.Fatalf("stats after remove: %d services, %d subscriptions", svcs, subs)
	}
	drops := 0
	for _, e := range r.obs.events() {
		if e == EventDropped {
			drops++
		}
	}
	if drops != 2 {
		t.Fatalf("%d drops (in flight and waiting), want 2: %v", drops, r.obs.events())
	}
	if r.hub.acks.size() != 0 {
		t.Fatal("ack index keeps a removed subscriber")
	}
}

// A push the connection refuses to queue is reported dropped.
func TestSendErrorDropped(t *testing.T) {
	r := newRig(t, 0)
	f := newFakeSub("c1")
	f.sendErr = errQueueFull
	r.subscribe(f)
	r.change(1)
	deadline := time.Now().Add(waitTimeout)
	for !slices.Contains(r.obs.events(), EventDropped) {
		if time.Now().After(deadline) {
			t.Fatalf("no drop event: %v", r.obs.events())
		}
		time.Sleep(time.Millisecond)
	}
	if r.hub.acks.size() != 0 {
		t.Fatal("ack index keeps an unsent push")
	}
}

// One upstream subscription per service, however many subscribers.
func TestOneUpstreamSubscriptionPerService(t *testing.T) {
	r := newRig(t, 0)
	subs := make([]*fakeSub, 300) // more than one worker chunk
	for i := range subs {
		subs[i] = newFakeSub("c" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
		r.subscribe(subs[i])
	}
	if svcs, n := r.hub.Stats(KindNaming); svcs != 1 || n != len(subs) {
		t.Fatalf("stats %d services, %d subscriptions", svcs, n)
	}
	rev := r.change(1)
	var frame []byte
	for _, f := range subs {
		p := f.waitPushes(t, 1)[0]
		if p.Revision != rev {
			t.Fatalf("%s got revision %d", f.id, p.Revision)
		}
		if frame != nil && &frame[0] != &p.Frame[0] {
			t.Fatal("push encoded more than once")
		}
		frame = p.Frame
	}
}

// Status shows each subscriber's acknowledged and in-flight revision.
func TestStatus(t *testing.T) {
	r := newRig(t, 0)
	acker, silent := newFakeSub("a"), newFakeSub("b")
	r.subscribe(acker)
	answered := r.subscribe(silent)
	rev := r.change(1)
	p := acker.waitPushes(t, 1)[0]
	silent.waitPushes(t, 1)
	r.hub.Ack("a", p.RequestID, true)
	st := r.hub.Status(r.topic)
	if st.Revision != rev || len(st.Subscribers) != 2 {
		t.Fatalf("status %+v", st)
	}
	a, b := st.Subscribers[0], st.Subscribers[1]
	if a.ConnID != "a" || a.Acked != rev || a.InFlight != 0 || !a.UnackedSince.IsZero() {
		t.Fatalf("acking subscriber %+v", a)
	}
	if b.ConnID != "b" || b.Acked != answered || b.InFlight != rev || b.UnackedSince.IsZero() {
		t.Fatalf("silent subscriber %+v", b)
	}
	if got := r.hub.Status(namingTopic("other")); got.Revision != 0 || len(got.Subscribers) != 0 {
		t.Fatalf("unknown service status %+v", got)
	}
}

// One encoded push per (revision, cluster filter, wire): subscribers on the
// same wire share the bytes; another wire gets its own encoding. (The
// registry's first announcement may race the change and be pushed too, so
// the test looks at the change's revision only.)
func TestEncodedOncePerWire(t *testing.T) {
	r := newRig(t, 0)
	a, b := newFakeSub("a"), newFakeSub("b")
	other := &countingEncoder{revs: make(map[int64]int)}
	c := newFakeSub("c")
	c.enc = other
	for _, f := range []*fakeSub{a, b, c} {
		r.subscribe(f)
	}
	rev := r.change(1)
	pa, pb, pc := a.waitRevision(t, rev), b.waitRevision(t, rev), c.waitRevision(t, rev)
	if pa != pb {
		t.Fatal("subscribers on one wire got separately encoded pushes")
	}
	if pc == pa {
		t.Fatal("a subscriber on another wire got the shared push")
	}
	if n := other.count(rev); n != 1 {
		t.Fatalf("other encoder encoded revision %d %d times, want 1", rev, n)
	}
}

// countingEncoder counts its encodings by revision.
type countingEncoder struct {
	testEncoder
	mu   sync.Mutex
	revs map[int64]int
}

func (e *countingEncoder) Encode(t Topic, snap Snapshot, view string) (*Push, error) {
	e.mu.Lock()
	e.revs[snap.Revision]++
	e.mu.Unlock()
	return e.testEncoder.Encode(t, snap, view)
}

func (e *countingEncoder) count(rev int64) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.revs[rev]
}

// A subscriber holding MaxPerSubscriber subscriptions is refused another
// (and no upstream subscription is opened for it), may renew one it holds,
// and may subscribe again once it has let one go; others are unaffected.
func TestMaxPerSubscriber(t *testing.T) {
	r := newRigWith(t, 0, func(o *Options) { o.MaxPerSubscriber = 2 })
	f, other := newFakeSub("c1"), newFakeSub("c2")
	sub := func(s *fakeSub, name string) error {
		_, err := r.hub.Subscribe(context.Background(), s, namingTopic(name), "")
		return err
	}
	for _, name := range []string{"a", "b", "a"} {
		if err := sub(f, name); err != nil {
			t.Fatalf("subscribe %s: %v", name, err)
		}
	}
	if err := sub(f, "c"); !errors.Is(err, ErrTooManySubscriptions) {
		t.Fatalf("third service: err %v, want ErrTooManySubscriptions", err)
	}
	if svcs, n := r.hub.Stats(KindNaming); svcs != 2 || n != 2 {
		t.Fatalf("after the refusal: %d services, %d subscriptions; want 2 and 2", svcs, n)
	}
	if err := sub(other, "c"); err != nil {
		t.Fatalf("another subscriber: %v", err)
	}
	r.hub.Unsubscribe("c1", namingTopic("a"), "")
	if err := sub(f, "c"); err != nil {
		t.Fatalf("after unsubscribing one: %v", err)
	}
}

// A topic that keeps changing merges longer (MergeWindowMax): each window
// opened by a change soon after the last push is twice the last, up to
// the cap; after a quiet spell the window is MergeWindow again.
func TestMergeWindowGrowsWhileChanging(t *testing.T) {
	const base, top = 500 * time.Millisecond, 2 * time.Second
	r := newRigWith(t, base, func(o *Options) { o.Naming.MergeWindowMax = top })
	f := newFakeSub("c1")
	r.subscribe(f)
	pushes := 0
	// step makes a change of n instances and checks that its push was
	// sent when a window of want had passed, not before.
	step := func(n int, want time.Duration) {
		t.Helper()
		at := r.clock.Now()
		rev := r.change(n)
		r.waitLatest(rev)
		r.advance(want - 20*time.Millisecond)
		r.advance(40 * time.Millisecond)
		pushes++
		p := f.waitPushes(t, pushes)[pushes-1]
		if p.Revision != rev {
			t.Fatalf("pushed revision %d, want %d", p.Revision, rev)
		}
		r.waitEvents(2*pushes - 1) // the sent event follows the queueing
		all := r.obs.outcomes()
		sent := all[len(all)-1]
		if sent.Event != EventSent {
			t.Fatalf("last outcome %v, want sent", sent.Event)
		}
		if d := sent.SentAt.Sub(at); d < want || d > want+20*time.Millisecond {
			t.Fatalf("change to %d instances pushed %v after it, want a %v window", n, d, want)
		}
		r.hub.Ack("c1", p.RequestID, true)
		r.waitEvents(2 * pushes)
	}
	step(1, base) // first change: the base window
	// Longer after its push than that window lasted, but within the cap
	// (an edge's changes come merged by its core): doubled all the same.
	r.advance(base + 200*time.Millisecond)
	step(2, 2*base)
	step(3, 4*base)                       // and again: the cap
	step(4, top)                          // stays at the cap
	r.advance(top + 100*time.Millisecond) // a quiet spell longer than the cap
	step(5, base)
}

// Without MergeWindowMax (or at most MergeWindow) windows stay fixed.
func TestMergeWindowFixedByDefault(t *testing.T) {
	r := newRig(t, 500*time.Millisecond)
	f := newFakeSub("c1")
	r.subscribe(f)
	for i := 1; i <= 3; i++ {
		rev := r.change(i)
		r.waitLatest(rev)
		r.advance(520 * time.Millisecond)
		p := f.waitPushes(t, i)[i-1]
		if p.Revision != rev {
			t.Fatalf("push %d carried revision %d, want %d", i, p.Revision, rev)
		}
		r.hub.Ack("c1", p.RequestID, true)
	}
}
