package tracker

import (
	"sort"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// listenerJSON is one listener of a configuration now: the md5 it holds
// (what its last listen said), since when, and the md5 it should hold.
type listenerJSON struct {
	ConnID        string `json:"connectionId"`
	ClientIP      string `json:"clientIp"`
	ClientVersion string `json:"clientVersion"`
	ClientApp     string `json:"clientApp"`
	Gateway       string `json:"gateway,omitempty"` // the gateway it is connected to (fleet view)
	Md5           string `json:"md5"`
	LatestMd5     string `json:"latestMd5"`
	HeldSince     int64  `json:"heldSince,omitempty"`
	UpToDate      bool   `json:"upToDate"`
	// BehindMs is how long it has been behind: since the change to the
	// content it should hold (or since it said what it holds, when the
	// change time is unknown).
	BehindMs     int64 `json:"behindMs,omitempty"`
	InFlight     int64 `json:"inFlightRevision,omitempty"`
	UnackedSince int64 `json:"unackedSince,omitempty"`
	RetryAt      int64 `json:"retryAt,omitempty"`
	// Idle marks an HTTP long-poll client with no poll held now, listed
	// from its records (idle.go): HeldSince is when its last poll said
	// what it holds.
	Idle bool `json:"idle,omitempty"`
}

// configStatusJSON is the delivery status of a configuration now, the
// listeners behind first (longest behind first), then by connection.
type configStatusJSON struct {
	Namespace string         `json:"namespace"`
	Group     string         `json:"group"`
	DataID    string         `json:"dataId"`
	Revision  int64          `json:"revision"`
	Md5       string         `json:"md5"` // of the normal content ("" when absent)
	ChangedAt int64          `json:"changedAt,omitempty"`
	UpToDate  int            `json:"upToDate"`
	Behind    int            `json:"behind"`
	Listeners []listenerJSON `json:"listeners"`
	// IdleError says why idle long-poll clients could not be listed (the
	// track store failed); the live listeners are listed all the same.
	IdleError string `json:"idleError,omitempty"`
}

func configStatusOf(key upstream.ConfigKey, st fanout.TopicStatus, now time.Time) configStatusJSON {
	state, _ := st.Value.(upstream.ConfigState)
	out := configStatusJSON{Namespace: key.Namespace, Group: key.Group, DataID: key.DataID, Revision: st.Revision,
		Md5: state.Md5For(""), Listeners: make([]listenerJSON, 0, len(st.Subscribers))}
	if !st.Changed.IsZero() {
		out.ChangedAt = st.Changed.UnixMilli()
	}
	for _, s := range st.Subscribers {
		out.add(toListenerJSON(s, state, st.Changed, now))
	}
	sortListeners(out.Listeners)
	return out
}

// add lists l and counts it.
func (out *configStatusJSON) add(l listenerJSON) {
	if l.UpToDate {
		out.UpToDate++
	} else {
		out.Behind++
	}
	out.Listeners = append(out.Listeners, l)
}

// sortListeners puts those behind first, longest behind first.
func sortListeners(ls []listenerJSON) {
	sort.SliceStable(ls, func(i, j int) bool {
		a, b := ls[i], ls[j]
		if a.UpToDate != b.UpToDate {
			return !a.UpToDate
		}
		if a.BehindMs != b.BehindMs {
			return a.BehindMs > b.BehindMs
		}
		return a.ConnID < b.ConnID
	})
}

// toListenerJSON is one subscriber's applied state against state, the
// newest the Hub has, made at changed.
func toListenerJSON(s fanout.SubscriberStatus, state upstream.ConfigState, changed, now time.Time) listenerJSON {
	l := listenerJSON{ConnID: s.ConnID, ClientIP: s.Client.IP, ClientVersion: s.Client.Version, ClientApp: s.Client.App,
		Gateway: s.Gateway, Md5: s.Held, LatestMd5: state.Md5For(s.Client.IP), InFlight: s.InFlight}
	l.UpToDate = l.Md5 == l.LatestMd5
	if !s.HeldSince.IsZero() {
		l.HeldSince = s.HeldSince.UnixMilli()
	}
	if !s.UnackedSince.IsZero() {
		l.UnackedSince = s.UnackedSince.UnixMilli()
	}
	if !s.RetryAt.IsZero() {
		l.RetryAt = s.RetryAt.UnixMilli()
	}
	if !l.UpToDate {
		since := changed
		if since.IsZero() {
			since = s.HeldSince
		}
		if !since.IsZero() {
			l.BehindMs = max(now.Sub(since).Milliseconds(), 1)
		}
	}
	return l
}
