package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/herald-gateway/herald/gateway/kitex_gen/nacospb"
)

// unaryFunc serves one request type for a set-up connection.
type unaryFunc func(s *Server, ctx context.Context, c *conn, p *nacospb.Payload) (*nacospb.Payload, error)

// unaryHandlers maps metadata.type to its handler. Types missing here are
// answered with errorCode 302.
var unaryHandlers = map[string]unaryFunc{
	"HealthCheckRequest":        (*Server).healthCheck,
	"InstanceRequest":           (*Server).instance,
	"BatchInstanceRequest":      (*Server).batchInstance,
	"PersistentInstanceRequest": (*Server).persistentInstance,
	"SubscribeServiceRequest":   (*Server).subscribe,
	"ServiceQueryRequest":       (*Server).queryService,
	"ServiceListRequest":        (*Server).listServices,
}

// requestHandler adapts the Server to Kitex's Request service.
type requestHandler struct{ s *Server }

// Request serves /Request/request. Every failure is answered in-band with
// a Nacos ErrorResponse; the gRPC call itself always succeeds, so a bad
// request never costs the client its connection.
func (h requestHandler) Request(ctx context.Context, p *nacospb.Payload) (*nacospb.Payload, error) {
	start := time.Now()
	resp, err := h.s.unary(ctx, p)
	if err != nil {
		var ne *nacosError
		if !errors.As(err, &ne) {
			h.s.log.Error("request failed", "type", payloadType(p), "err", err)
			ne = errorf(errServer, "%s failed: %v", payloadType(p), err)
		}
		h.s.observeRequest(payloadType(p), start, ne.code)
		return errorPayload(ne), nil
	}
	h.s.observeRequest(payloadType(p), start, 200)
	return resp, nil
}

// unary applies the reference server's order of checks: ServerCheck needs
// no connection; then unknown type (302), connection not set up (301),
// oversize or undecodable body (400/502), and finally the handler.
func (s *Server) unary(ctx context.Context, p *nacospb.Payload) (*nacospb.Payload, error) {
	typ := payloadType(p)
	c := connFrom(ctx)
	if typ == "ServerCheckRequest" {
		return serverCheck(c)
	}
	h, ok := unaryHandlers[typ]
	if !ok {
		if typ == "" {
			return nil, errorf(errNoHandler, "request has no metadata.type")
		}
		return nil, errorf(errNoHandler, "unknown request type %q", typ)
	}
	if c == nil {
		return nil, errorf(errServer, "request outside a tracked transport")
	}
	if _, err := c.session(); err != nil {
		return nil, errorf(errUnregistered, "Connection is unregistered.")
	}
	c.touch(time.Now())
	if n := len(payloadBody(p)); n > s.opts.MaxMessageBytes {
		return nil, errorf(errInvalidParam, "%s body is %d bytes, over the %d-byte limit", typ, n, s.opts.MaxMessageBytes)
	}
	return h(s, ctx, c, p)
}

type serverCheckResponse struct {
	response
	ConnectionID              string `json:"connectionId"`
	SupportAbilityNegotiation bool   `json:"supportAbilityNegotiation"`
}

// serverCheck returns the transport's connection id. Ability negotiation
// is off: Herald sends no SetupAckRequest, so Java clients must not wait
// for one.
func serverCheck(c *conn) (*nacospb.Payload, error) {
	if c == nil {
		return nil, errorf(errServer, "request outside a tracked transport")
	}
	return newPayload("ServerCheckResponse", serverCheckResponse{response: okResponse(), ConnectionID: c.id})
}

func (s *Server) healthCheck(_ context.Context, _ *conn, p *nacospb.Payload) (*nacospb.Payload, error) {
	var req request
	if err := decodeBody(p, &req); err != nil {
		return nil, err
	}
	resp := okResponse()
	resp.RequestID = req.RequestID
	return newPayload("HealthCheckResponse", resp)
}
