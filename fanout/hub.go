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

	"github.com/herald-gateway/herald/upstream"
)

// Options configure a Hub. Zero values take the defaults noted.
type Options struct {
	MergeWindow  time.Duration // collect a service's changes this long; 0 pushes at once
	Workers      int           // send worker pool size; default 32
	AckTimeout   time.Duration // default 5s
	RetryBase    time.Duration // first retry delay, doubling; default 1s
	RetryMax     time.Duration // retry delay cap; default 30s
	StallTimeout time.Duration // close a connection unacknowledged this long; default 3m
	Tick         time.Duration // timer resolution; default 20ms
	// Now is the clock; default time.Now. With Manual set, nothing runs on
	// its own and the caller drives time with Hub.Advance.
	Now    func() time.Time
	Manual bool
	// Observer receives every outcome (the tracker); optional.
	Observer Observer
	// Tracer makes a span per change (see trace.go); its sampler must be
	// parent-based. Nil makes none, and outcomes carry no trace id.
	Tracer trace.Tracer
	// MaxPerSubscriber caps the subscriptions (service and cluster filter
	// pairs) one subscriber may hold, so one client cannot make the
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
	def(&o.StallTimeout, 3*time.Minute)
	def(&o.Tick, 20*time.Millisecond)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// chunkSize is how many subscriptions one worker task serves.
const chunkSize = 128

// Hub keeps the subscriptions of all connections and pushes every change
// of a subscribed service to them, holding one upstream subscription per
// service, opened with the first subscriber and closed with the last.
type Hub struct {
	reg      upstream.Registry
	opts     Options
	log      *slog.Logger
	pool     *ants.Pool
	wheel    *timerWheel
	acks     *ackIndex
	counters Counters
	retrying atomic.Int64 // subscriptions waiting for a retry
	done     chan struct{}
	wg       sync.WaitGroup

	// mu protects services, bySub and closed. Lock order: mu, then
	// service.mu, then subscription.mu.
	mu       sync.Mutex
	services map[upstream.ServiceKey]*service
	bySub    map[string]map[subRef]struct{}
	closed   bool
}

// subRef names one subscription of a connection.
type subRef struct {
	key      upstream.ServiceKey
	clusters string
}

// NewHub returns a running Hub reading changes from reg. Each subscriber
// brings its own Encoder.
func NewHub(reg upstream.Registry, opts Options) (*Hub, error) {
	opts.defaults()
	pool, err := ants.NewPool(opts.Workers)
	if err != nil {
		return nil, fmt.Errorf("fanout worker pool: %w", err)
	}
	h := &Hub{
		reg: reg, opts: opts, log: opts.Logger, pool: pool,
		wheel:    newTimerWheel(opts.Tick, opts.Now()),
		acks:     newAckIndex(),
		done:     make(chan struct{}),
		services: make(map[upstream.ServiceKey]*service),
		bySub:    make(map[string]map[subRef]struct{}),
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

// Subscribe adds (or renews) sub's subscription to key with a cluster
// filter and returns the snapshot the subscriber should be answered with.
// Later pushes to sub carry only newer revisions. key must be normalised
// and valid.
func (h *Hub) Subscribe(ctx context.Context, sub Subscriber, key upstream.ServiceKey, clusters string) (upstream.Service, error) {
	svc, err := h.attach(sub.ID(), key, clusters)
	if err != nil {
		return upstream.Service{}, err
	}
	snap, err := svc.current(ctx, h.reg)
	if err != nil {
		h.Unsubscribe(sub.ID(), key, clusters)
		return upstream.Service{}, err
	}
	_, snap = svc.add(sub, clusters, snap)
	return snap, nil
}

// attach records the subscription in the Hub's indexes and returns the
// service entry, opening the upstream subscription for a new service.
func (h *Hub) attach(id string, key upstream.ServiceKey, clusters string) (*service, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	refs := h.bySub[id]
	ref := subRef{key, clusters}
	if _, renew := refs[ref]; !renew && h.opts.MaxPerSubscriber > 0 && len(refs) >= h.opts.MaxPerSubscriber {
		return nil, fmt.Errorf("%w: %s already holds %d", ErrTooManySubscriptions, id, len(refs))
	}
	svc := h.services[key]
	if svc == nil {
		svc = &service{hub: h, key: key, subs: make(map[subKey]*subscription)}
		cancel, err := h.reg.Subscribe(key, svc.notify)
		if err != nil {
			return nil, fmt.Errorf("subscribe upstream %s: %w", key, err)
		}
		svc.cancel = cancel
		h.services[key] = svc
	}
	if refs == nil {
		refs = make(map[subRef]struct{})
		h.bySub[id] = refs
	}
	refs[ref] = struct{}{}
	return svc, nil
}

// Unsubscribe removes one subscription. Removing an absent one is a no-op.
func (h *Hub) Unsubscribe(id string, key upstream.ServiceKey, clusters string) {
	h.detach(id, []subRef{{key, clusters}}, "unsubscribed")
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

// detach removes subscriptions of one connection; services left without
// subscribers lose their upstream subscription.
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
		svc := h.services[ref.key]
		if svc == nil {
			continue
		}
		su, left := svc.remove(subKey{id, ref.clusters})
		if su != nil {
			gone = append(gone, su)
		}
		if left == 0 {
			delete(h.services, ref.key)
			cancels = append(cancels, svc.cancel)
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

// Ack resolves a push acknowledged (ok) or refused (!ok) by a connection.
// Unknown pairs are ignored: the push was already resolved or abandoned.
func (h *Hub) Ack(connID, requestID string, ok bool) {
	if su := h.acks.take(connID, requestID); su != nil {
		su.ack(requestID, ok, h.now())
	}
}

// send hands one encoded revision to subscriptions through the pool;
// change is the change span the pushes belong to.
func (h *Hub) send(snap upstream.Service, g group, subs []*subscription, change trace.SpanContext, now time.Time) {
	clusters := g.clusters
	encoded, err := g.enc.Encode(snap, clusters)
	if err != nil {
		h.log.Error("encode push", "service", snap.Key.String(), "clusters", clusters, "err", err)
		return
	}
	push := encoded
	if change.IsValid() {
		cp := *encoded
		cp.Trace = change
		push = &cp
	}
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

// Stats counts services with an upstream subscription and subscriptions.
func (h *Hub) Stats() (services, subscriptions int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, refs := range h.bySub {
		subscriptions += len(refs)
	}
	return len(h.services), subscriptions
}

// Retrying counts subscriptions whose push waits for a retry: the retry
// queue's depth.
func (h *Hub) Retrying() int { return int(h.retrying.Load()) }

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
