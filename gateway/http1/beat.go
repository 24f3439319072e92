package http1

import (
	"context"
	"encoding/json"

	"github.com/herald-gateway/herald/upstream"
)

// Beat answer codes (B.1).
const (
	beatOK      = 10200
	beatUnknown = 20404
)

// beatInfo is the beat parameter's JSON (Node and Go send the same names).
type beatInfo struct {
	ServiceName string            `json:"serviceName"`
	IP          string            `json:"ip"`
	Port        int64             `json:"port"`
	Cluster     string            `json:"cluster"`
	Weight      float64           `json:"weight"`
	Metadata    map[string]string `json:"metadata"`
}

// beatReply is the beat response; clientBeatInterval is an integer (Go
// fails on anything else).
type beatReply struct {
	ClientBeatInterval int64 `json:"clientBeatInterval"`
	Code               int   `json:"code"`
	LightBeatEnabled   bool  `json:"lightBeatEnabled"`
}

// beat answers PUT /v1/ns/instance/beat. A known instance is refreshed; an
// unknown one is registered again from the beat body (Node never reacts to
// 20404), or answered 20404 when there is no body.
func (s *Server) beat(ctx context.Context, r *request) (any, error) {
	key, err := r.p.serviceKey()
	if err != nil {
		return nil, err
	}
	in, hasBody, err := beatInstance(r.p)
	if err != nil {
		return nil, err
	}
	now := s.opts.Now()
	owner := httpOwner(in)
	rules, known, err := s.beats.beat(ctx, key, owner, now)
	if err != nil {
		return nil, fromRegistry(err)
	}
	if known {
		return beatReply{rules.Interval.Milliseconds(), beatOK, true}, nil
	}
	if !hasBody {
		return beatReply{rules.Interval.Milliseconds(), beatUnknown, true}, nil
	}
	if err := upstream.ValidateInstance(in); err != nil {
		return nil, fromRegistry(err)
	}
	if err := s.beats.register(ctx, key, owner, in, now); err != nil {
		return nil, fromRegistry(err)
	}
	return beatReply{s.opts.Beats.forInstance(in.Metadata).Interval.Milliseconds(), beatOK, true}, nil
}

// beatInstance reads the instance a beat is about: from the beat JSON when
// present (reporting true), else from ip, port and clusterName.
func beatInstance(p params) (upstream.Instance, bool, error) {
	raw := p.get("beat")
	if raw == "" {
		in, err := p.address()
		return in, false, err
	}
	var b beatInfo
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		return upstream.Instance{}, false, badRequest("beat", "beat must be a JSON object: %v", err)
	}
	if b.IP == "" || b.Port < 1 || b.Port > 65535 {
		return upstream.Instance{}, false, badRequest("beat", "beat needs ip and a port in 1..65535")
	}
	if b.Cluster == "" {
		b.Cluster = upstream.DefaultCluster
	}
	if b.Weight == 0 {
		b.Weight = 1
	}
	return upstream.Instance{
		IP: b.IP, Port: uint64(b.Port), ClusterName: b.Cluster, Weight: b.Weight,
		Metadata: b.Metadata, Healthy: true, Enabled: true, Ephemeral: true,
	}, true, nil
}
