package gateway

import (
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/upstream"
)

// requestIDs numbers every server-to-client request; acks are matched on
// (connection, requestId), so one id may be outstanding on many
// connections at once.
type requestIDs struct{ n atomic.Uint64 }

func (r *requestIDs) next() string { return strconv.FormatUint(r.n.Add(1), 10) }

// pushEncoder implements fanout.Encoder for the gRPC wire.
type pushEncoder struct{ ids *requestIDs }

// Encode builds the push of one topic revision for a view.
func (e pushEncoder) Encode(t fanout.Topic, snap fanout.Snapshot, view string) (*fanout.Push, error) {
	switch t.Kind {
	case fanout.KindNaming:
		return e.naming(snap.Service(), view)
	case fanout.KindConfig:
		return e.config(t, snap.ConfigState(), view)
	default:
		return nil, fmt.Errorf("encode push %s: no gRPC push for this kind", t)
	}
}

// naming builds one NotifySubscriberRequest payload for the view of the
// cluster filter clusters.
func (e pushEncoder) naming(svc upstream.Service, clusters string) (*fanout.Push, error) {
	id := e.ids.next()
	info := svc.Info(clusters, false, false)
	p, err := nacoswire.NewPayload(nacoswire.TypeNotifySubscriberRequest, nacoswire.NotifySubscriberRequest{
		Request:     nacoswire.Request{RequestID: id, Module: "naming"},
		Namespace:   svc.Key.Namespace,
		ServiceName: svc.Key.Name,
		GroupName:   svc.Key.Group,
		ServiceInfo: &info,
	})
	if err != nil {
		return nil, err
	}
	b, err := p.Marshal(nil)
	if err != nil {
		return nil, fmt.Errorf("encode push %s: %w", svc.Key, err)
	}
	return &fanout.Push{Items: len(info.Hosts), RequestID: id, Frame: b}, nil
}

// config builds one ConfigChangeNotifyRequest payload: the key changed,
// named with the tenant as the listener sent it (view).
func (e pushEncoder) config(t fanout.Topic, st upstream.ConfigState, tenant string) (*fanout.Push, error) {
	id := e.ids.next()
	p, err := nacoswire.NewPayload(nacoswire.TypeConfigChangeNotifyRequest, nacoswire.ConfigChangeNotifyRequest{
		ConfigRequest: nacoswire.ConfigRequest{Request: nacoswire.Request{RequestID: id, Module: "config"},
			DataID: t.Name, Group: t.Group, Tenant: tenant},
	})
	if err != nil {
		return nil, err
	}
	b, err := p.Marshal(nil)
	if err != nil {
		return nil, fmt.Errorf("encode push %s: %w", t, err)
	}
	push := &fanout.Push{RequestID: id, Frame: b}
	if c := st.Config; c != nil {
		push.Items, push.Digest = len(c.Content), c.Md5
	}
	return push, nil
}

// Send implements fanout.Subscriber: it queues the push on the stream.
// The Hub matches the acknowledgement by requestId.
func (c *conn) Send(p *fanout.Push) error {
	out := c.out.Load()
	if out == nil {
		return errConnClosed
	}
	return out.sendFrame(p.Frame) // refused once markClosed closed it
}

// Encoder implements fanout.Subscriber: every gRPC connection shares one
// encoder, so a revision is encoded once per cluster filter.
func (c *conn) Encoder() fanout.Encoder { return c.enc }

// Client implements fanout.Subscriber.
func (c *conn) Client() fanout.ClientInfo { return *c.who.Load() }

// Close implements fanout.Subscriber: the Hub closes connections that
// stop acknowledging.
func (c *conn) Close(reason string) { c.closer(c, reason) }
