package upstream

import (
	"strings"
	"time"
)

// ServiceKey names a service. Namespace "" is normalised to "public" by
// Normalize; Group "" to DEFAULT_GROUP. Name is the bare service name.
type ServiceKey struct {
	Namespace string
	Group     string
	Name      string
}

// Normalize returns the key with blank namespace and group defaulted.
func (k ServiceKey) Normalize() ServiceKey {
	if k.Namespace == "" {
		k.Namespace = PublicNamespace
	}
	if k.Group == "" {
		k.Group = DefaultGroup
	}
	return k
}

// Grouped returns "group@@name", the form Nacos uses in instanceIds and
// the HTTP 1.x API.
func (k ServiceKey) Grouped() string { return k.Group + "@@" + k.Name }

// String is "namespace/group@@name", for logs and errors.
func (k ServiceKey) String() string { return k.Namespace + "/" + k.Grouped() }

// Instance is one service instance, with Nacos's JSON field names (the
// same as nacos-sdk-go's model.Instance, so it round-trips through SDKs).
type Instance struct {
	InstanceID                string            `json:"instanceId"`
	IP                        string            `json:"ip"`
	Port                      uint64            `json:"port"`
	Weight                    float64           `json:"weight"`
	Healthy                   bool              `json:"healthy"`
	Enabled                   bool              `json:"enabled"`
	Ephemeral                 bool              `json:"ephemeral"`
	ClusterName               string            `json:"clusterName"`
	ServiceName               string            `json:"serviceName"`
	Metadata                  map[string]string `json:"metadata"`
	InstanceHeartBeatInterval int64             `json:"instanceHeartBeatInterval"`
	InstanceHeartBeatTimeOut  int64             `json:"instanceHeartBeatTimeOut"`
	IPDeleteTimeout           int64             `json:"ipDeleteTimeout"`
}

// Service is an immutable snapshot of one service: every instance in every
// cluster, and the revision (Nacos lastRefTime, epoch milliseconds) at
// which it was taken. Revisions of one service strictly increase.
// Snapshots are shared between goroutines: never modify one.
type Service struct {
	Key       ServiceKey
	Revision  int64
	Instances []Instance
	// Changed is when the registry made this revision (zero when unknown,
	// e.g. for a service that does not exist). Push tracking measures
	// end-to-end delivery time from it.
	Changed time.Time
}

// ServiceInfo is the Nacos ServiceInfo JSON sent in query responses and
// pushes (see NACOS_PROTOCOL.md A.8).
type ServiceInfo struct {
	Name                     string     `json:"name"`
	GroupName                string     `json:"groupName"`
	Clusters                 string     `json:"clusters"`
	CacheMillis              int64      `json:"cacheMillis"`
	Hosts                    []Instance `json:"hosts"`
	LastRefTime              int64      `json:"lastRefTime"`
	Checksum                 string     `json:"checksum"`
	AllIPs                   bool       `json:"allIPs"`
	ReachProtectionThreshold bool       `json:"reachProtectionThreshold"`
	Valid                    bool       `json:"valid"`
}

// ParseClusters splits a comma-joined cluster filter ("" = all clusters)
// into its names, dropping blanks.
func ParseClusters(s string) []string { return SplitList(s) }

// SplitList splits a comma-separated list (of clusters, of beta IPs) into
// its trimmed items, dropping blanks; nil for none.
func SplitList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}
