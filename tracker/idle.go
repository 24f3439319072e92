package tracker

import (
	"context"
	"strings"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// An HTTP long-poll client is a listener of the Hub only while a poll is
// held: between an answer and its next poll, and for good once it stops
// (its process paused or gone), it has no subscription. So that status
// now lists it all the same, a client of the configuration whose poll
// said what it holds (a reported record) within idleWindow, and that
// holds no poll now, is listed as idle with that md5, up to date or
// behind like any listener. Clients are told apart by IP, app and
// version (their polls are separate connections). A client that has
// stopped for longer than idleWindow is no longer listed.
const (
	idleWindow = 2 * time.Minute
	// idleScan bounds the records read for them: the configuration's
	// newest, within idleWindow.
	idleScan = MaxLimit
)

// pollPrefix starts the connection id of every long poll (http1).
const pollPrefix = "http:"

// pollClient names one long-poll client.
type pollClient struct{ ip, app, version string }

// addIdlePollers lists in out the idle long-poll clients of key.
func (a *API) addIdlePollers(ctx context.Context, out *configStatusJSON, key upstream.ConfigKey, st fanout.TopicStatus, now time.Time) error {
	polling := map[pollClient]bool{}
	for _, s := range st.Subscribers {
		if strings.HasPrefix(s.ConnID, pollPrefix) {
			polling[pollClient{s.Client.IP, s.Client.App, s.Client.Version}] = true
		}
	}
	q := configQuery(Query{From: now.Add(-idleWindow), To: now, Limit: idleScan}, key, false)
	page, err := a.Store.Find(ctx, q)
	if err != nil {
		return err
	}
	state, _ := st.Value.(upstream.ConfigState)
	seen := map[pollClient]bool{}
	for _, r := range page.Records { // newest first
		c := pollClient{r.ClientIP, r.ClientApp, r.ClientVersion}
		if r.Result != "reported" || !strings.HasPrefix(r.ConnID, pollPrefix) || polling[c] || seen[c] {
			continue
		}
		seen[c] = true
		out.add(idleListener(r, state, st.Changed, now))
	}
	sortListeners(out.Listeners)
	return nil
}

// idleListener is the listener an idle client's last reported record
// describes, against the newest state.
func idleListener(r Record, state upstream.ConfigState, changed, now time.Time) listenerJSON {
	l := listenerJSON{ConnID: r.ConnID, ClientIP: r.ClientIP, ClientVersion: r.ClientVersion, ClientApp: r.ClientApp,
		Md5: r.Md5, LatestMd5: state.Md5For(r.ClientIP), HeldSince: r.At, Idle: true}
	l.UpToDate = l.Md5 == l.LatestMd5
	if !l.UpToDate {
		since := changed
		if since.IsZero() {
			since = time.UnixMilli(r.At)
		}
		l.BehindMs = max(now.Sub(since).Milliseconds(), 1)
	}
	return l
}

// stateFromChanges fills in st, when the Hub has no state of key (no
// listener holds a poll or a subscription now), from its newest publish
// or remove change event: the md5 a client should hold (a beta is not
// told apart here). st is left as it is when there is none.
func (a *API) stateFromChanges(ctx context.Context, key upstream.ConfigKey, st *fanout.TopicStatus) error {
	page, err := a.Store.Find(ctx, configQuery(Query{Limit: 10}, key, true))
	if err != nil {
		return err
	}
	for _, c := range page.Records {
		if c.Result != ResultPublish && c.Result != ResultRemove {
			continue
		}
		state := upstream.ConfigState{Key: key, Revision: c.Revision}
		if c.Result == ResultPublish {
			state.Config = &upstream.Config{Key: key, ConfigItem: upstream.ConfigItem{Md5: c.Md5, LastModified: c.LastModified}}
		}
		st.Value, st.Revision, st.Changed = state, c.Revision, time.UnixMilli(c.At)
		return nil
	}
	return nil
}
