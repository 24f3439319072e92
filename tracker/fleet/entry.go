// Package fleet is the fleet view: every gateway of a fleet publishes to
// Redis, with a TTL, its identity, its connection and subscription counts
// and the delivery state of its subscribers per topic (a naming service, a
// configuration); any gateway then answers delivery status for the whole
// fleet, naming each subscriber's gateway, and lists the live gateways.
// Without Redis the view is this gateway alone.
package fleet

import (
	"time"

	"github.com/herald-gateway/herald/fanout"
)

// Gateway is one gateway's published entry.
type Gateway struct {
	Node          string `json:"node"`
	GRPCAddr      string `json:"grpcAddr"`
	HTTPAddr      string `json:"httpAddr"`
	AdminAddr     string `json:"adminAddr"`
	StartedAt     int64  `json:"startedAt"`   // epoch ms
	PublishedAt   int64  `json:"publishedAt"` // epoch ms
	Draining      bool   `json:"draining"`
	Connections   int    `json:"connections"` // gRPC connections
	Sessions      int    `json:"sessions"`
	Services      int    `json:"subscribedServices"`
	Subscriptions int    `json:"subscriptions"`
	Configs       int    `json:"subscribedConfigs"`
	Listeners     int    `json:"configSubscriptions"`
	// Topics is the delivery state of this gateway's subscribers, per
	// topic; left out of /v1/fleet answers.
	Topics []Topic `json:"topics,omitempty"`
}

// Topic is the delivery state of one topic's subscribers on a gateway.
type Topic struct {
	Kind        string       `json:"kind"` // "naming" or "config"
	Namespace   string       `json:"ns"`
	Group       string       `json:"group"`
	Name        string       `json:"name"`
	Revision    int64        `json:"rev"`
	Subscribers []Subscriber `json:"subs"`
}

// Subscriber is one subscription's delivery state (fanout.SubscriberStatus,
// times in epoch ms, 0 for none).
type Subscriber struct {
	ConnID       string `json:"conn"`
	IP           string `json:"ip"`
	Version      string `json:"ver,omitempty"`
	App          string `json:"app,omitempty"`
	View         string `json:"view,omitempty"`
	Newest       int64  `json:"newest,omitempty"`
	Acked        int64  `json:"acked"`
	InFlight     int64  `json:"inflight,omitempty"`
	UnackedSince int64  `json:"unacked,omitempty"`
	RetryAt      int64  `json:"retry,omitempty"`
	Held         string `json:"held,omitempty"`
	HeldSince    int64  `json:"heldSince,omitempty"`
}

func kindName(k fanout.Kind) string { return k.String() }

// topicOf is the published form of a topic status.
func topicOf(st fanout.TopicStatus) Topic {
	t := Topic{Kind: kindName(st.Topic.Kind), Namespace: st.Topic.Namespace, Group: st.Topic.Group,
		Name: st.Topic.Name, Revision: st.Revision, Subscribers: make([]Subscriber, 0, len(st.Subscribers))}
	for _, s := range st.Subscribers {
		t.Subscribers = append(t.Subscribers, Subscriber{
			ConnID: s.ConnID, IP: s.Client.IP, Version: s.Client.Version, App: s.Client.App, View: s.View,
			Newest: s.Newest, Acked: s.Acked, InFlight: s.InFlight, UnackedSince: ms(s.UnackedSince),
			RetryAt: ms(s.RetryAt), Held: s.Held, HeldSince: ms(s.HeldSince),
		})
	}
	return t
}

// matches reports whether the published topic is t.
func (p Topic) matches(t fanout.Topic) bool {
	return p.Kind == kindName(t.Kind) && p.Namespace == t.Namespace && p.Group == t.Group && p.Name == t.Name
}

// statuses turns the published subscribers back into the Hub's form,
// naming their gateway.
func (p Topic) statuses(node string) []fanout.SubscriberStatus {
	out := make([]fanout.SubscriberStatus, 0, len(p.Subscribers))
	for _, s := range p.Subscribers {
		out = append(out, fanout.SubscriberStatus{
			ConnID: s.ConnID, Client: fanout.ClientInfo{IP: s.IP, Version: s.Version, App: s.App}, View: s.View,
			Newest: s.Newest, Acked: s.Acked, InFlight: s.InFlight, UnackedSince: fromMs(s.UnackedSince),
			RetryAt: fromMs(s.RetryAt), Held: s.Held, HeldSince: fromMs(s.HeldSince), Gateway: node,
		})
	}
	return out
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMs(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}
