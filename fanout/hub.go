package fanout

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/herald-gateway/herald/upstream"
)

// Hub keeps the subscriptions of all connections and pushes every change
// of a subscribed service to them. It holds one upstream subscription per
// service, opened with the first subscriber and closed with the last.
//
// This is the direct implementation: a change is encoded and queued to
// every subscriber from the registry's notification goroutine. Merge
// windows, acknowledgement tracking and retries come with the fan-out
// engine.
type Hub struct {
	reg upstream.Registry
	enc Encoder
	log *slog.Logger

	// mu protects services, bySub and closed. Lock order: mu before
	// service.mu; notify takes only service.mu.
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

// subKey names one subscription within a service.
type subKey struct {
	id       string
	clusters string
}

// subscription is one connection's interest in one service with one
// cluster filter. lastRev is the newest revision it has been given (in a
// subscribe response or a push); it never receives that revision or an
// older one again.
type subscription struct {
	sub      Subscriber
	clusters string
	lastRev  int64
}

// service is the Hub's state for one upstream subscription.
type service struct {
	key    upstream.ServiceKey
	cancel func()

	// mu protects latest and subs.
	mu     sync.Mutex
	latest *upstream.Service
	subs   map[subKey]*subscription
}

// NewHub returns a Hub reading changes from reg and encoding them with enc.
func NewHub(reg upstream.Registry, enc Encoder, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.Default()
	}
	return &Hub{
		reg:      reg,
		enc:      enc,
		log:      log,
		services: make(map[upstream.ServiceKey]*service),
		bySub:    make(map[string]map[subRef]struct{}),
	}
}

// Subscribe adds (or renews) sub's subscription to key with a cluster
// filter and returns the snapshot the subscriber should be answered with.
// Later pushes to sub carry only revisions newer than that snapshot.
// key must be normalised and valid.
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
	return svc.add(sub, clusters, snap), nil
}

// attach records the subscription in the Hub's indexes and returns the
// service entry, opening the upstream subscription for a new service.
func (h *Hub) attach(id string, key upstream.ServiceKey, clusters string) (*service, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	svc := h.services[key]
	if svc == nil {
		svc = &service{key: key, subs: make(map[subKey]*subscription)}
		cancel, err := h.reg.Subscribe(key, func(s upstream.Service) { h.notify(svc, s) })
		if err != nil {
			return nil, fmt.Errorf("subscribe upstream %s: %w", key, err)
		}
		svc.cancel = cancel
		h.services[key] = svc
	}
	refs := h.bySub[id]
	if refs == nil {
		refs = make(map[subRef]struct{})
		h.bySub[id] = refs
	}
	refs[subRef{key, clusters}] = struct{}{}
	return svc, nil
}

// Unsubscribe removes one subscription. Removing an absent one is a no-op.
func (h *Hub) Unsubscribe(id string, key upstream.ServiceKey, clusters string) {
	h.mu.Lock()
	cancel := h.detachLocked(id, subRef{key, clusters})
	h.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// RemoveSubscriber drops every subscription of the connection id.
func (h *Hub) RemoveSubscriber(id string) {
	var cancels []func()
	h.mu.Lock()
	for ref := range h.bySub[id] {
		if c := h.detachLocked(id, ref); c != nil {
			cancels = append(cancels, c)
		}
	}
	h.mu.Unlock()
	for _, c := range cancels {
		c()
	}
}

// detachLocked removes one subscription and, when it was the service's
// last, the service; it returns the upstream cancel to call after h.mu is
// released.
func (h *Hub) detachLocked(id string, ref subRef) (cancel func()) {
	if refs := h.bySub[id]; refs != nil {
		delete(refs, ref)
		if len(refs) == 0 {
			delete(h.bySub, id)
		}
	}
	svc := h.services[ref.key]
	if svc == nil {
		return nil
	}
	if svc.remove(subKey{id, ref.clusters}) > 0 {
		return nil
	}
	delete(h.services, ref.key)
	return svc.cancel
}

// notify is called by the registry, in revision order per service.
func (h *Hub) notify(svc *service, s upstream.Service) {
	groups := svc.advance(s)
	for clusters, subs := range groups {
		push, err := h.enc.Encode(s, clusters)
		if err != nil {
			h.log.Error("encode push", "service", s.Key.String(), "clusters", clusters, "err", err)
			continue
		}
		for _, sub := range subs {
			if err := sub.Send(push); err != nil {
				h.log.Warn("push not queued", "conn", sub.ID(), "service", s.Key.String(), "err", err)
			}
		}
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

// Close drops every subscription and upstream subscription.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	svcs := h.services
	h.services = make(map[upstream.ServiceKey]*service)
	h.bySub = make(map[string]map[subRef]struct{})
	h.mu.Unlock()
	for _, svc := range svcs {
		svc.cancel()
	}
}
