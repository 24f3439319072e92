package fanout

import (
	"sort"
	"time"

	"github.com/herald-gateway/herald/upstream"
)

// SubscriberStatus is one subscription's delivery state.
type SubscriberStatus struct {
	ConnID       string
	Client       ClientInfo
	Clusters     string
	Newest       int64     // newest revision answered, sent or waiting for it
	Acked        int64     // newest revision it acknowledged (or was answered with)
	InFlight     int64     // revision awaiting its ack; 0 if none
	UnackedSince time.Time // zero when nothing is outstanding
	RetryAt      time.Time // zero unless a retry is scheduled
}

// ServiceStatus is the delivery state of one service now.
type ServiceStatus struct {
	Key         upstream.ServiceKey
	Revision    int64 // newest revision the Hub has (0 when nobody subscribes)
	Subscribers []SubscriberStatus
}

// Status reports, for a service, the newest revision and every current
// subscriber with what it has acknowledged; ordered by connection id.
func (h *Hub) Status(key upstream.ServiceKey) ServiceStatus {
	st := ServiceStatus{Key: key}
	h.mu.Lock()
	svc := h.services[key]
	h.mu.Unlock()
	if svc == nil {
		return st
	}
	svc.mu.Lock()
	if svc.latest != nil {
		st.Revision = svc.latest.Revision
	}
	subs := make([]*subscription, 0, len(svc.subs))
	for _, su := range svc.subs {
		subs = append(subs, su)
	}
	svc.mu.Unlock()
	for _, su := range subs {
		st.Subscribers = append(st.Subscribers, su.status())
	}
	sort.Slice(st.Subscribers, func(i, j int) bool {
		a, b := st.Subscribers[i], st.Subscribers[j]
		return a.ConnID < b.ConnID || a.ConnID == b.ConnID && a.Clusters < b.Clusters
	})
	return st
}
