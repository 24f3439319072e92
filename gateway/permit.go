package gateway

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/herald-gateway/herald/gateway/auth"
	"github.com/herald-gateway/herald/internal/nacospb"
	"github.com/herald-gateway/herald/internal/nacoswire"
)

// tokenHeader is the request header the Nacos SDKs carry their login
// token in.
const tokenHeader = "accessToken"

// requestGuard is what a request type asks of its sender: an action on
// the resources its body names. refusedAs is the response type a refusal
// is answered in: "" for an ErrorResponse (naming: the Go SDK's naming
// calls fail only on that; a failed typed answer reads as an empty
// success), else the request's own (config: as every config failure, so
// the SDK reports it without retrying and reconnecting).
type requestGuard struct {
	act       auth.Action
	resources func(p *nacospb.Payload) ([]auth.Resource, error)
	refusedAs string
}

// requestGuards lists every guarded type: all unary types but
// ServerCheck and HealthCheck, which touch nothing (Nacos does not guard
// them either). TestEveryHandlerGuarded keeps it in step with unaryHandlers.
var requestGuards = map[string]requestGuard{
	nacoswire.TypeInstanceRequest:           {auth.Write, namingResource, ""},
	nacoswire.TypeBatchInstanceRequest:      {auth.Write, namingResource, ""},
	nacoswire.TypePersistentInstanceRequest: {auth.Write, namingResource, ""},
	nacoswire.TypeSubscribeServiceRequest:   {auth.Read, namingResource, ""},
	nacoswire.TypeServiceQueryRequest:       {auth.Read, namingResource, ""},
	nacoswire.TypeServiceListRequest:        {auth.Read, serviceListResource, ""},
	nacoswire.TypeConfigQueryRequest:        {auth.Read, configResource, nacoswire.TypeConfigQueryResponse},
	nacoswire.TypeConfigPublishRequest:      {auth.Write, configResource, nacoswire.TypeConfigPublishResponse},
	nacoswire.TypeConfigRemoveRequest:       {auth.Write, configResource, nacoswire.TypeConfigRemoveResponse},
	nacoswire.TypeConfigBatchListenRequest:  {auth.Read, listenResources, nacoswire.TypeConfigChangeBatchListenResponse},
}

// permit checks a request's token and its rights to what it names, before
// its handler runs: a refused request has no effect. It records the user
// on the connection, for push records. With auth off it lets all pass.
func (s *Server) permit(c *conn, typ string, p *nacospb.Payload) error {
	a := s.opts.Auth
	g, guarded := requestGuards[typ]
	if !guarded || !a.Enabled() {
		return nil
	}
	user, err := a.Authenticate(nacoswire.Header(p, tokenHeader), time.Now())
	if err != nil {
		return g.refuse(p, err)
	}
	res, err := g.resources(p)
	if err != nil {
		return err
	}
	for _, r := range res {
		if err := a.Allow(user, g.act, r); err != nil {
			return g.refuse(p, err)
		}
	}
	c.setUser(user)
	return nil
}

// refuse is errorCode 403 with Nacos's message for the refusal (the SDKs
// log in again on it), in the guard's response type.
func (g requestGuard) refuse(p *nacospb.Payload, err error) error {
	var d *auth.Denied
	if !errors.As(err, &d) {
		return err
	}
	ne := errorf(nacoswire.ErrNoRight, "%s", d.Msg)
	if g.refusedAs != "" {
		var req nacoswire.Request
		_ = json.Unmarshal(nacoswire.Body(p), &req) // best effort: the requestId to echo
		ne.respType, ne.requestID = g.refusedAs, req.RequestID
	}
	return ne
}

func namingResource(p *nacospb.Payload) ([]auth.Resource, error) {
	var req nacoswire.NamingRequest
	if err := decodeBody(p, &req); err != nil {
		return nil, err
	}
	return []auth.Resource{{Namespace: req.Namespace, Group: req.GroupName, Kind: auth.KindNaming, Name: req.ServiceName}}, nil
}

func serviceListResource(p *nacospb.Payload) ([]auth.Resource, error) {
	var req nacoswire.NamingRequest
	if err := decodeBody(p, &req); err != nil {
		return nil, err
	}
	return []auth.Resource{{Namespace: req.Namespace, Group: req.GroupName, Kind: auth.KindNaming, Name: "*"}}, nil
}

func configResource(p *nacospb.Payload) ([]auth.Resource, error) {
	var req nacoswire.ConfigRequest
	if err := decodeBody(p, &req); err != nil {
		return nil, err
	}
	return []auth.Resource{{Namespace: req.Tenant, Group: req.Group, Kind: auth.KindConfig, Name: req.DataID}}, nil
}

// listenResources are every key of a batch listen: one refused refuses the
// listen, so a listener is never left silently without changes.
func listenResources(p *nacospb.Payload) ([]auth.Resource, error) {
	var req nacoswire.ConfigBatchListenRequest
	if err := decodeBody(p, &req); err != nil {
		return nil, err
	}
	out := make([]auth.Resource, len(req.ConfigListenContexts))
	for i, k := range req.ConfigListenContexts {
		out[i] = auth.Resource{Namespace: k.Tenant, Group: k.Group, Kind: auth.KindConfig, Name: k.DataID}
	}
	return out, nil
}
