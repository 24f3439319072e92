package upstream

// Info shapes the snapshot as the Nacos ServiceInfo a client receives in a
// query response or push (NACOS_PROTOCOL.md A.8):
//   - name is the bare service name when grouped is false (gRPC) and
//     "group@@name" when grouped is true (HTTP 1.x and UDP);
//   - clusters echoes the clusters argument verbatim; it is also the filter,
//     parsed with ParseClusters ("" = all clusters);
//   - hosts holds the matching instances, each with serviceName set to
//     "group@@name". Like the reference server (ServiceQueryRequestHandler,
//     SubscribeServiceRequestHandler and PushExecuteTask all select with
//     enableOnly=true), disabled instances are never included; healthyOnly
//     additionally drops unhealthy ones. hosts is never nil, so JSON carries
//     [] for an empty service;
//   - lastRefTime is the snapshot's Revision, cacheMillis is CacheMillis,
//     checksum is "", valid is true.
//
// The reference server's protection threshold is not applied (allIPs and
// reachProtectionThreshold stay false). Info does not modify s.
func (s Service) Info(clusters string, healthyOnly, grouped bool) ServiceInfo {
	key := s.Key.Normalize()
	name := key.Name
	if grouped {
		name = key.Grouped()
	}
	return ServiceInfo{
		Name:        name,
		GroupName:   key.Group,
		Clusters:    clusters,
		CacheMillis: CacheMillis,
		Hosts:       s.hosts(ParseClusters(clusters), healthyOnly, key.Grouped()),
		LastRefTime: s.Revision,
		Checksum:    "",
		Valid:       true,
	}
}

// Filter returns the instances whose clusterName is in clusters (every
// instance when clusters is empty), in snapshot order, enabled or not. The
// result is a new, non-nil slice; its metadata maps are shared with the
// snapshot and must not be modified.
func (s Service) Filter(clusters []string) []Instance {
	out := make([]Instance, 0, len(s.Instances))
	for _, in := range s.Instances {
		if inClusters(clusters, in.ClusterName) {
			out = append(out, in)
		}
	}
	return out
}

// hosts is Filter restricted to enabled (and, if asked, healthy) instances,
// with serviceName set to grouped.
func (s Service) hosts(clusters []string, healthyOnly bool, grouped string) []Instance {
	out := make([]Instance, 0, len(s.Instances))
	for _, in := range s.Instances {
		if !in.Enabled || healthyOnly && !in.Healthy || !inClusters(clusters, in.ClusterName) {
			continue
		}
		in.ServiceName = grouped
		out = append(out, in)
	}
	return out
}

// inClusters reports whether cluster passes the filter (empty = all).
func inClusters(clusters []string, cluster string) bool {
	if len(clusters) == 0 {
		return true
	}
	for _, c := range clusters {
		if c == cluster {
			return true
		}
	}
	return false
}
