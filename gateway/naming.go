package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway/kitex_gen/nacospb"
	"github.com/herald-gateway/herald/upstream"
)

// namingRequest is the common body of naming requests (A.8).
type namingRequest struct {
	request
	Namespace   string `json:"namespace"`
	ServiceName string `json:"serviceName"`
	GroupName   string `json:"groupName"`
}

// key returns the normalised, validated service key.
func (r namingRequest) key() (upstream.ServiceKey, error) {
	k := upstream.ServiceKey{Namespace: r.Namespace, Group: r.GroupName, Name: r.ServiceName}.Normalize()
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
		return errorf(errInvalidParam, "%v", err)
	}
	return err
}

type instanceRequest struct {
	namingRequest
	Type     string             `json:"type"`
	Instance *upstream.Instance `json:"instance"`
}

type typedResponse struct {
	response
	Type string `json:"type"`
}

// decodeInstance decodes an InstanceRequest or PersistentInstanceRequest
// body and returns it with its normalised, validated key.
func decodeInstance(p *nacospb.Payload) (instanceRequest, upstream.ServiceKey, error) {
	var req instanceRequest
	if err := decodeBody(p, &req); err != nil {
		return req, upstream.ServiceKey{}, err
	}
	key, err := req.key()
	return req, key, err
}

func (s *Server) instance(ctx context.Context, c *conn, p *nacospb.Payload) (*nacospb.Payload, error) {
	req, key, err := decodeInstance(p)
	if err != nil {
		return nil, err
	}
	switch req.Type {
	case "registerInstance":
		if req.Instance == nil {
			return nil, errorf(errInvalidParam, "instance: required for registerInstance")
		}
		err = s.registerSlot(ctx, c, key, []upstream.Instance{*req.Instance})
	case "deregisterInstance":
		err = s.deregisterSlot(ctx, c, key)
	default:
		return nil, errorf(errInvalidParam, "type: unknown InstanceRequest type %q (want registerInstance or deregisterInstance)", req.Type)
	}
	if err != nil {
		return nil, invalid(err)
	}
	return newPayload("InstanceResponse", typedResponse{response: echo(req.request), Type: req.Type})
}

type batchInstanceRequest struct {
	namingRequest
	Type      string              `json:"type"`
	Instances []upstream.Instance `json:"instances"`
}

func (s *Server) batchInstance(ctx context.Context, c *conn, p *nacospb.Payload) (*nacospb.Payload, error) {
	var req batchInstanceRequest
	if err := decodeBody(p, &req); err != nil {
		return nil, err
	}
	key, err := req.key()
	if err != nil {
		return nil, err
	}
	if req.Type != "batchRegisterInstance" {
		return nil, errorf(errInvalidParam, "type: unknown BatchInstanceRequest type %q (want batchRegisterInstance)", req.Type)
	}
	if len(req.Instances) == 0 {
		return nil, errorf(errInvalidParam, "instances: at least one instance is required")
	}
	if err := s.registerSlot(ctx, c, key, req.Instances); err != nil {
		return nil, invalid(err)
	}
	return newPayload("BatchInstanceResponse", typedResponse{response: echo(req.request), Type: req.Type})
}

// registerSlot fills the connection's slot in key, serialised with the
// connection's release so nothing is registered after it closed.
func (s *Server) registerSlot(ctx context.Context, c *conn, key upstream.ServiceKey, ins []upstream.Instance) error {
	c.regMu.Lock()
	defer c.regMu.Unlock()
	if _, err := c.session(); err != nil {
		return errorf(errUnregistered, "Connection is unregistered.")
	}
	if err := s.reg.Register(ctx, c.id, key, ins); err != nil {
		return fmt.Errorf("register %s: %w", key, err)
	}
	return c.trackRegistration(key, true)
}

// deregisterSlot empties the connection's slot in key, whatever ip:port
// the request names, as Nacos does.
func (s *Server) deregisterSlot(ctx context.Context, c *conn, key upstream.ServiceKey) error {
	c.regMu.Lock()
	defer c.regMu.Unlock()
	if err := s.reg.Deregister(ctx, c.id, key); err != nil {
		return fmt.Errorf("deregister %s: %w", key, err)
	}
	return c.trackRegistration(key, false)
}

func echo(r request) response {
	resp := okResponse()
	resp.RequestID = r.RequestID
	return resp
}

type subscribeRequest struct {
	namingRequest
	Subscribe bool   `json:"subscribe"`
	Clusters  string `json:"clusters"`
}

type serviceInfoResponse struct {
	response
	ServiceInfo upstream.ServiceInfo `json:"serviceInfo"`
}

func (s *Server) subscribe(ctx context.Context, c *conn, p *nacospb.Payload) (*nacospb.Payload, error) {
	var req subscribeRequest
	if err := decodeBody(p, &req); err != nil {
		return nil, err
	}
	key, err := req.key()
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
		s.hub.Unsubscribe(c.id, key, req.Clusters)
		snap, err = s.reg.Query(ctx, key)
	}
	if err != nil {
		return nil, invalid(err)
	}
	return newPayload("SubscribeServiceResponse", serviceInfoResponse{
		response: echo(req.request), ServiceInfo: snap.Info(req.Clusters, false, false),
	})
}

// subscribeConn subscribes the connection, serialised with its release
// (as registrations are) so no subscription outlives a closed connection.
func (s *Server) subscribeConn(ctx context.Context, c *conn, key upstream.ServiceKey, clusters string) (upstream.Service, error) {
	c.regMu.Lock()
	defer c.regMu.Unlock()
	if _, err := c.session(); err != nil {
		return upstream.Service{}, errorf(errUnregistered, "Connection is unregistered.")
	}
	return s.hub.Subscribe(ctx, c, key, clusters)
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

type serviceQueryRequest struct {
	namingRequest
	Cluster     string `json:"cluster"`
	HealthyOnly bool   `json:"healthyOnly"`
	UDPPort     int    `json:"udpPort"`
}

func (s *Server) queryService(ctx context.Context, _ *conn, p *nacospb.Payload) (*nacospb.Payload, error) {
	var req serviceQueryRequest
	if err := decodeBody(p, &req); err != nil {
		return nil, err
	}
	key, err := req.key()
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
	return newPayload("QueryServiceResponse", serviceInfoResponse{
		response: echo(req.request), ServiceInfo: snap.Info(req.Cluster, req.HealthyOnly, false),
	})
}

type serviceListRequest struct {
	namingRequest
	PageNo   int    `json:"pageNo"`
	PageSize int    `json:"pageSize"`
	Selector string `json:"selector"`
}

type serviceListResponse struct {
	response
	Count        int      `json:"count"`
	ServiceNames []string `json:"serviceNames"`
}

// maxPageSize bounds one ServiceList page.
const maxPageSize = 10000

// listServices answers one page of bare service names. A selector is not
// supported yet and is ignored (the Go SDK sends "" by default).
func (s *Server) listServices(ctx context.Context, _ *conn, p *nacospb.Payload) (*nacospb.Payload, error) {
	var req serviceListRequest
	if err := decodeBody(p, &req); err != nil {
		return nil, err
	}
	ns := upstream.ServiceKey{Namespace: req.Namespace, Group: req.GroupName, Name: "x"}.Normalize()
	if err := upstream.ValidateKey(ns); err != nil {
		return nil, invalid(err)
	}
	if req.PageSize < 1 || req.PageSize > maxPageSize {
		return nil, errorf(errInvalidParam, "pageSize: must be 1..%d, got %d", maxPageSize, req.PageSize)
	}
	total, names, err := s.reg.List(ctx, ns.Namespace, ns.Group, req.PageNo, req.PageSize)
	if err != nil {
		return nil, invalid(err)
	}
	if names == nil {
		names = []string{}
	}
	return newPayload("ServiceListResponse", serviceListResponse{
		response: echo(req.request), Count: total, ServiceNames: names,
	})
}
