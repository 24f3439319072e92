package gateway

import (
	"context"
	"time"

	"github.com/herald-gateway/herald/internal/nacospb"
	"github.com/herald-gateway/herald/internal/nacoswire"
)

// unaryFunc serves one request type for a set-up connection.
type unaryFunc func(s *Server, ctx context.Context, c *conn, p *nacospb.Payload) (*nacospb.Payload, error)

// unaryHandlers maps metadata.type to its handler. Types missing here are
// answered with errorCode 302.
var unaryHandlers = map[string]unaryFunc{
	nacoswire.TypeHealthCheckRequest:        (*Server).healthCheck,
	nacoswire.TypeInstanceRequest:           (*Server).instance,
	nacoswire.TypeBatchInstanceRequest:      (*Server).batchInstance,
	nacoswire.TypePersistentInstanceRequest: (*Server).persistentInstance,
	nacoswire.TypeSubscribeServiceRequest:   (*Server).subscribe,
	nacoswire.TypeServiceQueryRequest:       (*Server).queryService,
	nacoswire.TypeServiceListRequest:        (*Server).listServices,
	nacoswire.TypeConfigQueryRequest:        (*Server).configQuery,
	nacoswire.TypeConfigPublishRequest:      (*Server).configPublish,
	nacoswire.TypeConfigRemoveRequest:       (*Server).configRemove,
	nacoswire.TypeConfigBatchListenRequest:  (*Server).configListen,
}

// unary applies the reference server's order of checks: ServerCheck needs
// no connection; then unknown type (302), connection not set up (301),
// oversize body (400), token and permissions (403, permit.go), undecodable
// body (502), and finally the handler.
func (s *Server) unary(ctx context.Context, c *conn, p *nacospb.Payload) (*nacospb.Payload, error) {
	typ := nacoswire.Type(p)
	if c != nil && c.refused != nil {
		return nil, errorf(nacoswire.ErrOverThreshold, "%v", c.refused)
	}
	if typ == nacoswire.TypeServerCheckRequest {
		return serverCheck(c)
	}
	h, ok := unaryHandlers[typ]
	if !ok {
		if typ == "" {
			return nil, errorf(nacoswire.ErrNoHandler, "request has no metadata.type")
		}
		return nil, errorf(nacoswire.ErrNoHandler, "unknown request type %q", typ)
	}
	if c == nil {
		return nil, errorf(nacoswire.ErrServer, "request outside a tracked transport")
	}
	if _, err := c.session(); err != nil {
		return nil, errUnregisteredConn()
	}
	now := time.Now()
	c.touch(now)
	if err := s.overRate(c, typ, now); err != nil {
		return nil, err
	}
	if n := len(nacoswire.Body(p)); n > s.opts.MaxMessageBytes {
		return nil, errorf(nacoswire.ErrInvalidParam, "%s body is %d bytes, over the %d-byte limit", typ, n, s.opts.MaxMessageBytes)
	}
	if err := s.permit(c, typ, p); err != nil {
		return nil, err
	}
	return h(s, ctx, c, p)
}

// serverCheck returns the transport's connection id. Ability negotiation
// is off: Herald sends no SetupAckRequest, so Java clients must not wait
// for one.
func serverCheck(c *conn) (*nacospb.Payload, error) {
	if c == nil {
		return nil, errorf(nacoswire.ErrServer, "request outside a tracked transport")
	}
	return nacoswire.NewPayload(nacoswire.TypeServerCheckResponse, nacoswire.ServerCheckResponse{
		Response: nacoswire.Success(""), ConnectionID: c.id})
}

func (s *Server) healthCheck(_ context.Context, _ *conn, p *nacospb.Payload) (*nacospb.Payload, error) {
	var req nacoswire.Request
	if err := decodeBody(p, &req); err != nil {
		return nil, err
	}
	return nacoswire.NewPayload(nacoswire.TypeHealthCheckResponse, answer(req))
}
