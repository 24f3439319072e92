package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/internal/nacospb"
	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/upstream"
)

// serviceKey returns the normalised, validated service key a naming
// request names (A.8).
func serviceKey(r nacoswire.NamingRequest) (upstream.ServiceKey, error) {
	k := r.Key().Normalize()
	if err := upstream.ValidateKey(k); err != nil {
		return k, invalid(err)
	}
	return k, nil
}

// invalid turns a registry input error or a refused subscription (over
// the per-client cap) into errorCode 400 and passes other
// errors through.
func invalid(err error) error {
	if errors.Is(err, upstream.ErrInvalid) || errors.Is(err, fanout.ErrTooManySubscriptions) {
		return errorf(nacoswire.ErrInvalidParam, "%v", err)
	}
	return err
}

// decodeInstance decodes an InstanceRequest or PersistentInstanceRequest
// body and returns it with its normalised, validated key.
func decodeInstance(p *nacospb.Payload) (nacoswire.InstanceRequest, upstream.ServiceKey, error) {
	var req nacoswire.InstanceRequest
	if err := decodeBody(p, &req); err != nil {
		return req, upstream.ServiceKey{}, err
	}
	key, err := serviceKey(req.NamingRequest)
	return req, key, err
}

func (s *Server) instance(ctx context.Context, c *conn, p *nacospb.Payload) (*nacospb.Payload, error) {
	req, key, err := decodeInstance(p)
	if err != nil {
		return nil, err
	}
	switch req.Type {
	case nacoswire.RegisterInstance:
		if req.Instance == nil {
			return nil, errorf(nacoswire.ErrInvalidParam, "instance: required for registerInstance")
		}
		err = s.registerSlot(ctx, c, key, []upstream.Instance{*req.Instance})
	case nacoswire.DeregisterInstance:
		err = s.deregisterSlot(ctx, c, key)
	default:
		return nil, errorf(nacoswire.ErrInvalidParam, "type: unknown InstanceRequest type %q (want registerInstance or deregisterInstance)", req.Type)
	}
	if err != nil {
		return nil, invalid(err)
	}
	return nacoswire.NewPayload(nacoswire.TypeInstanceResponse, nacoswire.TypedResponse{Response: answer(req.Request), Type: req.Type})
}

func (s *Server) batchInstance(ctx context.Context, c *conn, p *nacospb.Payload) (*nacospb.Payload, error) {
	var req nacoswire.BatchInstanceRequest
	if err := decodeBody(p, &req); err != nil {
		return nil, err
	}
	key, err := serviceKey(req.NamingRequest)
	if err != nil {
		return nil, err
	}
	if req.Type != nacoswire.BatchRegisterInstance {
		return nil, errorf(nacoswire.ErrInvalidParam, "type: unknown BatchInstanceRequest type %q (want batchRegisterInstance)", req.Type)
	}
	if len(req.Instances) == 0 {
		return nil, errorf(nacoswire.ErrInvalidParam, "instances: at least one instance is required")
	}
	if err := s.registerSlot(ctx, c, key, req.Instances); err != nil {
		return nil, invalid(err)
	}
	return nacoswire.NewPayload(nacoswire.TypeBatchInstanceResponse, nacoswire.TypedResponse{Response: answer(req.Request), Type: req.Type})
}

// registerSlot fills the connection's slot in key, serialised with the
// connection's release so nothing is registered after it closed.
func (s *Server) registerSlot(ctx context.Context, c *conn, key upstream.ServiceKey, ins []upstream.Instance) error {
	c.regMu.Lock()
	defer c.regMu.Unlock()
	if _, err := c.session(); err != nil {
		return errUnregisteredConn()
	}
	if err := s.reg.Register(ctx, c.id, key, ins); err != nil {
		return fmt.Errorf("register %s: %w", key, err)
	}
	return c.trackRegistration(key, ins)
}

// deregisterSlot empties the connection's slot in key, whatever ip:port
// the request names, as Nacos does.
func (s *Server) deregisterSlot(ctx context.Context, c *conn, key upstream.ServiceKey) error {
	c.regMu.Lock()
	defer c.regMu.Unlock()
	if err := s.reg.Deregister(ctx, c.id, key); err != nil {
		return fmt.Errorf("deregister %s: %w", key, err)
	}
	return c.trackRegistration(key, nil)
}

// serviceInfo answers a subscribe or query with a view of snap.
func serviceInfo(typ string, req nacoswire.Request, snap upstream.Service, clusters string, healthyOnly bool) (*nacospb.Payload, error) {
	info := snap.Info(clusters, healthyOnly, false)
	return nacoswire.NewPayload(typ, nacoswire.ServiceInfoResponse{Response: answer(req), ServiceInfo: &info})
}

func (s *Server) subscribe(ctx context.Context, c *conn, p *nacospb.Payload) (*nacospb.Payload, error) {
	var req nacoswire.SubscribeServiceRequest
	if err := decodeBody(p, &req); err != nil {
		return nil, err
	}
	key, err := serviceKey(req.NamingRequest)
	if err != nil {
		return nil, err
	}
	if err := validateClusters(req.Clusters); err != nil {
		return nil, err
	}
	var snap upstream.Service
	if req.Subscribe {
		snap, err = s.subscribeConn(ctx, c, key, req.Clusters)
	} else {
		s.hub.Unsubscribe(c.id, fanout.NamingTopic(key), req.Clusters)
		snap, err = s.reg.Query(ctx, key)
	}
	if err != nil {
		return nil, invalid(err)
	}
	return serviceInfo(nacoswire.TypeSubscribeServiceResponse, req.Request, snap, req.Clusters, false)
}

// subscribeConn subscribes the connection, serialised with its release
// (as registrations are) so no subscription outlives a closed connection.
func (s *Server) subscribeConn(ctx context.Context, c *conn, key upstream.ServiceKey, clusters string) (upstream.Service, error) {
	c.regMu.Lock()
	defer c.regMu.Unlock()
	if _, err := c.session(); err != nil {
		return upstream.Service{}, errUnregisteredConn()
	}
	snap, err := s.hub.Subscribe(ctx, c, fanout.NamingTopic(key), clusters)
	return snap.Service(), err
}

// validateClusters checks each name of a comma-joined cluster filter.
func validateClusters(clusters string) error {
	for _, name := range upstream.ParseClusters(clusters) {
		if err := upstream.ValidateCluster(name); err != nil {
			return invalid(err)
		}
	}
	return nil
}

func (s *Server) queryService(ctx context.Context, _ *conn, p *nacospb.Payload) (*nacospb.Payload, error) {
	var req nacoswire.ServiceQueryRequest
	if err := decodeBody(p, &req); err != nil {
		return nil, err
	}
	key, err := serviceKey(req.NamingRequest)
	if err != nil {
		return nil, err
	}
	if err := validateClusters(req.Cluster); err != nil {
		return nil, err
	}
	snap, err := s.reg.Query(ctx, key)
	if err != nil {
		return nil, invalid(err)
	}
	return serviceInfo(nacoswire.TypeQueryServiceResponse, req.Request, snap, req.Cluster, req.HealthyOnly)
}

// maxPageSize bounds one ServiceList page.
const maxPageSize = 10000

// listServices answers one page of bare service names. A selector is not
// supported yet and is ignored (the Go SDK sends "" by default).
func (s *Server) listServices(ctx context.Context, _ *conn, p *nacospb.Payload) (*nacospb.Payload, error) {
	var req nacoswire.ServiceListRequest
	if err := decodeBody(p, &req); err != nil {
		return nil, err
	}
	ns := upstream.ServiceKey{Namespace: req.Namespace, Group: req.GroupName, Name: "x"}.Normalize()
	if err := upstream.ValidateKey(ns); err != nil {
		return nil, invalid(err)
	}
	if req.PageSize < 1 || req.PageSize > maxPageSize {
		return nil, errorf(nacoswire.ErrInvalidParam, "pageSize: must be 1..%d, got %d", maxPageSize, req.PageSize)
	}
	total, names, err := s.reg.List(ctx, ns.Namespace, ns.Group, req.PageNo, req.PageSize)
	if err != nil {
		return nil, invalid(err)
	}
	if names == nil {
		names = []string{}
	}
	return nacoswire.NewPayload(nacoswire.TypeServiceListResponse, nacoswire.ServiceListResponse{
		Response: answer(req.Request), Count: total, ServiceNames: names,
	})
}
