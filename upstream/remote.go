package upstream

// Helpers for registries outside this package (the Nacos link) that must
// behave like the embedded registry: same normalisation, same delivery.

// PrepareSlot validates a Register call and returns the instances as the
// embedded registry would store them (see Registry.Register); nil for an
// empty list. Errors wrap ErrInvalid.
func PrepareSlot(owner string, key ServiceKey, instances []Instance) ([]Instance, error) {
	return prepareSlot(owner, key, instances)
}

// SameInstances reports whether a and b hold equal instances (every field)
// in the same order.
func SameInstances(a, b []Instance) bool { return sameInstances(a, b) }

// Mailbox delivers one subscription's snapshots to its notify callback
// from a goroutine of its own, as Registry.Subscribe requires: Offer never
// blocks, bursts collapse into the latest snapshot and notify sees strictly
// increasing revisions. Start it with go Run(); Stop ends it without
// waiting (safe from inside notify and under locks notify takes).
type Mailbox struct{ b *mailbox }

// NewMailbox returns a mailbox calling notify.
func NewMailbox(notify func(Service)) *Mailbox { return &Mailbox{b: newMailbox(notify)} }

// Offer hands snap to the mailbox if it is newer than what it holds.
func (m *Mailbox) Offer(snap Service) { m.b.offer(snap) }

// Run delivers snapshots until Stop.
func (m *Mailbox) Run() { m.b.run() }

// Stop ends Run; once it returns notify is not started again.
func (m *Mailbox) Stop() { m.b.stop() }
