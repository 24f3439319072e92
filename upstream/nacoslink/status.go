package nacoslink

import (
	"slices"
	"strings"
	"time"
)

// Counters count the link's upstream traffic since it started.
type Counters struct {
	Subscribes   uint64 `json:"subscribes"`   // SubscribeServiceRequests answered
	Unsubscribes uint64 `json:"unsubscribes"` // unsubscribes answered
	Pushes       uint64 `json:"pushes"`       // NotifySubscriberRequests received
	Notified     uint64 `json:"notified"`     // snapshots forwarded to local subscribers
	Registers    uint64 `json:"registers"`    // batch registrations sent
	Deregisters  uint64 `json:"deregisters"`  // deregistrations sent

	ConfigListens  uint64 `json:"configListens"`  // keys listened (or unlistened) upstream
	ConfigQueries  uint64 `json:"configQueries"`  // ConfigQueryRequests sent
	ConfigPushes   uint64 `json:"configPushes"`   // ConfigChangeNotifyRequests received
	ConfigNotified uint64 `json:"configNotified"` // config states offered to local watchers
}

// Status is the link's state for the admin API (GET /v1/upstream).
type Status struct {
	Connection    ConnStatus  `json:"connection"`
	Subscriptions []SubStatus `json:"subscriptions"`
	Registrations []RegStatus `json:"registrations"`
	Configs       []CfgStatus `json:"configs"`
	Counters      Counters    `json:"counters"`
}

// ConnStatus describes the upstream connection.
type ConnStatus struct {
	Servers      []string  `json:"servers"`
	Server       string    `json:"server"`
	Connected    bool      `json:"connected"`
	Resyncing    bool      `json:"resyncing"`
	ConnectionID string    `json:"connectionId,omitempty"`
	Since        time.Time `json:"since"`
	Reconnects   int       `json:"reconnects"`
	LastError    string    `json:"lastError,omitempty"`
}

// SubStatus is one upstream subscription.
type SubStatus struct {
	Service    string `json:"service"`
	LocalRefs  int    `json:"localRefs"`
	Lingering  bool   `json:"lingering"`
	Subscribed bool   `json:"subscribed"` // on the current connection
	Instances  int    `json:"instances"`
	Revision   int64  `json:"revision"`
	Pushes     uint64 `json:"pushes"`
	Held       bool   `json:"held"` // a loss of instances is being held back
}

// CfgStatus is one listened configuration.
type CfgStatus struct {
	Config    string `json:"config"`
	LocalRefs int    `json:"localRefs"`
	Lingering bool   `json:"lingering"`
	Listening bool   `json:"listening"` // on the current connection
	InSync    bool   `json:"inSync"`    // the cache answers for it
	Exists    bool   `json:"exists"`
	Md5       string `json:"md5,omitempty"`
	Pushes    uint64 `json:"pushes"`
}

// RegStatus is one service's forwarded registrations.
type RegStatus struct {
	Service   string `json:"service"`
	Owners    int    `json:"owners"`
	Instances int    `json:"instances"`
	Synced    bool   `json:"synced"`
}

// Status returns a snapshot of the link's state.
func (l *Link) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := Status{Counters: l.count, Connection: ConnStatus{
		Servers: l.opts.Servers, Server: l.state.server, Connected: l.sess != nil,
		Resyncing: l.sess != nil && l.resyncing(l.now()), ConnectionID: l.state.connID,
		Since: l.state.since, Reconnects: l.state.reconnects,
	}}
	if l.state.lastErr != nil {
		st.Connection.LastError = l.state.lastErr.Error()
	}
	if l.sess == nil {
		st.Connection.ConnectionID = ""
	}
	for _, sub := range l.subs {
		ss := SubStatus{Service: sub.key.String(), LocalRefs: len(sub.boxes), Lingering: len(sub.boxes) == 0,
			Subscribed: sub.upstream, Pushes: sub.pushes, Held: sub.held != nil}
		if sub.snap != nil {
			ss.Instances, ss.Revision = len(sub.snap.Instances), sub.snap.Revision
		}
		st.Subscriptions = append(st.Subscriptions, ss)
	}
	for _, r := range l.regs {
		st.Registrations = append(st.Registrations, RegStatus{Service: r.key.String(),
			Owners: len(r.owners), Instances: len(r.union()), Synced: !r.dirty})
	}
	for _, w := range l.cfgs {
		st.Configs = append(st.Configs, CfgStatus{Config: w.key.String(), LocalRefs: len(w.boxes),
			Lingering: len(w.boxes) == 0, Listening: w.listening, InSync: w.inSync(l.sess != nil),
			Exists: w.state != nil && w.state.Config != nil, Md5: w.md5(), Pushes: w.pushes})
	}
	sortBy(st.Configs, func(c CfgStatus) string { return c.Config })
	sortBy(st.Subscriptions, func(s SubStatus) string { return s.Service })
	sortBy(st.Registrations, func(r RegStatus) string { return r.Service })
	return st
}

func sortBy[T any](s []T, key func(T) string) {
	slices.SortFunc(s, func(a, b T) int { return strings.Compare(key(a), key(b)) })
}
