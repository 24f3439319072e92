package fanout

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/ants/v2"
	"go.opentelemetry.io/otel/trace"
)

// Policy is how the topics of one kind are pushed. Zero values take the
// defaults noted.
type Policy struct {
	// MergeWindow collects a topic's changes this long and pushes the
	// newest when it closes; 0 pushes every change at once.
	MergeWindow time.Duration
	// MergeWindowMax, above MergeWindow, lets a topic that keeps changing
	// merge longer: a window opened by a change that comes within
	// MergeWindowMax of the last push is twice as long as the last
	// window, up to MergeWindowMax; a change after a quiet spell that
	// long opens a MergeWindow again. A storm of changes (a fleet's clients moving
	// gateways, every one re-registering) then costs each subscriber a
	// push every MergeWindowMax instead of every MergeWindow. Not above
	// MergeWindow: fixed windows.
	MergeWindowMax time.Duration
	// StallTimeout closes a connection whose pushes of this kind stay
	// unacknowledged this long; default 3m, negative never.
	StallTimeout time.Duration
	// MaxAttempts gives a push up after this many failed or timed-out
	// attempts (reported dropped); the subscription stays and the next
	// revision is pushed afresh. 0 retries while the subscription lives.
	MaxAttempts int
	// ConfirmTimeout, when positive, makes an acknowledgement provisional:
	// the client must also say what it holds (Hub.Holds) within this long
	// after acknowledging, or the push counts as failed and is retried. A
	// config push asks the client to listen again; an SDK that acks it and
	// then loses track of the key (nacos-sdk-go v2.3.2 can, when the push
	// races its own listen) is told again instead of staying behind.
	ConfirmTimeout time.Duration
}

// Options configure a Hub. Zero values take the defaults noted.
type Options struct {
	Naming     Policy        // how naming topics are pushed
	Config     Policy        // how config topics are pushed
	Workers    int           // send worker pool size; default 32
	AckTimeout time.Duration // default 5s
	RetryBase  time.Duration // first retry delay, doubling; default 1s
	RetryMax   time.Duration // retry delay cap; default 30s
	Tick       time.Duration // timer resolution; default 20ms
	// Now is the clock; default time.Now. With Manual set, nothing runs on
	// its own and the caller drives time with Hub.Advance.
	Now    func() time.Time
	Manual bool
	// Observer receives every outcome (the tracker); optional.
	Observer Observer
	// Tracer makes a span per change (see trace.go); its sampler must be
	// parent-based. Nil makes none, and outcomes carry no trace id.
	Tracer trace.Tracer
	// MaxPerSubscriber caps the subscriptions (topic and view pairs) one
	// subscriber may hold, so one client cannot make the
	// gateway subscribe upstream without bound; 0 means no cap. A
	// subscription beyond it gets ErrTooManySubscriptions.
	MaxPerSubscriber int
	// PushSpans receives, with Tracer set, the span of every push attempt
	// under a sampled change (see tracepush.go). Nil makes no push spans,
	// and outcomes carry no span id.
	PushSpans PushSpanRecorder
	Logger    *slog.Logger
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.Workers <= 0 {
		o.Workers = 32
	}
	def(&o.AckTimeout, 5*time.Second)
	def(&o.RetryBase, time.Second)
	def(&o.RetryMax, 30*time.Second)
	def(&o.Naming.StallTimeout, 3*time.Minute)
	def(&o.Config.StallTimeout, 3*time.Minute)
	def(&o.Tick, 20*time.Millisecond)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// policy is the Policy of kind k.
func (o *Options) policy(k Kind) Policy {
	if k == KindConfig {
		return o.Config
	}
	return o.Naming
}

// chunkSize is how many subscriptions one worker task serves.
const chunkSize = 128

// Hub keeps the subscriptions of all connections and pushes every change
// of a subscribed topic to them, holding one watch of the Source per
// topic, opened with the first subscriber and closed with the last.
type Hub struct {
	src      Source
	opts     Options
	log      *slog.Logger
	tr       *tracer // the tracing side channel; nil traces nothing
	pool     *ants.Pool
	wheel    *timerWheel
	acks     *ackIndex
	counters Counters
	// refusedSubs counts subscriptions refused over MaxPerSubscriber.
	refusedSubs atomic.Uint64
	retrying    atomic.Int64 // subscriptions waiting for a retry
	done        chan struct{}
	wg          sync.WaitGroup

	// mu protects feeds, bySub and closed. Lock order: mu, then feed.mu,
	// then subscription.mu.
	mu     sync.Mutex
	feeds  map[Topic]*feed
	bySub  map[string]map[subRef]struct{}
	closed bool
}

// subRef names one subscription of a connection.
type subRef struct {
	topic Topic
	view  string
}

// NewHub returns a running Hub reading changes from src. Each subscriber
// brings its own Encoder.
func NewHub(src Source, opts Options) (*Hub, error) {
	opts.defaults()
	pool, err := ants.NewPool(opts.Workers)
	if err != nil {
		return nil, fmt.Errorf("fanout worker pool: %w", err)
	}
	h := &Hub{
		src: src, opts: opts, log: opts.Logger, pool: pool, tr: newTracer(opts.Tracer, opts.PushSpans),
		wheel: newTimerWheel(opts.Tick, opts.Now()),
		acks:  newAckIndex(),
		done:  make(chan struct{}),
		feeds: make(map[Topic]*feed),
		bySub: make(map[string]map[subRef]struct{}),
	}
	if !opts.Manual {
		h.wg.Add(1)
		go h.tickLoop()
	}
	return h, nil
}

func (h *Hub) now() time.Time { return h.opts.Now() }

// tickLoop advances the timers until Close.
func (h *Hub) tickLoop() {
	defer h.wg.Done()
	t := time.NewTicker(h.opts.Tick)
	defer t.Stop()
	for {
		select {
		case <-h.done:
			return
		case <-t.C:
			h.Advance(h.now())
		}
	}
}

// Advance fires everything due at now: ack timeouts, retries, stall checks
// and merge windows. The Hub calls it on its own unless Options.Manual.
func (h *Hub) Advance(now time.Time) { h.wheel.advance(now) }

// Subscribe adds (or renews) sub's subscription to topic t seen through
// view and returns the snapshot the subscriber should be answered with.
// Later pushes to sub carry only newer revisions. t must be normalised and
// valid.
func (h *Hub) Subscribe(ctx context.Context, sub Subscriber, t Topic, view string) (Snapshot, error) {
	f, err := h.attach(sub.ID(), t, view)
	if err != nil {
		return Snapshot{}, err
	}
	snap, err := f.current(ctx, h.src)
	if err != nil {
		h.Unsubscribe(sub.ID(), t, view)
		return Snapshot{}, err
	}
	_, snap = f.add(sub, view, snap)
	return snap, nil
}

// attach records the subscription in the Hub's indexes and returns the
// topic's feed, opening the watch for a new topic.
func (h *Hub) attach(id string, t Topic, view string) (*feed, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	refs := h.bySub[id]
	ref := subRef{t, view}
	if _, renew := refs[ref]; !renew && h.opts.MaxPerSubscriber > 0 && len(refs) >= h.opts.MaxPerSubscriber {
		h.refusedSubs.Add(1)
		return nil, fmt.Errorf("%w: %s already holds %d", ErrTooManySubscriptions, id, len(refs))
	}
	f := h.feeds[t]
	if f == nil {
		f = &feed{hub: h, topic: t, policy: h.opts.policy(t.Kind), subs: make(map[subKey]*subscription)}
		cancel, err := h.src.Watch(t, f.notify)
		if err != nil {
			return nil, fmt.Errorf("watch %s: %w", t, err)
		}
		f.cancel = cancel
		h.feeds[t] = f
	}
	if refs == nil {
		refs = make(map[subRef]struct{})
		h.bySub[id] = refs
	}
	refs[ref] = struct{}{}
	return f, nil
}

// Unsubscribe removes one subscription. Removing an absent one is a no-op.
func (h *Hub) Unsubscribe(id string, t Topic, view string) {
	h.detach(id, []subRef{{t, view}}, "unsubscribed")
}

// RemoveSubscriber drops every subscription of the connection id.
func (h *Hub) RemoveSubscriber(id string) {
	h.mu.Lock()
	refs := make([]subRef, 0, len(h.bySub[id]))
	for ref := range h.bySub[id] {
		refs = append(refs, ref)
	}
	h.mu.Unlock()
	h.detach(id, refs, "connection closed")
}

// detach removes subscriptions of one connection; topics left without
// subscribers lose their watch.
func (h *Hub) detach(id string, refs []subRef, reason string) {
	var gone []*subscription
	var cancels []func()
	h.mu.Lock()
	for _, ref := range refs {
		if m := h.bySub[id]; m != nil {
			delete(m, ref)
			if len(m) == 0 {
				delete(h.bySub, id)
			}
		}
		f := h.feeds[ref.topic]
		if f == nil {
			continue
		}
		su, left := f.remove(subKey{id, ref.view})
		if su != nil {
			gone = append(gone, su)
		}
		if left == 0 {
			delete(h.feeds, ref.topic)
			cancels = append(cancels, f.cancel)
		}
	}
	h.mu.Unlock()
	for _, c := range cancels {
		c()
	}
	now := h.now()
	for _, su := range gone {
		su.close(now, reason)
	}
}

// PendingAcks counts the pushes to the connection id still waiting for
// their acknowledgement (a drain waits for them before it closes the
// connection).
func (h *Hub) PendingAcks(id string) int { return h.acks.pending(id) }

// AckTimeout is how long a push waits for its acknowledgement.
func (h *Hub) AckTimeout() time.Duration { return h.opts.AckTimeout }

// Holds records what the subscriber id says it holds of topic t seen
// through view: for config, the md5 its listen carries. Status reports it
// with the time it first said so. Unknown subscriptions are ignored.
func (h *Hub) Holds(id string, t Topic, view, digest string) {
	h.mu.Lock()
	f := h.feeds[t]
	h.mu.Unlock()
	if f == nil {
		return
	}
	f.mu.Lock()
	su := f.subs[subKey{id, view}]
	f.mu.Unlock()
	if su == nil {
		return
	}
	now := h.now()
	if su.holds(digest, now) {
		h.reported(f, su, digest, now)
	}
}

// Ack resolves a push acknowledged (ok) or refused (!ok) by a connection.
// Unknown pairs are ignored: the push was already resolved or abandoned.
func (h *Hub) Ack(connID, requestID string, ok bool) {
	if su := h.acks.take(connID, requestID); su != nil {
		su.ack(requestID, ok, h.now())
	}
}

// send hands one encoded revision to subscriptions through the pool;
// change is the change span the pushes belong to.
func (h *Hub) send(t Topic, snap Snapshot, g group, subs []*subscription, change trace.SpanContext, now time.Time) {
	push, err := g.enc.Encode(t, snap, g.view)
	if err != nil {
		h.log.Error("encode push", "topic", t.String(), "view", g.view, "err", err)
		return
	}
	push.Topic, push.Revision, push.View, push.Changed, push.Trace = t, snap.Revision, g.view, snap.Changed, change
	for len(subs) > 0 {
		chunk := subs[:min(chunkSize, len(subs))]
		subs = subs[len(chunk):]
		task := func() {
			for _, su := range chunk {
				su.offer(push, now)
			}
		}
		if err := h.pool.Submit(task); err != nil {
			task() // pool closed: finish inline so nothing is lost
		}
	}
}

// backoff is the delay before retry number n (from 1).
func (h *Hub) backoff(n int) time.Duration {
	d := h.opts.RetryBase
	for i := 1; i < n && d < h.opts.RetryMax; i++ {
		d *= 2
	}
	return min(d, h.opts.RetryMax)
}

func (h *Hub) observe(o Outcome) {
	h.counters.Observe(o)
	h.logOutcome(o)
	if h.opts.Observer != nil {
		h.opts.Observer.Observe(o)
	}
}

// Stats counts the topics of kind k that are watched and the
// subscriptions to them.
func (h *Hub) Stats(k Kind) (topics, subscriptions int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, refs := range h.bySub {
		for ref := range refs {
			if ref.topic.Kind == k {
				subscriptions++
			}
		}
	}
	for t := range h.feeds {
		if t.Kind == k {
			topics++
		}
	}
	return topics, subscriptions
}

// Retrying counts subscriptions whose push waits for a retry: the retry
// queue's depth.
func (h *Hub) Retrying() int { return int(h.retrying.Load()) }

// RefusedSubscriptions counts the subscriptions refused by
// MaxPerSubscriber since start.
func (h *Hub) RefusedSubscriptions() uint64 { return h.refusedSubs.Load() }

// Counts returns the outcome counters by event name.
func (h *Hub) Counts() map[string]uint64 { return h.counters.Snapshot() }

// Close drops every subscription and stops the Hub.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	ids := make([]string, 0, len(h.bySub))
	for id := range h.bySub {
		ids = append(ids, id)
	}
	h.mu.Unlock()
	for _, id := range ids {
		h.RemoveSubscriber(id)
	}
	close(h.done)
	h.wg.Wait()
	h.pool.Release()
}
