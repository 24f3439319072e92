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
