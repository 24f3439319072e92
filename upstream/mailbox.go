package upstream

import "sync"

// mailbox delivers one subscription's snapshots to its notify callback from
// its own goroutine. Writers offer snapshots without blocking; the mailbox
// keeps only the latest, so a burst collapses into one call with the newest
// snapshot, and notify sees strictly increasing revisions.
type mailbox struct {
	notify func(Service)
	wake   chan struct{} // buffered 1: "latest may have changed"
	done   chan struct{} // closed by stop
	once   sync.Once     // closes done

	// mu protects latest.
	mu     sync.Mutex
	latest Service
	has    bool // latest holds a snapshot
}

func newMailbox(notify func(Service)) *mailbox {
	return &mailbox{
		notify: notify,
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
}

// offer makes snap the latest snapshot if it is newer, and wakes run. It
// never blocks for longer than a short critical section.
func (b *mailbox) offer(snap Service) {
	b.mu.Lock()
	if !b.has || snap.Revision > b.latest.Revision {
		b.latest, b.has = snap, true
	}
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default: // a wake-up is already pending; it will see latest.
	}
}

// take returns the latest snapshot, if any.
func (b *mailbox) take() (Service, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.latest, b.has
}

// run calls notify with every snapshot newer than the last one delivered,
// until stop.
func (b *mailbox) run() {
	delivered, sent := int64(0), false
	for {
		select {
		case <-b.done:
			return
		case <-b.wake:
		}
		snap, ok := b.take()
		if !ok || sent && snap.Revision <= delivered {
			continue
		}
		select {
		case <-b.done: // stopped while waking: deliver nothing more.
			return
		default:
		}
		b.notify(snap)
		delivered, sent = snap.Revision, true
	}
}

// stop ends run without waiting for it: run checks done before every
// notify, so once stop returns notify is never started again; a call
// already under way finishes normally. Not waiting means stop is safe from
// inside notify and while holding locks notify takes. stop may be called
// more than once.
func (b *mailbox) stop() {
	b.once.Do(func() { close(b.done) })
}
