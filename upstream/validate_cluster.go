package upstream

// ValidateCluster checks one cluster name (as in a subscriber's cluster
// filter) against Nacos's cluster name rule. It returns nil or a
// *FieldError wrapping ErrInvalid.
func ValidateCluster(name string) error { return clusterRule.check(name) }
