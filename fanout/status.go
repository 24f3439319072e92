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
	Held         string    // what the client says it holds (Hub.Holds); "" when it said nothing
	HeldSince    time.Time // since when (zero when it said nothing)
	// Gateway names the gateway holding the subscription in a fleet-wide
	// answer (tracker/fleet); the Hub leaves it empty.
	Gateway string
}

// TopicStatus is the delivery state of one topic now.
type TopicStatus struct {
	Topic       Topic
	Revision    int64     // newest revision the Hub has (0 when nobody subscribes)
	Changed     time.Time // when the source made it (zero when unknown)
	Value       any       // its snapshot value (config: upstream.ConfigState); nil when none
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
		st.Revision, st.Changed, st.Value = f.latest.Revision, f.latest.Changed, f.latest.Value
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

// Topics lists the topics with at least one subscriber, in no order.
func (h *Hub) Topics() []Topic {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Topic, 0, len(h.feeds))
	for t := range h.feeds {
		out = append(out, t)
	}
	return out
}

// ClientSubscription is one subscription of a client: its topic, the
// topic's newest revision, and its delivery state.
type ClientSubscription struct {
	Topic    Topic
	Revision int64
	Value    any // the topic's newest snapshot value; nil when none
	SubscriberStatus
}

// ClientStatus reports every subscription to a topic of kind k held by
// subscribers whose client IP is ip, ordered by topic and connection id.
func (h *Hub) ClientStatus(k Kind, ip string) []ClientSubscription {
	h.mu.Lock()
	feeds := make([]*feed, 0)
	for t, f := range h.feeds {
		if t.Kind == k {
			feeds = append(feeds, f)
		}
	}
	h.mu.Unlock()
	var out []ClientSubscription
	for _, f := range feeds {
		f.mu.Lock()
		var rev int64
		var val any
		if f.latest != nil {
			rev, val = f.latest.Revision, f.latest.Value
		}
		subs := make([]*subscription, 0, len(f.subs))
		for _, su := range f.subs {
			subs = append(subs, su)
		}
		f.mu.Unlock()
		for _, su := range subs {
			if st := su.status(); st.Client.IP == ip {
				out = append(out, ClientSubscription{Topic: f.topic, Revision: rev, Value: val, SubscriberStatus: st})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Topic != b.Topic {
			return a.Topic.String() < b.Topic.String()
		}
		return a.ConnID < b.ConnID
	})
	return out
}
