package nacoslink

import (
	"encoding/json"
	"errors"

	"github.com/herald-gateway/herald/upstream"
)

// errReset ends a session on the upstream's ConnectResetRequest.
var errReset = errors.New("upstream asked to reconnect (ConnectResetRequest)")

// onServerRequest answers a request the upstream sent on the stream
// (NACOS_PROTOCOL.md A.5) and returns the ack type ("" = none).
func (l *Link) onServerRequest(s *session, typ string, body []byte) string {
	switch typ {
	case "ClientDetectionRequest":
		return "ClientDetectionResponse"
	case "NotifySubscriberRequest":
		var req notifyRequest
		if err := json.Unmarshal(body, &req); err != nil || req.ServiceInfo == nil {
			l.log.Warn("upstream push not understood", "err", err)
			return "NotifySubscriberResponse"
		}
		l.pushed(s, req)
		return "NotifySubscriberResponse"
	case "ConnectResetRequest":
		s.fail(errReset)
		return "ConnectResetResponse"
	default:
		l.log.Debug("upstream request ignored", "type", typ)
		return ""
	}
}

// pushed applies one NotifySubscriberRequest.
func (l *Link) pushed(s *session, req notifyRequest) {
	key := upstream.ServiceKey{Namespace: req.Namespace, Group: req.GroupName, Name: req.ServiceName}
	if key.Name == "" {
		key.Name, key.Group = req.ServiceInfo.Name, req.ServiceInfo.GroupName
	}
	key = key.Normalize()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count.Pushes++
	sub := l.subs[key]
	if sub == nil || l.sess != s {
		return
	}
	sub.pushes++
	l.apply(sub, req.ServiceInfo)
}
