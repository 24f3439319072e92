package http1

import (
	"context"
	"errors"
	"fmt"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// list answers GET /v1/ns/instance/list with the ServiceInfo of B.1:
// grouped name, clusters echoed verbatim, healthyOnly applied. With
// udpPort > 0 it also creates or renews the UDP subscription of
// <request's address>:udpPort (clientIP only from a trusted proxy,
// udp_target.go); when there
// are too many UDP subscribers already, the client is answered all the
// same and keeps polling.
func (s *Server) list(ctx context.Context, r *request) (any, error) {
	key, err := r.p.serviceKey()
	if err != nil {
		return nil, err
	}
	clusters := r.p["clusters"]
	healthyOnly, err := r.p.boolean("healthyOnly", false)
	if err != nil {
		return nil, err
	}
	udpPort, err := r.p.integer("udpPort", 0, 0, 65535)
	if err != nil {
		return nil, err
	}
	var snap upstream.Service
	if udpPort > 0 {
		snap, err = s.subscribeUDP(ctx, r, key, clusters, int(udpPort))
	}
	// A UDP subscription refused by a limit still answers the list.
	if udpPort == 0 || errors.Is(err, errUDPFull) || errors.Is(err, fanout.ErrTooManySubscriptions) {
		snap, err = s.reg.Query(ctx, key)
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", key, err)
	}
	return snap.Info(clusters, healthyOnly, true), nil
}

// subscribeUDP subscribes the client's UDP endpoint to key.
func (s *Server) subscribeUDP(ctx context.Context, r *request, key upstream.ServiceKey, clusters string, port int) (upstream.Service, error) {
	ip, err := s.udpTarget(r)
	if err != nil {
		return upstream.Service{}, err
	}
	version := r.header("Client-Version")
	if version == "" {
		version = r.header("User-Agent")
	}
	client := fanout.ClientInfo{IP: ip, Version: version, App: r.p.get("app"), User: r.user}
	return s.udp.subscribe(ctx, key, clusters, ip, port, client, s.opts.Now())
}

// serviceListReply is the GET /v1/ns/service/list body (B.3).
type serviceListReply struct {
	Count int      `json:"count"`
	Doms  []string `json:"doms"`
}

// serviceList answers one page of bare service names and the total.
func (s *Server) serviceList(ctx context.Context, r *request) (any, error) {
	pageNo, err := r.p.integer("pageNo", 1, 1, 1<<31-1)
	if err != nil {
		return nil, err
	}
	pageSize, err := r.p.integer("pageSize", 10, 1, 10000)
	if err != nil {
		return nil, err
	}
	group := r.p.get("groupName")
	if group == "" {
		group = upstream.DefaultGroup
	}
	total, names, err := s.reg.List(ctx, r.p.namespace(), group, int(pageNo), int(pageSize))
	if err != nil {
		return nil, fromRegistry(fmt.Errorf("service list: %w", err))
	}
	if names == nil {
		names = []string{}
	}
	return serviceListReply{Count: total, Doms: names}, nil
}

// metricsReply is the GET /v1/ns/operator/metrics body: SDKs read status.
type metricsReply struct {
	Status            string `json:"status"`
	BeatInstanceCount int    `json:"beatInstanceCount"`
	SubscribeCount    int    `json:"subscribeCount"`
}

func (s *Server) metrics(context.Context, *request) (any, error) {
	beats, subs := s.Stats()
	return metricsReply{Status: "UP", BeatInstanceCount: beats, SubscribeCount: subs}, nil
}

// loginReply is the login body (B.4); tokenTtl is a number of seconds
// (Go panics on anything else).
type loginReply struct {
	AccessToken string `json:"accessToken"`
	TokenTTL    int64  `json:"tokenTtl"`
	GlobalAdmin bool   `json:"globalAdmin"`
	Username    string `json:"username"`
}

// login answers POST /v1/auth/users/login and /v1/auth/login.
func (s *Server) login(_ context.Context, r *request) (any, error) {
	user, err := r.p.required("username")
	if err != nil {
		return nil, err
	}
	if !s.auth.Enabled() {
		return nil, forbidden("authentication is not enabled on this server")
	}
	token, err := s.auth.Login(user, r.p["password"], s.opts.Now())
	if err != nil {
		return nil, denied(err)
	}
	return loginReply{AccessToken: token, TokenTTL: int64(s.auth.TTL().Seconds()), GlobalAdmin: s.auth.Admin(user), Username: user}, nil
}
