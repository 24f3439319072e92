package gateway

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// requestIDs numbers every server-to-client request; acks are matched on
// (connection, requestId), so one id may be outstanding on many
// connections at once.
type requestIDs struct{ n atomic.Uint64 }

func (r *requestIDs) next() string { return strconv.FormatUint(r.n.Add(1), 10) }

// notifySubscriberRequest is the naming push (NACOS_PROTOCOL.md A.5).
type notifySubscriberRequest struct {
	request
	Namespace   string               `json:"namespace"`
	ServiceName string               `json:"serviceName"`
	GroupName   string               `json:"groupName"`
	ServiceInfo upstream.ServiceInfo `json:"serviceInfo"`
}

// pushEncoder implements fanout.Encoder for the gRPC wire.
type pushEncoder struct{ ids *requestIDs }

// Encode builds one NotifySubscriberRequest payload for the filtered view.
func (e pushEncoder) Encode(svc upstream.Service, clusters string) (*fanout.Push, error) {
	id := e.ids.next()
	info := svc.Info(clusters, false, false)
	p, err := newPayload("NotifySubscriberRequest", notifySubscriberRequest{
		request:     request{RequestID: id, Module: "naming"},
		Namespace:   svc.Key.Namespace,
		ServiceName: svc.Key.Name,
		GroupName:   svc.Key.Group,
		ServiceInfo: info,
	})
	if err != nil {
		return nil, err
	}
	b, err := p.Marshal(nil)
	if err != nil {
		return nil, fmt.Errorf("encode push %s: %w", svc.Key, err)
	}
	return &fanout.Push{
		Key: svc.Key, Revision: svc.Revision, Clusters: clusters,
		Hosts: len(info.Hosts), RequestID: id, Frame: b,
	}, nil
}

// Send implements fanout.Subscriber: it queues the push on the stream and
// remembers it until the client acknowledges it or the ack times out.
func (c *conn) Send(p *fanout.Push) error {
	return c.sendRequest(p.RequestID, frame(p.Frame), time.Now())
}

// sendRequest queues a server request (a frame or a payload) and records
// it as awaiting an ack.
func (c *conn) sendRequest(requestID string, m any, now time.Time) error {
	c.mu.Lock()
	out := c.out
	if c.closed || out == nil {
		c.mu.Unlock()
		return errConnClosed
	}
	c.acks[requestID] = &pendingAck{requestID: requestID, sent: now, deadline: now.Add(c.ackTimeout)}
	c.mu.Unlock()
	return out.enqueue(m)
}
