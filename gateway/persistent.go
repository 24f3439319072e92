package gateway

import (
	"context"
	"fmt"

	"github.com/herald-gateway/herald/internal/nacospb"
	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/upstream"
)

// persistentInstance serves PersistentInstanceRequest (A.8): register or
// deregister one persistent instance. It belongs to no connection: its
// slot is upstream.PersistentOwner(instance), it is not among the
// connection's released registrations, and only a deregisterInstance
// naming the same cluster, ip and port removes it. Bad input, and a
// service that holds ephemeral instances, are answered with errorCode 400.
func (s *Server) persistentInstance(ctx context.Context, _ *conn, p *nacospb.Payload) (*nacospb.Payload, error) {
	req, key, err := decodeInstance(p)
	if err != nil {
		return nil, err
	}
	if req.Instance == nil {
		return nil, errorf(nacoswire.ErrInvalidParam, "instance: required for PersistentInstanceRequest %s", req.Type)
	}
	in := *req.Instance
	owner := upstream.PersistentOwner(in)
	switch req.Type {
	case nacoswire.RegisterInstance:
		err = s.reg.Register(ctx, owner, key, []upstream.Instance{in})
	case nacoswire.DeregisterInstance:
		if err = upstream.ValidateInstance(in); err == nil {
			err = s.reg.Deregister(ctx, owner, key)
		}
	default:
		return nil, errorf(nacoswire.ErrInvalidParam, "type: unknown PersistentInstanceRequest type %q (want registerInstance or deregisterInstance)", req.Type)
	}
	if err != nil {
		return nil, invalid(fmt.Errorf("%s %s: %w", req.Type, key, err))
	}
	return nacoswire.NewPayload(nacoswire.TypeInstanceResponse, nacoswire.TypedResponse{Response: answer(req.Request), Type: req.Type})
}
