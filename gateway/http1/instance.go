package http1

import (
	"context"
	"fmt"
	"strconv"

	"github.com/herald-gateway/herald/upstream"
)

// httpOwner is the registry owner of an ephemeral instance registered over
// HTTP: one slot per (cluster, ip, port) of a service, like
// upstream.PersistentOwner but not persistent.
func httpOwner(in upstream.Instance) string {
	return "http:" + in.ClusterName + ":" + in.IP + ":" + strconv.FormatUint(in.Port, 10)
}

// ownerOf is the slot an instance lives in: persistent instances under
// upstream.PersistentOwner, ephemeral ones under httpOwner.
func ownerOf(in upstream.Instance) string {
	if in.Ephemeral {
		return httpOwner(in)
	}
	return upstream.PersistentOwner(in)
}

// address reads ip, port and the cluster (clusterName, else cluster, else
// DEFAULT), which name an instance's slot.
func (p params) address() (upstream.Instance, error) {
	ip, err := p.required("ip")
	if err != nil {
		return upstream.Instance{}, err
	}
	if _, err := p.required("port"); err != nil {
		return upstream.Instance{}, err
	}
	port, err := p.integer("port", 0, 1, 65535)
	if err != nil {
		return upstream.Instance{}, err
	}
	cluster := p.first("clusterName", "cluster")
	if cluster == "" {
		cluster = upstream.DefaultCluster
	}
	return upstream.Instance{IP: ip, Port: uint64(port), ClusterName: cluster}, nil
}

// instanceFromParams reads a register or update request (B.1): weight 1,
// enabled (or enable) true, healthy true and ephemeral true by default.
func instanceFromParams(p params) (upstream.ServiceKey, upstream.Instance, error) {
	key, err := p.serviceKey()
	if err != nil {
		return key, upstream.Instance{}, err
	}
	in, err := p.address()
	if err != nil {
		return key, in, err
	}
	if in.Weight, err = p.float("weight", 1); err != nil {
		return key, in, err
	}
	enabledName := "enabled"
	if p.get(enabledName) == "" {
		enabledName = "enable"
	}
	if in.Enabled, err = p.boolean(enabledName, true); err != nil {
		return key, in, err
	}
	if in.Healthy, err = p.boolean("healthy", true); err != nil {
		return key, in, err
	}
	if in.Ephemeral, err = p.boolean("ephemeral", true); err != nil {
		return key, in, err
	}
	if in.Metadata, err = parseMetadata(p["metadata"]); err != nil {
		return key, in, err
	}
	if err := upstream.ValidateInstance(in); err != nil {
		return key, in, fromRegistry(err)
	}
	return key, in, nil
}

// register answers POST and PUT /v1/ns/instance: the instance fills its
// slot (replacing what was there) and, if ephemeral, is kept alive by beats.
func (s *Server) register(ctx context.Context, r *request) (any, error) {
	key, in, err := instanceFromParams(r.p)
	if err != nil {
		return nil, err
	}
	if in.Ephemeral {
		err = s.beats.register(ctx, key, httpOwner(in), in, s.opts.Now())
	} else {
		err = s.reg.Register(ctx, ownerOf(in), key, []upstream.Instance{in})
	}
	if err != nil {
		return nil, fromRegistry(fmt.Errorf("register %s: %w", key, err))
	}
	return "ok", nil
}

// deregister answers DELETE /v1/ns/instance: the slot of (cluster, ip,
// port) is emptied; ephemeral (default true) says which kind of slot.
func (s *Server) deregister(ctx context.Context, r *request) (any, error) {
	key, err := r.p.serviceKey()
	if err != nil {
		return nil, err
	}
	in, err := r.p.address()
	if err != nil {
		return nil, err
	}
	if in.Ephemeral, err = r.p.boolean("ephemeral", true); err != nil {
		return nil, err
	}
	if in.Ephemeral {
		err = s.beats.deregister(ctx, key, httpOwner(in))
	} else {
		err = s.reg.Deregister(ctx, ownerOf(in), key)
	}
	if err != nil {
		return nil, fromRegistry(err)
	}
	return "ok", nil
}

// instanceDetail answers GET /v1/ns/instance with one instance, or 404.
func (s *Server) instanceDetail(ctx context.Context, r *request) (any, error) {
	key, err := r.p.serviceKey()
	if err != nil {
		return nil, err
	}
	want, err := r.p.address()
	if err != nil {
		return nil, err
	}
	snap, err := s.reg.Query(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", key, err)
	}
	for _, in := range snap.Filter([]string{want.ClusterName}) {
		if in.IP == want.IP && in.Port == want.Port {
			return instanceView{Service: key.Grouped(), Instance: in}, nil
		}
	}
	return nil, notFound("no ips found for cluster %s in service %s", want.ClusterName, key.Grouped())
}

// instanceView is the GET /v1/ns/instance body: the instance with the
// grouped service name.
type instanceView struct {
	Service string `json:"service"`
	upstream.Instance
}
