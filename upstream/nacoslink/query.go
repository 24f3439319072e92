package nacoslink

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/upstream"
)

// Query implements upstream.Registry: the subscription's snapshot when
// there is one; else it waits (bounded by ctx and the request timeout) for
// a pending upstream subscription, or asks the upstream with
// ServiceQueryRequest. With the upstream down and no snapshot it returns
// ErrUnavailable, never an empty list.
func (l *Link) Query(ctx context.Context, key upstream.ServiceKey) (upstream.Service, error) {
	key = key.Normalize()
	if err := upstream.ValidateKey(key); err != nil {
		return upstream.Service{}, fmt.Errorf("query %s: %w", key, err)
	}
	l.mu.Lock()
	sub, s := l.subs[key], l.sess
	if sub != nil && sub.snap != nil {
		snap := *sub.snap
		l.mu.Unlock()
		return snap, nil
	}
	l.mu.Unlock()
	if s == nil {
		return upstream.Service{}, fmt.Errorf("query %s: %w", key, ErrUnavailable)
	}
	if sub != nil {
		if snap, ok := l.waitFirst(ctx, sub); ok {
			return snap, nil
		}
	}
	return l.queryUpstream(ctx, s, key)
}

// waitFirst waits for sub's first snapshot.
func (l *Link) waitFirst(ctx context.Context, sub *subscription) (upstream.Service, bool) {
	t := time.NewTimer(l.opts.RequestTimeout)
	defer t.Stop()
	select {
	case <-sub.ready:
	case <-ctx.Done():
	case <-t.C:
	case <-l.stop:
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if sub.snap == nil {
		return upstream.Service{}, false
	}
	return *sub.snap, true
}

// queryUpstream sends ServiceQueryRequest.
func (l *Link) queryUpstream(ctx context.Context, s *session, key upstream.ServiceKey) (upstream.Service, error) {
	var resp nacoswire.ServiceInfoResponse
	err := s.call(ctx, nacoswire.TypeServiceQueryRequest, nacoswire.ServiceQueryRequest{NamingRequest: nacoswire.Naming(key)}, &resp)
	if err != nil {
		return upstream.Service{}, fmt.Errorf("query %s: %w", key, err)
	}
	if resp.ServiceInfo == nil {
		return upstream.Service{}, fmt.Errorf("query %s: upstream answer has no serviceInfo", key)
	}
	ins := resp.ServiceInfo.Hosts
	if ins == nil {
		ins = []upstream.Instance{}
	}
	return upstream.Service{Key: key, Revision: resp.ServiceInfo.LastRefTime, Instances: ins}, nil
}

// List implements upstream.Registry with ServiceListRequest.
func (l *Link) List(ctx context.Context, namespace, group string, pageNo, pageSize int) (int, []string, error) {
	key := upstream.ServiceKey{Namespace: namespace, Group: group, Name: "x"}.Normalize()
	l.mu.Lock()
	s := l.sess
	l.mu.Unlock()
	if s == nil {
		return 0, nil, fmt.Errorf("list %s/%s: %w", key.Namespace, key.Group, ErrUnavailable)
	}
	req := nacoswire.ServiceListRequest{NamingRequest: nacoswire.Naming(key), PageNo: pageNo, PageSize: pageSize}
	req.ServiceName = ""
	var resp nacoswire.ServiceListResponse
	if err := s.call(ctx, nacoswire.TypeServiceListRequest, req, &resp); err != nil {
		return 0, nil, fmt.Errorf("list %s/%s: %w", key.Namespace, key.Group, err)
	}
	return resp.Count, resp.ServiceNames, nil
}
