package tracker

import (
	"context"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/herald-gateway/herald/fanout"
)

// subscriberJSON is one subscriber in a delivery status.
type subscriberJSON struct {
	ConnID        string `json:"connectionId"`
	ClientIP      string `json:"clientIp"`
	ClientVersion string `json:"clientVersion"`
	ClientApp     string `json:"clientApp"`
	User          string `json:"user,omitempty"`
	Clusters      string `json:"clusters"`
	Acked         int64  `json:"ackedRevision"`
	InFlight      int64  `json:"inFlightRevision,omitempty"`
	UpToDate      bool   `json:"upToDate"` // acknowledged the latest revision
	UnackedSince  int64  `json:"unackedSince,omitempty"`
	RetryAt       int64  `json:"retryAt,omitempty"`
	// Gateway is the gateway holding the subscription, in a fleet-wide
	// answer (tracker/fleet: with Redis, every live gateway's subscribers).
	Gateway string `json:"gateway,omitempty"`
}

// statusJSON is the delivery status of a service now.
type statusJSON struct {
	Namespace    string           `json:"namespace"`
	Group        string           `json:"group"`
	Service      string           `json:"service"`
	Revision     int64            `json:"revision"`
	Acknowledged int              `json:"acknowledged"`
	Pending      int              `json:"pending"`
	Subscribers  []subscriberJSON `json:"subscribers"`
}

func (a *API) serviceStatus(_ context.Context, c *app.RequestContext) {
	key, err := serviceParams(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	st := a.Status.Status(fanout.NamingTopic(key))
	out := statusJSON{Namespace: key.Namespace, Group: key.Group, Service: key.Name, Revision: st.Revision,
		Subscribers: make([]subscriberJSON, 0, len(st.Subscribers))}
	for _, s := range st.Subscribers {
		j := toSubscriberJSON(s, st.Revision)
		if j.UpToDate {
			out.Acknowledged++
		} else {
			out.Pending++
		}
		out.Subscribers = append(out.Subscribers, j)
	}
	c.JSON(http.StatusOK, out)
}

func toSubscriberJSON(s fanout.SubscriberStatus, latest int64) subscriberJSON {
	j := subscriberJSON{
		ConnID: s.ConnID, ClientIP: s.Client.IP, ClientVersion: s.Client.Version, ClientApp: s.Client.App,
		User: s.Client.User, Clusters: s.View, Acked: s.Acked, InFlight: s.InFlight, UpToDate: s.Acked >= latest,
		Gateway: s.Gateway,
	}
	if !s.UnackedSince.IsZero() {
		j.UnackedSince = s.UnackedSince.UnixMilli()
	}
	if !s.RetryAt.IsZero() {
		j.RetryAt = s.RetryAt.UnixMilli()
	}
	return j
}
