package fanout

import (
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// subscription is one connection's interest in one topic seen through one
// view, and the state of the pushes to it. It keeps at most one
// push in flight: a newer revision waits in next (replacing any older one
// waiting there), and a failed or timed-out push is retried after a backoff
// with whatever is newest by then. Revisions only go forward.
type subscription struct {
	hub    *Hub
	sub    Subscriber
	topic  Topic
	view   string
	policy *Policy // the feed's

	// mu protects every field below.
	mu           sync.Mutex
	newest       int64             // newest revision answered, sent or queued
	acked        int64             // newest revision the client acknowledged (or was answered with)
	inflight     *attempt          // sent, awaiting its ack
	next         *Push             // newest revision waiting to be sent
	retryAt      time.Time         // when next is retried; zero when no retry is due
	failures     int               // consecutive failed attempts, for the backoff
	unackedSince time.Time         // since when a push has been outstanding; zero if none
	stallArmed   bool              // a stall check is scheduled
	chain        trace.SpanContext // span of the first attempt of the current retry chain (tracer side channel)
	confirming   *attempt          // acknowledged, awaiting the client's Holds (Policy.ConfirmTimeout)
	held         string            // what the client says it holds (Hub.Holds), e.g. a config md5
	heldSince    time.Time         // since when it holds it
	closed       bool
}

// attempt is one send of a push.
type attempt struct {
	s        *subscription
	push     *Push
	n        int // attempt number, from 1
	sentAt   time.Time
	deadline time.Time
	span     attemptSpan // the tracer's; zero when not traced
	gaveUp   bool        // the policy's attempts are spent: not retried
	// announced is set (under s.mu) once the attempt's send has been
	// reported; outcomes of the attempt that come before it (an ack
	// handled while the sender was still in Send) wait in held, so that
	// observers always see a push sent before it is resolved.
	announced bool
	held      []Outcome
}

// answered records that the client was answered with revision rev (the
// subscribe response), so pushes of rev or older are skipped.
func (s *subscription) answered(rev int64) {
	s.mu.Lock()
	s.newest = max(s.newest, rev)
	s.acked = max(s.acked, rev)
	s.mu.Unlock()
}

// offer hands the subscription a new revision: sent at once when nothing
// is in flight or waiting for a retry, else kept as next.
func (s *subscription) offer(p *Push, now time.Time) {
	s.mu.Lock()
	if s.closed || p.Revision <= s.newest {
		s.mu.Unlock()
		return
	}
	s.newest = p.Revision
	if s.inflight != nil || !s.retryAt.IsZero() {
		old := s.next
		s.next = p
		s.mu.Unlock()
		if old != nil {
			s.emit(EventSuperseded, old, nil, now, "")
		}
		return
	}
	a := s.startLocked(p, 1, now)
	s.mu.Unlock()
	s.transmit(a, EventSent, now)
}

// startLocked makes p the push in flight.
func (s *subscription) startLocked(p *Push, n int, now time.Time) *attempt {
	a := &attempt{s: s, push: p, n: n, sentAt: now, deadline: now.Add(s.hub.opts.AckTimeout),
		span: s.hub.tr.attempt(p, n, &s.chain)}
	s.inflight = a
	if s.unackedSince.IsZero() {
		s.unackedSince = now
		if stall := s.policy.StallTimeout; stall > 0 && !s.stallArmed {
			s.stallArmed = true
			s.hub.wheel.schedule(now.Add(stall), (*stallCheck)(s))
		}
	}
	return a
}

// transmit queues the attempt on the connection; its ack is expected by
// the deadline.
func (s *subscription) transmit(a *attempt, ev Event, now time.Time) {
	s.hub.acks.put(s.sub.ID(), a.push.RequestID, s)
	s.hub.wheel.schedule(a.deadline, a)
	if err := s.sub.Send(a.push); err != nil {
		s.announce(a) // nothing was sent: the drop below is the attempt's first outcome
		s.hub.acks.remove(s.sub.ID(), a.push.RequestID, s)
		var next *attempt
		s.mu.Lock()
		if s.inflight == a && s.retryAt.IsZero() {
			// Nothing was sent, so nothing awaits an ack: the subscription
			// is not stalled (a UDP push too large to send must not get its
			// subscriber closed by the stall rule), and a newer revision
			// that arrived meanwhile goes now (it may fit).
			s.inflight, s.unackedSince = nil, time.Time{}
			if s.next != nil {
				next = s.startLocked(s.next, 1, now)
				s.next = nil
			}
		} else if s.inflight == a {
			s.inflight = nil
		}
		s.mu.Unlock()
		s.emit(EventDropped, a.push, a, now, "not queued: "+err.Error())
		if next != nil {
			s.transmit(next, EventSent, now)
		}
		return
	}
	s.emit(ev, a.push, a, now, "")
	s.announce(a)
}

// announce marks a's send reported and reports the outcomes of a that
// came before it, in order.
func (s *subscription) announce(a *attempt) {
	s.mu.Lock()
	a.announced = true
	held := a.held
	a.held = nil
	s.mu.Unlock()
	for _, o := range held {
		s.hub.observe(o)
	}
}

// holdUnannounced keeps o, an outcome resolving attempt a, if a's send
// has not been reported yet; announce reports it then.
func (s *subscription) holdUnannounced(a *attempt, o Outcome) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.announced {
		return false
	}
	a.held = append(a.held, o)
	return true
}

// ack resolves the push in flight with requestID; ok is the client's
// verdict. A stale ack (for a push no longer in flight) is ignored.
func (s *subscription) ack(requestID string, ok bool, now time.Time) {
	s.mu.Lock()
	a := s.inflight
	if s.closed || a == nil || a.push.RequestID != requestID {
		s.mu.Unlock()
		return
	}
	s.inflight = nil
	if !ok {
		next := s.failedLocked(a, now)
		s.mu.Unlock()
		s.emit(EventFailed, a.push, a, now, "client answered with an error")
		s.gaveUp(a, next, now)
		return
	}
	s.unackedSince = time.Time{}
	s.acked = max(s.acked, a.push.Revision)
	var next *attempt
	switch {
	case s.next != nil:
		s.failures = 0
		next = s.startLocked(s.next, 1, now)
		s.next = nil
	case s.policy.ConfirmTimeout > 0:
		// failures stays until the client confirms: a client that acks
		// and never confirms is still bounded by MaxAttempts.
		s.confirming = a
		s.hub.wheel.schedule(now.Add(s.policy.ConfirmTimeout), confirmCheck{s, a})
	default:
		s.failures = 0
	}
	s.mu.Unlock()
	s.emit(EventAcked, a.push, a, now, "")
	if next != nil {
		s.transmit(next, EventSent, now)
	}
}

// expire times out attempt a if it is still in flight.
func (s *subscription) expire(a *attempt, now time.Time) {
	s.mu.Lock()
	if s.closed || s.inflight != a {
		s.mu.Unlock()
		return
	}
	s.inflight = nil
	next := s.failedLocked(a, now)
	s.mu.Unlock()
	s.hub.acks.remove(s.sub.ID(), a.push.RequestID, s)
	s.emit(EventTimedOut, a.push, a, now, "no acknowledgement")
	s.gaveUp(a, next, now)
}

// failedLocked handles attempt a failing or timing out: the newest of its
// push and next is retried after the backoff, unless the policy's attempts
// are spent. Then a is given up (a.gaveUp) and a newer
// revision waiting in next, if any, is started afresh and returned.
func (s *subscription) failedLocked(a *attempt, now time.Time) *attempt {
	if limit := s.policy.MaxAttempts; limit > 0 && a.n >= limit {
		a.gaveUp = true
		s.failures, s.unackedSince = 0, time.Time{}
		next := s.next
		s.next = nil
		if next == nil {
			return nil
		}
		return s.startLocked(next, 1, now)
	}
	s.scheduleRetryLocked(a.push, now)
	return nil
}

// gaveUp reports a push given up after its attempts were spent, and sends
// the newer revision started in its place.
func (s *subscription) gaveUp(a *attempt, next *attempt, now time.Time) {
	if !a.gaveUp {
		return
	}
	s.emit(EventDropped, a.push, a, now, fmt.Sprintf("gave up after %d attempts", a.n))
	if next != nil {
		s.transmit(next, EventSent, now)
	}
}

// scheduleRetryLocked keeps the newest of failed and next for a retry after
// the backoff.
func (s *subscription) scheduleRetryLocked(failed *Push, now time.Time) {
	if s.next == nil {
		s.next = failed
	}
	s.failures++
	if s.retryAt.IsZero() {
		s.hub.retrying.Add(1)
	}
	s.retryAt = now.Add(s.hub.backoff(s.failures))
	s.hub.wheel.schedule(s.retryAt, retryDue{s})
}

// retry sends next once its backoff has passed.
func (s *subscription) retry(now time.Time) {
	s.mu.Lock()
	if s.closed || s.retryAt.IsZero() || now.Before(s.retryAt) || s.next == nil {
		s.mu.Unlock()
		return
	}
	s.retryAt = time.Time{}
	s.hub.retrying.Add(-1)
	a := s.startLocked(s.next, s.failures+1, now)
	s.next = nil
	s.mu.Unlock()
	s.transmit(a, EventRetried, now)
}

// status reports the subscription's delivery state.
func (s *subscription) status() SubscriberStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := SubscriberStatus{
		ConnID: s.sub.ID(), Client: s.sub.Client(), View: s.view,
		Newest: s.newest, Acked: s.acked, UnackedSince: s.unackedSince, RetryAt: s.retryAt,
	}
	if s.inflight != nil {
		st.InFlight = s.inflight.push.Revision
	}
	st.Held, st.HeldSince = s.held, s.heldSince
	return st
}

// holds records that the client says it holds digest, since now if that
// is new; it reports whether it is.
func (s *subscription) holds(digest string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	fresh := s.held != digest || s.heldSince.IsZero()
	if fresh {
		s.held, s.heldSince = digest, now
	}
	if s.confirming != nil {
		s.confirming, s.failures = nil, 0
	}
	return fresh
}

// unconfirmed handles an acknowledged attempt the client did not confirm
// in time: it is retried as a failure (see Policy.ConfirmTimeout), unless
// something newer is on its way already.
func (s *subscription) unconfirmed(a *attempt, now time.Time) {
	s.mu.Lock()
	if s.closed || s.confirming != a {
		s.mu.Unlock()
		return
	}
	s.confirming = nil
	if s.inflight != nil || s.next != nil {
		s.mu.Unlock()
		return
	}
	next := s.failedLocked(a, now)
	s.mu.Unlock()
	s.emit(EventFailed, a.push, a, now, "acknowledged, but the client did not listen again within "+s.policy.ConfirmTimeout.String())
	s.gaveUp(a, next, now)
}

// close ends the subscription; what was in flight or waiting is dropped.
func (s *subscription) close(now time.Time, reason string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	if !s.retryAt.IsZero() {
		s.retryAt = time.Time{}
		s.hub.retrying.Add(-1)
	}
	a, next := s.inflight, s.next
	s.inflight, s.next = nil, nil
	s.mu.Unlock()
	if a != nil {
		s.hub.acks.remove(s.sub.ID(), a.push.RequestID, s)
		s.emit(EventDropped, a.push, a, now, reason)
	}
	if next != nil {
		s.emit(EventDropped, next, nil, now, reason)
	}
}

// emit reports an outcome of push p to the hub's observers; a is the
// attempt it happened to (nil for a push never sent). An outcome that
// resolves the attempt ends its span.
func (s *subscription) emit(ev Event, p *Push, a *attempt, now time.Time, reason string) {
	o := Outcome{
		Event: ev, At: now, ConnID: s.sub.ID(), Client: s.sub.Client(),
		Topic: s.topic, View: s.view, Revision: p.Revision, RequestID: p.RequestID,
		Items: p.Items, Digest: p.Digest, Bytes: len(p.Frame), Changed: p.Changed,
		Reason: reason, TraceID: p.Trace.TraceID(),
	}
	if a != nil {
		o.Attempt, o.SentAt, o.SpanID = a.n, a.sentAt, a.span.id
		if ev != EventSent && ev != EventRetried {
			s.hub.tr.resolved(&o, p, a.span)
			if s.holdUnannounced(a, o) {
				return
			}
		}
	}
	s.hub.observe(o)
}

// Timer targets of a subscription. An attempt is its own ack deadline,
// and a subscription its own stall check, one at a time: the timers of a
// push allocate nothing, and none holds a push longer than it must.
type (
	retryDue     struct{ s *subscription }
	confirmCheck struct {
		s *subscription
		a *attempt
	}
	stallCheck subscription
)

func (a *attempt) fire(now time.Time)     { a.s.expire(a, now) }
func (t retryDue) fire(now time.Time)     { t.s.retry(now) }
func (t confirmCheck) fire(now time.Time) { t.s.unconfirmed(t.a, now) }

// fire closes the subscriber if a push has been outstanding for the
// stall timeout; if pushes were acknowledged meanwhile, the check moves
// to the stall timeout after the current outstanding one began.
func (t *stallCheck) fire(now time.Time) {
	s := (*subscription)(t)
	s.mu.Lock()
	s.stallArmed = false
	since, stall := s.unackedSince, s.policy.StallTimeout
	if s.closed || since.IsZero() {
		s.mu.Unlock()
		return
	}
	if due := since.Add(stall); now.Before(due) {
		s.stallArmed = true
		s.hub.wheel.schedule(due, t)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.sub.Close("pushes unacknowledged for " + stall.String())
}
