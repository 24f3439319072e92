package fanout

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// With MaxAttempts, a push that is never acknowledged is tried that many
// times with the backoff, then reported dropped; the connection is not
// closed (no stall close), and the next revision is pushed afresh.
func TestMaxAttemptsGivesUpWithoutClosing(t *testing.T) {
	r := newRigWith(t, 0, func(o *Options) {
		o.Naming = Policy{MaxAttempts: 3, StallTimeout: -1}
	})
	f := newFakeSub("c1")
	r.subscribe(f)
	first := r.change(1)
	f.waitPushes(t, 1)
	r.waitEvents(1)
	// attempt 1 times out, retried after 1s; 2 times out, retried after 2s;
	// 3 times out and is given up.
	r.advance(5*time.Second + 20*time.Millisecond)
	r.advance(time.Second + 20*time.Millisecond)
	f.waitPushes(t, 2)
	r.advance(5*time.Second + 20*time.Millisecond)
	r.advance(2*time.Second + 20*time.Millisecond)
	f.waitPushes(t, 3)
	r.waitEvents(5)
	r.advance(5*time.Second + 20*time.Millisecond)
	r.waitEvents(7)
	want := []Event{EventSent, EventTimedOut, EventRetried, EventTimedOut, EventRetried, EventTimedOut, EventDropped}
	if got := r.obs.events(); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	last := r.obs.last()
	if last.Revision != first || !strings.Contains(last.Reason, "gave up after 3 attempts") {
		t.Fatalf("drop of revision %d reason %q, want revision %d given up after 3", last.Revision, last.Reason, first)
	}
	r.advance(10 * time.Minute)
	if n := len(f.sent()); n != 3 {
		t.Fatalf("%d pushes after giving up, want 3 (no more retries)", n)
	}
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed != "" {
		t.Fatalf("connection closed (%s); a given-up push must not close it", closed)
	}
	// The subscription stays: the next revision is pushed as a first attempt.
	second := r.change(2)
	p := f.waitRevision(t, second)
	r.waitEvents(8)
	if o := r.obs.last(); o.Event != EventSent || o.Attempt != 1 {
		t.Fatalf("next revision: %s attempt %d, want sent attempt 1", o.Event, o.Attempt)
	}
	r.hub.Ack("c1", p.RequestID, true)
	r.waitEvents(9)
	if o := r.obs.last(); o.Event != EventAcked || o.Revision != second {
		t.Fatalf("last outcome %s of %d, want acked %d", o.Event, o.Revision, second)
	}
}

// Holds records what a subscriber says it holds; Status reports it with
// the time it first said so, which a repeat does not move.
func TestHoldsReportedInStatus(t *testing.T) {
	r := newRig(t, 0)
	f := newFakeSub("c1")
	r.subscribe(f)
	r.hub.Holds("c1", r.topic, "", "md5-a")
	at := r.clock.Now()
	r.advance(time.Second)
	r.hub.Holds("c1", r.topic, "", "md5-a")
	r.hub.Holds("nobody", r.topic, "", "md5-x") // unknown: ignored
	st := r.hub.Status(r.topic)
	if len(st.Subscribers) != 1 || st.Subscribers[0].Held != "md5-a" || !st.Subscribers[0].HeldSince.Equal(at) {
		t.Fatalf("status %+v, want c1 holding md5-a since %v", st.Subscribers, at)
	}
	r.hub.Holds("c1", r.topic, "", "md5-b")
	if s := r.hub.Status(r.topic).Subscribers[0]; s.Held != "md5-b" || !s.HeldSince.Equal(r.clock.Now()) {
		t.Fatalf("after a new md5: %q since %v", s.Held, s.HeldSince)
	}
	if got := r.hub.ClientStatus(KindNaming, "127.0.0.1"); len(got) != 1 || got[0].Topic != r.topic || got[0].Held != "md5-b" {
		t.Fatalf("client status %+v, want c1's one subscription", got)
	}
	if got := r.hub.ClientStatus(KindConfig, "127.0.0.1"); len(got) != 0 {
		t.Fatalf("config client status %+v, want none", got)
	}
	if got := r.hub.ClientStatus(KindNaming, "10.9.9.9"); len(got) != 0 {
		t.Fatalf("another IP's status %+v, want none", got)
	}
}

// With ConfirmTimeout, an acknowledged push the client does not confirm
// (Holds) in time is retried; a confirmed one is done; MaxAttempts still
// bounds a client that acks but never confirms.
func TestConfirmTimeoutRetriesUnconfirmedAcks(t *testing.T) {
	r := newRigWith(t, 0, func(o *Options) {
		o.Naming = Policy{ConfirmTimeout: 2 * time.Second, MaxAttempts: 3, StallTimeout: -1}
	})
	f := newFakeSub("c1")
	r.subscribe(f)
	rev := r.change(1)
	first := f.waitPushes(t, 1)[0]
	r.waitEvents(1) // sent
	r.hub.Ack("c1", first.RequestID, true)
	r.waitEvents(2) // acked
	r.advance(2*time.Second + 20*time.Millisecond)
	r.waitEvents(3)
	if o := r.obs.last(); o.Event != EventFailed || !strings.Contains(o.Reason, "did not listen again") {
		t.Fatalf("unconfirmed ack: %s %q, want failed", o.Event, o.Reason)
	}
	r.advance(time.Second + 20*time.Millisecond) // retry backoff
	p := f.waitPushes(t, 2)[1]
	r.waitEvents(4) // retried
	if p.Revision != rev {
		t.Fatalf("retry carried %d, want %d", p.Revision, rev)
	}
	r.hub.Ack("c1", p.RequestID, true)
	r.hub.Holds("c1", r.topic, "", "held")
	r.advance(time.Minute)
	want := []Event{EventSent, EventAcked, EventFailed, EventRetried, EventAcked}
	if got := r.obs.events(); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}

	// A client that acks and never confirms: three attempts, then given up.
	second := r.change(2)
	for i := range 3 {
		ps := f.waitPushes(t, 3+i)
		r.waitEvents(len(want) + 1 + 3*i) // sent or retried
		r.hub.Ack("c1", ps[2+i].RequestID, true)
		r.advance(2*time.Second + 20*time.Millisecond)
		r.advance(8 * time.Second) // any backoff
	}
	r.waitEvents(len(want) + 10) // each attempt sent, acked, failed; then dropped
	last := r.obs.last()
	if last.Event != EventDropped || last.Revision != second || !strings.Contains(last.Reason, "gave up after 3") {
		t.Fatalf("last outcome %s of %d %q; want revision %d given up after 3 attempts", last.Event, last.Revision, last.Reason, second)
	}
}
