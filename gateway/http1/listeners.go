package http1

import (
	"context"
	"net/http"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// The listener queries Nacos serves (ConfigController.getListeners,
// ListenerController), answered from the Hub's subscriptions, so gRPC
// listeners and held HTTP long polls alike: which IPs listen to a key with
// the md5 each says it holds, and what one IP listens to. Several
// connections from one IP collapse into one entry, as in Nacos. The field
// name's misspelling is Nacos's.

// listenerStatus is Nacos's GroupkeyListenserStatus.
type listenerStatus struct {
	CollectStatus int               `json:"collectStatus"`
	Status        map[string]string `json:"lisentersGroupkeyStatus"`
}

// configListeners serves GET /nacos/v1/cs/configs/listener?dataId=&group=&tenant=:
// client IP → md5 held.
func (s *Server) configListeners(_ context.Context, r *request) (any, error) {
	_, key, err := s.configRequest(r)
	if err != nil {
		return nil, err
	}
	out := listenerStatus{CollectStatus: http.StatusOK, Status: map[string]string{}}
	for _, sub := range s.hub.Status(fanout.ConfigTopic(key)).Subscribers {
		out.Status[sub.Client.IP] = sub.Held
	}
	return out, nil
}

// clientListens serves GET /nacos/v1/cs/listener?ip=&all=&tenant=: group
// key → md5 held, for the keys of the public namespace, plus those of
// tenant when given, or of every namespace with all=true (Nacos's filter).
func (s *Server) clientListens(_ context.Context, r *request) (any, error) {
	if _, err := s.configStore(); err != nil {
		return nil, err
	}
	ip, err := r.p.required("ip")
	if err != nil {
		return nil, err
	}
	all, err := r.p.boolean("all", false)
	if err != nil {
		return nil, err
	}
	tenant := r.p.get("tenant")
	out := listenerStatus{CollectStatus: http.StatusOK, Status: map[string]string{}}
	for _, sub := range s.hub.ClientStatus(fanout.KindConfig, ip) {
		ns := sub.Topic.Namespace
		if all || ns == upstream.PublicNamespace || tenant != "" && ns == tenant {
			out.Status[groupKey(sub.Topic.ConfigKey())] = sub.Held
		}
	}
	return out, nil
}

// groupKey is Nacos's GroupKey2: dataId+group[+tenant], the public
// namespace without a tenant part. Nacos escapes '+' and '%' in the parts;
// config names cannot contain either (upstream.ValidateConfigKey).
func groupKey(k upstream.ConfigKey) string {
	s := k.DataID + "+" + k.Group
	if k.Namespace != upstream.PublicNamespace {
		s += "+" + k.Namespace
	}
	return s
}
