// Package upstream is Herald's side of the service registry: the Registry
// interface the gateway and fanout consume, the Nacos-shaped data model, and
// the embedded registry that lets Herald run alone.
package upstream

import (
	"context"
	"errors"
	"strconv"
	"strings"
)

// Defaults applied wherever a client leaves a name blank.
const (
	PublicNamespace = "public"
	DefaultGroup    = "DEFAULT_GROUP"
	DefaultCluster  = "DEFAULT"
	// CacheMillis is what ServiceInfo.cacheMillis carries: how long an SDK
	// trusts its cache before it queries again (Nacos defaultPushCacheMillis).
	CacheMillis = 10000
)

// ErrInvalid marks an error caused by the caller's input (a bad name, a
// missing field); the gateway answers it with Nacos errorCode 400.
var ErrInvalid = errors.New("invalid parameter")

// Registry is everything the gateway and fanout need from a service
// registry. Implementations are safe for concurrent use.
//
// Ownership: every instance is registered on behalf of an owner (a gateway
// session id). Each (owner, service) pair has exactly one slot, as in Nacos:
// Register replaces the slot's content, Deregister empties it. The owner is
// responsible for emptying its slots when it goes away.
//
// Persistent instances (Nacos "persistent" or non-ephemeral) belong to no
// connection: the gateway registers each one under PersistentOwner(instance),
// one instance per slot, and only an explicit Deregister removes it. The
// owner decides: instances in a slot whose owner IsPersistentOwner are
// stored with Ephemeral false, all others with Ephemeral true. A service holds either ephemeral or
// persistent instances, never both: mixing them is an ErrInvalid error. The
// embedded registry keeps persistent instances on disk and health-checks
// them; a remote registry forwards them.
type Registry interface {
	// Register fills the owner's slot for key with instances (one for a
	// plain register, many for a batch), replacing whatever it held. The
	// instances are normalised (cluster DEFAULT when blank, instanceId
	// generated when blank, ephemeral as the owner decides) and validated;
	// invalid input (including a persistent slot of more than one
	// instance, or a kind the service does not hold) returns an error
	// wrapping ErrInvalid and changes nothing.
	Register(ctx context.Context, owner string, key ServiceKey, instances []Instance) error

	// Deregister empties the owner's slot for key. Emptying an empty slot is
	// not an error.
	Deregister(ctx context.Context, owner string, key ServiceKey) error

	// Subscribe asks for every change of key. notify is called first with the
	// current snapshot, then with each newer snapshot, in strictly increasing
	// Revision order, from a goroutine owned by the registry; intermediate
	// snapshots may be skipped when changes come faster than notify returns
	// (the latest always arrives). notify must not block for long. The
	// returned cancel stops the notifications; after it returns notify is not
	// called again.
	Subscribe(key ServiceKey, notify func(Service)) (cancel func(), err error)

	// Query returns the current snapshot of key. An unknown service is not
	// an error: it yields an empty snapshot with a fresh revision.
	Query(ctx context.Context, key ServiceKey) (Service, error)

	// List returns one page (pageNo from 1) of the bare service names in a
	// namespace and group, sorted, and the total count before paging.
	List(ctx context.Context, namespace, group string, pageNo, pageSize int) (total int, names []string, err error)

	// Close releases the registry's resources.
	Close() error
}

// PersistentOwner is the owner under which a persistent instance is
// registered: one slot per (cluster, ip, port) of a service.
func PersistentOwner(in Instance) string {
	cluster := in.ClusterName
	if cluster == "" {
		cluster = DefaultCluster
	}
	return persistentPrefix + cluster + ":" + in.IP + ":" + strconv.FormatUint(in.Port, 10)
}

// ParsePersistentOwner is the inverse of PersistentOwner: the cluster, ip
// and port an owner names (enough to deregister the instance elsewhere).
// ok is false when owner is not a persistent owner.
func ParsePersistentOwner(owner string) (in Instance, ok bool) {
	rest, ok := strings.CutPrefix(owner, persistentPrefix)
	if !ok {
		return Instance{}, false
	}
	cluster, addr, ok := strings.Cut(rest, ":") // cluster names hold no ':'
	i := strings.LastIndexByte(addr, ':')       // an IPv6 address does
	if !ok || i <= 0 {
		return Instance{}, false
	}
	port, err := strconv.ParseUint(addr[i+1:], 10, 16)
	if err != nil {
		return Instance{}, false
	}
	return Instance{ClusterName: cluster, IP: addr[:i], Port: port}, true
}

// IsPersistentOwner reports whether owner names a persistent slot.
func IsPersistentOwner(owner string) bool { return strings.HasPrefix(owner, persistentPrefix) }

const persistentPrefix = "persistent:"

// Ready is implemented by registries that depend on something remote (the
// Nacos link). Ready returns nil while the registry is connected and in
// sync, and an error saying what is wrong otherwise; readiness probes and
// the admin API report it.
type Ready interface {
	Ready() error
}
