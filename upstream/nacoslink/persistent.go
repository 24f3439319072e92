package nacoslink

import (
	"context"
	"errors"
	"fmt"

	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/upstream"
)

// Persistent instances belong to no connection, upstream as here: each
// registration and deregistration is forwarded at once as its own
// PersistentInstanceRequest, and the upstream keeps the instance. The link
// keeps no copy and redoes nothing after a reconnect: the upstream still
// has them, and a copy could resurrect an instance that someone else
// deregistered meanwhile. While the upstream is unreachable the request
// fails, as it would against Nacos, and the client retries.

// persistentRequest is the PersistentInstanceRequest for in.
func persistentRequest(key upstream.ServiceKey, typ string, in upstream.Instance) nacoswire.InstanceRequest {
	in.Ephemeral = false
	return nacoswire.InstanceRequest{NamingRequest: nacoswire.Naming(key), Type: typ, Instance: &in}
}

// registerPersistent forwards one persistent instance (the slot holds one).
func (l *Link) registerPersistent(ctx context.Context, key upstream.ServiceKey, slot []upstream.Instance) error {
	if len(slot) != 1 {
		return fmt.Errorf("register %s: a persistent slot holds exactly one instance, got %d: %w", key, len(slot), upstream.ErrInvalid)
	}
	if err := l.sendPersistent(ctx, key, "registerInstance", slot[0]); err != nil {
		return fmt.Errorf("register persistent %s: %w", key, err)
	}
	return nil
}

// deregisterPersistent forwards the deregistration of the instance owner
// names, whether or not this gateway registered it.
func (l *Link) deregisterPersistent(ctx context.Context, owner string, key upstream.ServiceKey) error {
	in, ok := upstream.ParsePersistentOwner(owner)
	if !ok {
		return fmt.Errorf("deregister %s: owner %q names no persistent instance: %w", key, owner, upstream.ErrInvalid)
	}
	if err := l.sendPersistent(ctx, key, "deregisterInstance", in); err != nil {
		return fmt.Errorf("deregister persistent %s: %w", key, err)
	}
	return nil
}

// sendPersistent sends one PersistentInstanceRequest when connected.
func (l *Link) sendPersistent(ctx context.Context, key upstream.ServiceKey, typ string, in upstream.Instance) error {
	l.mu.Lock()
	s := l.sess
	l.mu.Unlock()
	if s == nil {
		return errUpstreamDown
	}
	return s.call(ctx, nacoswire.TypePersistentInstanceRequest, persistentRequest(key, typ, in), nil)
}

// errUpstreamDown fails a request that cannot be kept for a redo.
var errUpstreamDown = errors.New("upstream not connected")
