package nacoslink

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/upstream"
)

// errReset ends a session on the upstream's ConnectResetRequest.
var errReset = errors.New("upstream asked to reconnect (ConnectResetRequest)")

// onServerRequest answers a request the upstream sent on the stream
// (NACOS_PROTOCOL.md A.5) and returns the ack type ("" = none).
func (l *Link) onServerRequest(s *session, typ string, body []byte) string {
	switch typ {
	case nacoswire.TypeClientDetectionRequest:
		return nacoswire.TypeClientDetectionResponse
	case nacoswire.TypeNotifySubscriberRequest:
		var req nacoswire.NotifySubscriberRequest
		if err := json.Unmarshal(body, &req); err != nil || req.ServiceInfo == nil {
			l.log.Warn("upstream push not understood", "err", err)
			return nacoswire.TypeNotifySubscriberResponse
		}
		l.pushed(s, req)
		return nacoswire.TypeNotifySubscriberResponse
	case nacoswire.TypeConnectResetRequest:
		s.fail(errReset)
		return nacoswire.TypeConnectResetResponse
	default:
		l.log.Debug("upstream request ignored", "type", typ)
		return ""
	}
}

// pushed applies one NotifySubscriberRequest. A Nacos server sends only
// serviceInfo, which names no namespace; such a push goes to the one
// subscription of its group and name, or, when several namespaces
// subscribe to it, makes each of them subscribe again (the answer carries
// its own namespace's snapshot).
func (l *Link) pushed(s *session, req nacoswire.NotifySubscriberRequest) {
	key := upstream.ServiceKey{Namespace: req.Namespace, Group: req.GroupName, Name: req.ServiceName}
	if key.Name == "" {
		key.Name, key.Group = req.ServiceInfo.Name, req.ServiceInfo.GroupName
	}
	key = key.Normalize()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count.Pushes++
	if l.sess != s {
		return
	}
	if req.Namespace != "" {
		if sub := l.subs[key]; sub != nil {
			sub.pushes++
			l.apply(sub, req.ServiceInfo)
		}
		return
	}
	matches := l.inAnyNamespace(key)
	if len(matches) == 1 {
		matches[0].pushes++
		l.apply(matches[0], req.ServiceInfo)
		return
	}
	for _, sub := range matches {
		sub.pushes++
		sub.upstream, sub.retryAt = false, time.Time{}
	}
	if len(matches) > 0 {
		l.wake()
	}
}

// inAnyNamespace returns the subscriptions of key's group and name in
// every namespace. Callers hold mu.
func (l *Link) inAnyNamespace(key upstream.ServiceKey) []*subscription {
	var out []*subscription
	for k, sub := range l.subs {
		if k.Group == key.Group && k.Name == key.Name {
			out = append(out, sub)
		}
	}
	return out
}
