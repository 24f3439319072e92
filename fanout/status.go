package fanout

import (
	"sort"
	"time"
)

// SubscriberStatus is one subscription's delivery state.
type SubscriberStatus struct {
	ConnID       string
	Client       ClientInfo
	View         string    // naming: the cluster filter
	Newest       int64     // newest revision answered, sent or waiting for it
	Acked        int64     // newest revision it acknowledged (or was answered with)
	InFlight     int64     // revision awaiting its ack; 0 if none
	UnackedSince time.Time // zero when nothing is outstanding
	RetryAt      time.Time // zero unless a retry is scheduled
}

// TopicStatus is the delivery state of one topic now.
type TopicStatus struct {
	Topic       Topic
	Revision    int64 // newest revision the Hub has (0 when nobody subscribes)
	Subscribers []SubscriberStatus
}

// Status reports, for a topic, the newest revision and every current
// subscriber with what it has acknowledged; ordered by connection id.
func (h *Hub) Status(t Topic) TopicStatus {
	st := TopicStatus{Topic: t}
	h.mu.Lock()
	f := h.feeds[t]
	h.mu.Unlock()
	if f == nil {
		return st
	}
	f.mu.Lock()
	if f.latest != nil {
		st.Revision = f.latest.Revision
	}
	subs := make([]*subscription, 0, len(f.subs))
	for _, su := range f.subs {
		subs = append(subs, su)
	}
	f.mu.Unlock()
	for _, su := range subs {
		st.Subscribers = append(st.Subscribers, su.status())
	}
	sort.Slice(st.Subscribers, func(i, j int) bool {
		a, b := st.Subscribers[i], st.Subscribers[j]
		return a.ConnID < b.ConnID || a.ConnID == b.ConnID && a.View < b.View
	})
	return st
}
