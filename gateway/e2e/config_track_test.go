package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/gateway/daemon"
	"github.com/herald-gateway/herald/internal/redistest"
	"github.com/herald-gateway/herald/tracker"
	"github.com/herald-gateway/herald/upstream"
)

// Configuration push tracking, end to end: real SDK clients, a real
// redis-server (with HERALD_E2E_CHAIN, the same answers from the edge's
// tracker).

// cfgTracks is the body of /v1/tracks/config.
type cfgTracks struct {
	Changes []tracker.Record `json:"changes"`
	Records []tracker.Record `json:"records"`
	Next    string           `json:"next"`
}

// cfgListener is a listener in /v1/status/config and /v1/tracks/config/client.
type cfgListener struct {
	Namespace, Group, DataID string
	ConnID                   string `json:"connectionId"`
	ClientIP                 string `json:"clientIp"`
	Md5                      string `json:"md5"`
	LatestMd5                string `json:"latestMd5"`
	HeldSince                int64  `json:"heldSince"`
	UpToDate                 bool   `json:"upToDate"`
	BehindMs                 int64  `json:"behindMs"`
	Listening                bool   `json:"listening"`
	Idle                     bool   `json:"idle"`
	Changes                  []tracker.Record
}

type cfgStatus struct {
	Md5       string        `json:"md5"`
	UpToDate  int           `json:"upToDate"`
	Behind    int           `json:"behind"`
	Listeners []cfgListener `json:"listeners"`
}

type cfgClient struct {
	Configs []cfgListener    `json:"configs"`
	Records []tracker.Record `json:"records"`
}

type cfgEvent struct {
	Change    tracker.Record   `json:"change"`
	Following []tracker.Record `json:"following"`
	Counts    map[string]int   `json:"counts"`
}

// adminDecode GETs path and decodes a 200 answer into v.
func adminDecode(t *testing.T, d *daemon.Daemon, path string, q url.Values, v any) error {
	t.Helper()
	code, body := adminGet(t, d, path, q)
	if code != http.StatusOK {
		return fmt.Errorf("%s: status %d: %s", path, code, body)
	}
	return json.Unmarshal(body, v)
}

// changeWith is the change event of md5 among changes.
func changeWith(changes []tracker.Record, md5 string) (tracker.Record, bool) {
	for _, c := range changes {
		if c.Md5 == md5 {
			return c, true
		}
	}
	return tracker.Record{}, false
}

// deliveredTo checks, in a timeline (oldest first), that connection conn
// was notified of md5 and acknowledged it, then served it, then reported
// holding it, in that order.
func deliveredTo(recs []tracker.Record, conn, md5 string, notified string) error {
	want := []string{"sent", notified, "served", "reported"}
	i := 0
	for _, r := range recs {
		if i < len(want) && r.ConnID == conn && r.Result == want[i] && (r.Md5 == md5 || r.Result == "sent" || r.Result == notified) {
			i++
		}
	}
	if i < len(want) {
		return fmt.Errorf("connection %s: saw %v of %v for md5 %s", conn, want[:i], want, md5)
	}
	return nil
}

// After a publish, each Go SDK listener's notification, ack, content
// served and re-listen with the new md5 are in the timeline under the
// change event; by IP it holds the new md5; status now shows both up to
// date, and a raw-protocol listener that never acknowledges as behind,
// first.
func TestConfigTrackGoSDK(t *testing.T) {
	rs := redistest.Start(t)
	d := startHerald(t, trackingConfig(t, rs.Addr()))
	port := grpcPort(t, d)
	writer := newConfigClient(t, port, "")
	p := vo.ConfigParam{DataId: "track.yaml", Group: "DEFAULT_GROUP", Content: "v: 1\n", Type: "yaml"}
	mustPublish(t, writer, p)
	watches := []*configWatch{newConfigWatch(), newConfigWatch()}
	for _, w := range watches {
		reader := newConfigClient(t, port, "")
		mustGet(t, reader, p.Group, p.DataId)
		listen(t, reader, p.Group, p.DataId, w)
	}
	awaitHolding(t, d, p.DataId, upstream.Md5Hex(p.Content), 2)
	w := watches[0]

	p.Content = "v: 2\n"
	v2 := upstream.Md5Hex(p.Content)
	mustPublish(t, writer, p)
	for _, w := range watches {
		w.waitFor(t, p.Content, chainWait)
	}
	key := url.Values{"dataId": {p.DataId}}
	var change, acked tracker.Record
	eventually(t, "the change and its delivery tracked", chainWait, func() error {
		var tr cfgTracks
		q := url.Values{"dataId": {p.DataId}, "order": {"oldest"}, "limit": {"1000"}}
		if err := adminDecode(t, d, "/v1/tracks/config", q, &tr); err != nil {
			return err
		}
		var ok bool
		if change, ok = changeWith(tr.Changes, v2); !ok || change.Result != tracker.ResultPublish || change.ContentType != "yaml" ||
			change.Bytes != len(p.Content) || change.Kind != tracker.KindConfig {
			return fmt.Errorf("no publish change with md5 %s among %+v", v2, tr.Changes)
		}
		conns := map[string]bool{}
		for _, r := range tr.Records {
			if r.Result == "acked" && r.At >= change.At && r.Md5 == v2 {
				acked, conns[r.ConnID] = r, true
			}
		}
		if len(conns) != 2 {
			return fmt.Errorf("acked pushes of %s to %d connections in %d records, want 2", v2, len(conns), len(tr.Records))
		}
		for conn := range conns {
			if err := deliveredTo(tr.Records, conn, v2, "acked"); err != nil {
				return err
			}
		}
		return nil
	})
	if acked.NetworkMs < 0 || acked.ClientIP == "" || acked.ClientVersion == "" {
		t.Errorf("acked record %+v", acked)
	}
	// Through an edge, the content the listener fetched came from the
	// edge's copy of the core's (in sync: it was just notified).
	var tr cfgTracks
	if err := adminDecode(t, d, "/v1/tracks/config", url.Values{"dataId": {p.DataId}, "limit": {"1000"}}, &tr); err != nil {
		t.Fatal(err)
	}
	for _, r := range tr.Records {
		if r.Result == "served" && r.ConnID == acked.ConnID && r.Md5 == v2 && r.Cached != chained() {
			t.Errorf("served record %+v: cached %v, want %v", r, r.Cached, chained())
		}
	}

	var ev cfgEvent
	if err := adminDecode(t, d, "/v1/tracks/config/event", url.Values{"dataId": {p.DataId}, "id": {change.ID}}, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Change.Md5 != v2 || ev.Counts["acked"] < 1 || ev.Counts["reported"] < 1 || deliveredTo(ev.Following, acked.ConnID, v2, "acked") != nil {
		t.Fatalf("event detail %+v", ev)
	}

	var byIP cfgClient
	if err := adminDecode(t, d, "/v1/tracks/config/client", url.Values{"ip": {acked.ClientIP}}, &byIP); err != nil {
		t.Fatal(err)
	}
	held := false
	for _, c := range byIP.Configs {
		if c.DataID == p.DataId && c.ConnID == acked.ConnID {
			held = c.Listening && c.Md5 == v2 && c.UpToDate && len(c.Changes) > 0 && c.Changes[0].Md5 == v2
		}
	}
	if !held || len(byIP.Records) == 0 {
		t.Fatalf("by IP %s: %+v; want %s listened with md5 %s and its change", acked.ClientIP, byIP.Configs, p.DataId, v2)
	}
	var st cfgStatus
	if err := adminDecode(t, d, "/v1/status/config", key, &st); err != nil || st.Md5 != v2 || st.Behind != 0 || st.UpToDate != 2 {
		t.Fatalf("status now %+v %v; want two listeners up to date with %s", st, err, v2)
	}

	// A listener that holds v2 and never acknowledges is behind after v3.
	mute := dialSetUp(t, d.GRPCAddr().String())
	if _, err := expectOK(mute, "ConfigBatchListenRequest", listenBody(listenCtx(p.DataId, p.Group, v2))); err != nil {
		t.Fatal(err)
	}
	awaitHolding(t, d, p.DataId, v2, 3)
	p.Content = "v: 3\n"
	v3 := upstream.Md5Hex(p.Content)
	mustPublish(t, writer, p)
	w.waitFor(t, p.Content, chainWait)
	eventually(t, "the mute listener behind, first", chainWait, func() error {
		if err := adminDecode(t, d, "/v1/status/config", key, &st); err != nil {
			return err
		}
		if st.Md5 != v3 || st.Behind != 1 || st.UpToDate != 2 || len(st.Listeners) != 3 {
			return fmt.Errorf("status %+v", st)
		}
		if first := st.Listeners[0]; first.UpToDate || first.Md5 != v2 || first.LatestMd5 != v3 || first.BehindMs <= 0 {
			return fmt.Errorf("first listener %+v; want the mute one, behind on %s", first, v2)
		}
		return nil
	})
}

// awaitHolding waits until n listeners of dataId on d say they hold md5
// (a Go SDK listener's first listen comes at its 5 s tick).
func awaitHolding(t *testing.T, d *daemon.Daemon, dataID, md5 string, n int) {
	t.Helper()
	eventually(t, fmt.Sprint(n, " listeners of ", dataID, " holding ", md5), chainWait, func() error {
		var st cfgStatus
		if err := adminDecode(t, d, "/v1/status/config", url.Values{"dataId": {dataID}}, &st); err != nil {
			return err
		}
		holding := 0
		for _, l := range st.Listeners {
			if l.Md5 == md5 {
				holding++
			}
		}
		if holding < n {
			return fmt.Errorf("%d of %d listeners hold it", holding, len(st.Listeners))
		}
		return nil
	})
}

// trackerStats reads the tracker's counters from /stats.
func trackerStats(t *testing.T, d *daemon.Daemon) (tracker.RecorderStats, error) {
	t.Helper()
	var st struct {
		Tracker tracker.RecorderStats `json:"tracker"`
	}
	err := adminDecode(t, d, "/stats", nil, &st)
	return st.Tracker, err
}

// Redis killed before a publish: the push reaches the listener all the
// same, the change and its delivery wait in the recorder's backlog, and
// are written (none dropped) once Redis is back.
func TestConfigTrackRedisKilledDuringPublish(t *testing.T) {
	rs := redistest.Start(t)
	d := startHerald(t, trackingConfig(t, rs.Addr()))
	port := grpcPort(t, d)
	writer, reader := newConfigClient(t, port, ""), newConfigClient(t, port, "")
	p := vo.ConfigParam{DataId: "outage.yaml", Group: "DEFAULT_GROUP", Content: "v: 1\n"}
	mustPublish(t, writer, p)
	mustGet(t, reader, p.Group, p.DataId)
	w := newConfigWatch()
	listen(t, reader, p.Group, p.DataId, w)
	awaitHeld(t, d, p.DataId, p.Content)

	rs.Stop()
	p.Content = "v: 2\n"
	v2 := upstream.Md5Hex(p.Content)
	mustPublish(t, writer, p)
	w.waitFor(t, p.Content, chainWait) // pushes do not wait for the store
	eventually(t, "records held for the store", chainWait, func() error {
		st, err := trackerStats(t, d)
		if err != nil || !st.StoreDown || st.Backlog == 0 {
			return fmt.Errorf("tracker %+v %v", st, err)
		}
		return nil
	})
	if code, _ := adminGet(t, d, "/v1/tracks/config", url.Values{"dataId": {p.DataId}}); code != http.StatusServiceUnavailable {
		t.Errorf("query with Redis down: status %d, want 503", code)
	}

	rs.Restart()
	eventually(t, "the held change written after Redis returned", chainWait, func() error {
		var tr cfgTracks
		if err := adminDecode(t, d, "/v1/tracks/config", url.Values{"dataId": {p.DataId}, "limit": {"1000"}}, &tr); err != nil {
			return err
		}
		if _, ok := changeWith(tr.Changes, v2); !ok {
			return fmt.Errorf("no change %s among %d changes", v2, len(tr.Changes))
		}
		for _, r := range tr.Records {
			if r.Result == "acked" && r.Md5 == v2 {
				return nil
			}
		}
		return fmt.Errorf("no acked push of %s among %d records", v2, len(tr.Records))
	})
	st, err := trackerStats(t, d)
	if err != nil || st.StoreDown || st.Dropped != 0 {
		t.Fatalf("tracker after the outage %+v %v; want the store up and nothing dropped", st, err)
	}
}

// Malformed config track queries are answered 400 with the parameter
// named; an unknown change event 404.
func TestConfigTrackBadQueries(t *testing.T) {
	d := startHerald(t, trackingConfig(t, ""))
	cases := []struct {
		path  string
		q     url.Values
		param string
	}{
		{"/v1/tracks/config", url.Values{}, "dataId"},
		{"/v1/tracks/config", url.Values{"dataId": {"a b"}}, "dataId"},
		{"/v1/tracks/config", url.Values{"dataId": {"a"}, "group": {"g@x"}}, "group"},
		{"/v1/tracks/config", url.Values{"dataId": {"a"}, "namespace": {"n/s"}}, "namespace"},
		{"/v1/tracks/config", url.Values{"dataId": {"a"}, "from": {"yesterday"}}, "from"},
		{"/v1/tracks/config", url.Values{"dataId": {"a"}, "from": {"2000"}, "to": {"1000"}}, "from"},
		{"/v1/tracks/config", url.Values{"dataId": {"a"}, "limit": {"0"}}, "limit"},
		{"/v1/tracks/config", url.Values{"dataId": {"a"}, "order": {"up"}}, "order"},
		{"/v1/tracks/config", url.Values{"dataId": {"a"}, "cursor": {"nope"}}, "cursor"},
		{"/v1/tracks/config", url.Values{"dataId": {"a"}, "changeCursor": {"nope"}}, "changeCursor"},
		{"/v1/tracks/config/client", url.Values{}, "ip"},
		{"/v1/tracks/config/client", url.Values{"ip": {"10.0.0.300"}}, "ip"},
		{"/v1/tracks/config/client", url.Values{"ip": {"10.0.0.1"}, "to": {"x"}}, "to"},
		{"/v1/tracks/config/event", url.Values{"dataId": {"a"}}, "id"},
		{"/v1/tracks/config/event", url.Values{"dataId": {"a"}, "id": {"x-1"}}, "id"},
		{"/v1/tracks/config/event", url.Values{"dataId": {"a"}, "id": {"1-0"}, "limit": {"5000"}}, "limit"},
		{"/v1/tracks/config/event", url.Values{"id": {"1-0"}}, "dataId"},
		{"/v1/status/config", url.Values{"dataId": {" "}}, "dataId"},
	}
	for _, tc := range cases {
		code, body := adminGet(t, d, tc.path, tc.q)
		var e struct {
			Param string `json:"param"`
		}
		if code != http.StatusBadRequest || json.Unmarshal(body, &e) != nil || e.Param != tc.param {
			t.Errorf("%s?%s: %d %s; want 400 naming %s", tc.path, tc.q.Encode(), code, body, tc.param)
		}
	}
	if code, body := adminGet(t, d, "/v1/tracks/config/event", url.Values{"dataId": {"a"}, "id": {"1-0"}}); code != http.StatusNotFound {
		t.Errorf("unknown change event: %d %s, want 404", code, body)
	}
}
