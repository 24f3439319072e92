package upstream

import "fmt"

// Subscribe calls notify with the current snapshot of key and then with
// every newer one, in strictly increasing revision order, from a goroutine
// of its own (see Registry.Subscribe). Bursts of changes collapse into the
// latest snapshot; a slow notify delays only its own subscription. Several
// subscriptions of one key are independent. A subscribed service stays in
// memory while empty, so subscribers receive the empty snapshot.
//
// cancel removes the subscription without waiting: once it returns notify
// is not started again, though a call already under way may still be
// finishing. It is safe from inside notify and under locks notify takes.
// cancel may be called more than once, and after Close.
func (e *Embedded) Subscribe(key ServiceKey, notify func(Service)) (cancel func(), err error) {
	key = key.Normalize()
	if err := ValidateKey(key); err != nil {
		return nil, fmt.Errorf("subscribe %s: %w", key, err)
	}
	if notify == nil {
		return nil, fmt.Errorf("subscribe %s: %w", key, invalid("notify", "must not be nil"))
	}
	b := NewMailbox(notify)
	if err := e.attach(key, b); err != nil {
		return nil, fmt.Errorf("subscribe %s: %w", key, err)
	}
	go b.Run()
	return func() { e.detach(key, b) }, nil
}

// attach adds b to key's subscribers, creating an empty entry for an
// unknown service, and offers b the current snapshot.
func (e *Embedded) attach(key ServiceKey, b *Mailbox[Service]) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	ent := e.services[key]
	if ent == nil {
		ent = &entry{
			slots: make(map[string][]Instance),
			snap:  Service{Key: key, Revision: e.emptyRevision()},
		}
		e.services[key] = ent
	}
	if ent.subs == nil {
		ent.subs = make(map[*Mailbox[Service]]struct{})
	}
	ent.subs[b] = struct{}{}
	b.Offer(ent.snap)
	return nil
}

// detach removes b from key's subscribers, drops the entry if it is now
// unused, and stops b.
func (e *Embedded) detach(key ServiceKey, b *Mailbox[Service]) {
	e.mu.Lock()
	if ent := e.services[key]; ent != nil {
		if _, ok := ent.subs[b]; ok {
			delete(ent.subs, b)
			e.dropIfUnused(key, ent)
		}
	}
	e.mu.Unlock()
	b.Stop()
}
