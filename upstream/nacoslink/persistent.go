package nacoslink

import (
	"context"
	"errors"
	"fmt"

	"github.com/herald-gateway/herald/upstream"
)

// Persistent instances belong to no connection. Each is forwarded as its
// own PersistentInstanceRequest and kept for the redo after a reconnect.

// persistentRequest is the PersistentInstanceRequest for in.
func persistentRequest(key upstream.ServiceKey, typ string, in upstream.Instance) instanceRequest {
	in.Ephemeral = false
	return instanceRequest{namingRequest: naming(key), Type: typ, Instance: &in}
}

// registerPersistent forwards one persistent instance (the slot holds one).
func (l *Link) registerPersistent(ctx context.Context, owner string, key upstream.ServiceKey, slot []upstream.Instance) error {
	if len(slot) != 1 {
		return fmt.Errorf("register %s: a persistent slot holds exactly one instance, got %d: %w", key, len(slot), upstream.ErrInvalid)
	}
	in := slot[0]
	in.Ephemeral = false
	err := l.sendPersistent(ctx, key, "registerInstance", in)
	if err != nil && !errors.Is(err, errNotConnected) {
		return fmt.Errorf("register %s: %w", key, err)
	}
	l.mu.Lock()
	if l.persist[key] == nil {
		l.persist[key] = make(map[string]upstream.Instance)
	}
	l.persist[key][owner] = in
	l.mu.Unlock()
	return nil
}

// deregisterPersistent removes one persistent instance upstream.
func (l *Link) deregisterPersistent(ctx context.Context, owner string, key upstream.ServiceKey) error {
	l.mu.Lock()
	in, ok := l.persist[key][owner]
	delete(l.persist[key], owner)
	if len(l.persist[key]) == 0 {
		delete(l.persist, key)
	}
	l.mu.Unlock()
	if !ok {
		return nil
	}
	err := l.sendPersistent(ctx, key, "deregisterInstance", in)
	if err != nil && !errors.Is(err, errNotConnected) {
		return fmt.Errorf("deregister %s: %w", key, err)
	}
	return nil
}

// sendPersistent sends one PersistentInstanceRequest when connected.
func (l *Link) sendPersistent(ctx context.Context, key upstream.ServiceKey, typ string, in upstream.Instance) error {
	l.mu.Lock()
	s := l.sess
	l.mu.Unlock()
	if s == nil {
		return errNotConnected
	}
	return s.call(ctx, "PersistentInstanceRequest", persistentRequest(key, typ, in), nil)
}

// redoPersistent registers every persistent instance again on s.
func (l *Link) redoPersistent(s *session) {
	type item struct {
		key upstream.ServiceKey
		in  upstream.Instance
	}
	var todo []item
	l.mu.Lock()
	for key, owners := range l.persist {
		for _, in := range owners {
			todo = append(todo, item{key, in})
		}
	}
	l.mu.Unlock()
	for _, it := range todo {
		err := s.call(l.ctx, "PersistentInstanceRequest", persistentRequest(it.key, "registerInstance", it.in), nil)
		if err != nil {
			l.log.Warn("upstream persistent redo failed", "service", it.key.String(), "err", err)
		}
	}
}
