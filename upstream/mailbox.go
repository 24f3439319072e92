package upstream

import "sync"

// Mailbox delivers one subscription's snapshots (a Service, a ConfigState)
// to its notify callback from a goroutine of its own, as Registry.Subscribe
// and ConfigStore.WatchConfig require: Offer never blocks, bursts collapse
// into the latest snapshot, and notify sees strictly increasing revisions.
// Start it with go Run(); Stop ends it without waiting (safe from inside
// notify and under locks notify takes). Registries outside this package
// (the Nacos link) use it to behave like the embedded ones.
type Mailbox[T any] struct {
	notify func(T)
	rev    func(T) int64
	wake   chan struct{} // buffered 1: "latest may have changed"
	done   chan struct{} // closed by Stop
	once   sync.Once     // closes done

	// mu protects latest and has.
	mu     sync.Mutex
	latest T
	has    bool // latest holds a snapshot
}

// NewMailbox returns a mailbox of service snapshots calling notify.
func NewMailbox(notify func(Service)) *Mailbox[Service] {
	return newMailbox(notify, func(s Service) int64 { return s.Revision })
}

// NewConfigMailbox returns a mailbox of config states calling notify.
func NewConfigMailbox(notify func(ConfigState)) *Mailbox[ConfigState] {
	return newMailbox(notify, func(s ConfigState) int64 { return s.Revision })
}

func newMailbox[T any](notify func(T), rev func(T) int64) *Mailbox[T] {
	return &Mailbox[T]{notify: notify, rev: rev, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// Offer makes snap the latest snapshot if it is newer, and wakes Run. It
// never blocks for longer than a short critical section.
func (b *Mailbox[T]) Offer(snap T) {
	b.mu.Lock()
	if !b.has || b.rev(snap) > b.rev(b.latest) {
		b.latest, b.has = snap, true
	}
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default: // a wake-up is already pending; it will see latest.
	}
}

// take returns the latest snapshot, if any.
func (b *Mailbox[T]) take() (T, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.latest, b.has
}

// Run calls notify with every snapshot newer than the last one delivered,
// until Stop.
func (b *Mailbox[T]) Run() {
	delivered, sent := int64(0), false
	for {
		select {
		case <-b.done:
			return
		case <-b.wake:
		}
		snap, ok := b.take()
		if !ok || sent && b.rev(snap) <= delivered {
			continue
		}
		select {
		case <-b.done: // stopped while waking: deliver nothing more.
			return
		default:
		}
		b.notify(snap)
		delivered, sent = b.rev(snap), true
	}
}

// Stop ends Run without waiting for it: Run checks done before every
// notify, so once Stop returns notify is never started again; a call
// already under way finishes normally. Not waiting means Stop is safe from
// inside notify and while holding locks notify takes. Stop may be called
// more than once.
func (b *Mailbox[T]) Stop() {
	b.once.Do(func() { close(b.done) })
}
