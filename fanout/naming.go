package fanout

import (
	"context"

	"github.com/herald-gateway/herald/upstream"
)

// Naming topics: a service of an upstream.Registry, whose snapshots carry
// an upstream.Service.

// NamingTopic is the topic of a service; key should be normalised.
func NamingTopic(key upstream.ServiceKey) Topic {
	return Topic{Kind: KindNaming, Namespace: key.Namespace, Group: key.Group, Name: key.Name}
}

// ServiceKey is the service a naming topic names.
func (t Topic) ServiceKey() upstream.ServiceKey {
	return upstream.ServiceKey{Namespace: t.Namespace, Group: t.Group, Name: t.Name}
}

// NamingSnapshot is the snapshot of a service revision.
func NamingSnapshot(svc upstream.Service) Snapshot {
	return Snapshot{Revision: svc.Revision, Changed: svc.Changed, Value: svc}
}

// Service is the upstream.Service a naming snapshot carries (the zero
// Service for any other snapshot).
func (s Snapshot) Service() upstream.Service {
	svc, _ := s.Value.(upstream.Service)
	return svc
}

// NamingSource is the Source of naming topics from a registry.
func NamingSource(reg upstream.Registry) Source { return namingSource{reg} }

type namingSource struct{ reg upstream.Registry }

func (n namingSource) Watch(t Topic, notify func(Snapshot)) (func(), error) {
	return n.reg.Subscribe(t.ServiceKey(), func(svc upstream.Service) { notify(NamingSnapshot(svc)) })
}

func (n namingSource) Current(ctx context.Context, t Topic) (Snapshot, error) {
	svc, err := n.reg.Query(ctx, t.ServiceKey())
	if err != nil {
		return Snapshot{}, err
	}
	return NamingSnapshot(svc), nil
}
