package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/gateway/daemon"
	"github.com/herald-gateway/herald/internal/redistest"
	"github.com/herald-gateway/herald/tracker"
)

// adminGet GETs an admin API path and returns status and body.
func adminGet(t *testing.T, d *daemon.Daemon, path string, q url.Values) (int, []byte) {
	t.Helper()
	u := "http://" + d.AdminAddr().String() + path + "?" + q.Encode()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// tracks queries a tracker endpoint and decodes the page.
func tracks(t *testing.T, d *daemon.Daemon, path string, q url.Values) (tracker.Page, error) {
	t.Helper()
	code, body := adminGet(t, d, path, q)
	var page tracker.Page
	if code != http.StatusOK {
		return page, fmt.Errorf("status %d: %s", code, body)
	}
	return page, json.Unmarshal(body, &page)
}

// findResult waits until a page of path/q holds a record with result.
func findResult(t *testing.T, d *daemon.Daemon, path string, q url.Values, result string) tracker.Record {
	t.Helper()
	var found tracker.Record
	eventually(t, result+" record at "+path, 10*time.Second, func() error {
		page, err := tracks(t, d, path, q)
		if err != nil {
			return err
		}
		for _, r := range page.Records {
			if r.Result == result {
				found = r
				return nil
			}
		}
		return fmt.Errorf("%d records, none %s", len(page.Records), result)
	})
	return found
}

func trackingConfig(t *testing.T, redisAddr string) conf.Config {
	cfg := testConfig(t)
	cfg.Fanout.MergeWindow = 0
	if redisAddr != "" {
		cfg.Tracker.Redis = []string{redisAddr}
	}
	return cfg
}

// An SDK subscriber's push shows up acknowledged, with its latency, by
// service and by client IP, in Redis.
func TestTrackedPushAcked(t *testing.T) {
	rs := redistest.Start(t)
	d := startHerald(t, trackingConfig(t, rs.Addr()))
	port := grpcPort(t, d)
	sub, reg := newClient(t, port, ""), newClient(t, port, "")
	w := newWatcher()
	subscribe(t, sub, w, vo.SubscribeParam{ServiceName: "tracked"})
	mustRegister(t, reg, instance("tracked", "10.2.0.1", 80))
	w.waitFor(t, "the instance", wait, hasAddrs("10.2.0.1:80"))

	q := url.Values{"service": {"tracked"}}
	acked := findResult(t, d, "/v1/tracks/service", q, "acked")
	if acked.Acked == 0 || acked.Sent == 0 || acked.NetworkMs < 0 || acked.Acked-acked.Sent != acked.NetworkMs {
		t.Fatalf("acked record timing: %+v", acked)
	}
	if acked.Group != "DEFAULT_GROUP" || acked.Namespace != "public" || acked.Instances != 1 ||
		acked.Revision == 0 || acked.Node != "e2e" || acked.ClientIP == "" || acked.ConnID == "" ||
		!strings.Contains(acked.ClientVersion, "Nacos-Go-Client") {
		t.Fatalf("acked record fields: %+v", acked)
	}
	byIP := findResult(t, d, "/v1/tracks/client", url.Values{"ip": {acked.ClientIP}}, "acked")
	if byIP.PushID != acked.PushID {
		t.Fatalf("by IP found push %s, by service %s", byIP.PushID, acked.PushID)
	}
	code, body := adminGet(t, d, "/v1/status/service", q)
	var st struct {
		Revision     int64 `json:"revision"`
		Acknowledged int   `json:"acknowledged"`
		Subscribers  []struct {
			ClientIP string `json:"clientIp"`
			UpToDate bool   `json:"upToDate"`
		} `json:"subscribers"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &st) != nil || st.Revision != acked.Revision ||
		st.Acknowledged != 1 || len(st.Subscribers) != 1 || !st.Subscribers[0].UpToDate {
		t.Fatalf("status %d: %s", code, body)
	}
}

// A client that never acks shows as timed out, then retried.
func TestTrackedTimeoutThenRetry(t *testing.T) {
	cfg := trackingConfig(t, "") // the in-memory store, same contract
	cfg.Session.AckTimeout = 200 * time.Millisecond
	cfg.Fanout.RetryBase = 100 * time.Millisecond
	d := startHerald(t, cfg)
	sub, reg := dialSetUp(t, d.GRPCAddr().String()), dialSetUp(t, d.GRPCAddr().String())
	if _, err := expectOK(sub, "SubscribeServiceRequest", with(naming("silent", ""), "subscribe", true)); err != nil {
		t.Fatal(err)
	}
	if _, err := expectOK(reg, "InstanceRequest", with(naming("silent", ""), "type", "registerInstance", "instance", goodInstance())); err != nil {
		t.Fatal(err)
	}
	q := url.Values{"service": {"silent"}, "order": {"oldest"}}
	findResult(t, d, "/v1/tracks/service", q, "timeout")
	retried := findResult(t, d, "/v1/tracks/service", q, "retried")
	if retried.Attempt < 2 {
		t.Fatalf("retried record attempt %d", retried.Attempt)
	}
	code, body := adminGet(t, d, "/v1/status/service", url.Values{"service": {"silent"}})
	if code != http.StatusOK || !strings.Contains(string(body), `"pending":1`) {
		t.Fatalf("status %d: %s", code, body)
	}
}

// Redis killed mid-run: pushes carry on and the drop counter moves; Redis
// back: new events are recorded again.
func TestTrackerSurvivesRedisOutage(t *testing.T) {
	rs := redistest.Start(t)
	cfg := trackingConfig(t, rs.Addr())
	cfg.Tracker.Backlog = 5
	d := startHerald(t, cfg)
	sub, reg := dialSetUp(t, d.GRPCAddr().String()), dialSetUp(t, d.GRPCAddr().String())
	pushes := autoAck(t, sub)
	if _, err := expectOK(sub, "SubscribeServiceRequest", with(naming("outage", ""), "subscribe", true)); err != nil {
		t.Fatal(err)
	}
	change := func(port int) {
		t.Helper()
		in := goodInstance()
		in["port"] = port
		if _, err := expectOK(reg, "InstanceRequest", with(naming("outage", ""), "type", "registerInstance", "instance", in)); err != nil {
			t.Fatal(err)
		}
		select {
		case <-pushes:
		case <-time.After(wait):
			t.Fatalf("no push for change to port %d", port)
		}
	}
	q := url.Values{"service": {"outage"}}
	change(1)
	findResult(t, d, "/v1/tracks/service", q, "acked")

	rs.Stop()
	for i := range 20 { // 40 events (sent + acked) against a backlog of 5
		change(100 + i)
	}
	eventually(t, "drop counter moves", 10*time.Second, func() error {
		var st struct {
			Tracker tracker.RecorderStats `json:"tracker"`
		}
		_, body := adminGet(t, d, "/stats", nil)
		if err := json.Unmarshal(body, &st); err != nil {
			return err
		}
		if st.Tracker.Dropped == 0 || !st.Tracker.StoreDown {
			return fmt.Errorf("tracker stats %+v", st.Tracker)
		}
		return nil
	})

	rs.Restart()
	restarted := time.Now().UnixMilli()
	change(999)
	eventually(t, "records written after Redis returned", 15*time.Second, func() error {
		page, err := tracks(t, d, "/v1/tracks/service", q)
		if err != nil {
			return err
		}
		for _, r := range page.Records {
			if r.Result == "acked" && r.At >= restarted {
				return nil
			}
		}
		return fmt.Errorf("no fresh acked record among %d", len(page.Records))
	})
}

// Malformed queries are answered 400 with the parameter named.
func TestTrackerBadQueries(t *testing.T) {
	d := startHerald(t, trackingConfig(t, ""))
	cases := []struct {
		path  string
		q     url.Values
		param string
	}{
		{"/v1/tracks/service", url.Values{}, "service"},
		{"/v1/tracks/service", url.Values{"service": {"a@@b"}}, "service"},
		{"/v1/tracks/service", url.Values{"service": {"s"}, "group": {"g@@x"}}, "group"},
		{"/v1/tracks/service", url.Values{"service": {"s"}, "from": {"yesterday"}}, "from"},
		{"/v1/tracks/service", url.Values{"service": {"s"}, "from": {"2000"}, "to": {"1000"}}, "from"},
		{"/v1/tracks/service", url.Values{"service": {"s"}, "from": {"0"}}, "from"},
		{"/v1/tracks/service", url.Values{"service": {"s"}, "limit": {"0"}}, "limit"},
		{"/v1/tracks/service", url.Values{"service": {"s"}, "limit": {"100000"}}, "limit"},
		{"/v1/tracks/service", url.Values{"service": {"s"}, "order": {"sideways"}}, "order"},
		{"/v1/tracks/service", url.Values{"service": {"s"}, "cursor": {"not-a-cursor"}}, "cursor"},
		{"/v1/tracks/client", url.Values{"ip": {"300.1.1.1"}}, "ip"},
		{"/v1/tracks/client", url.Values{}, "ip"},
		{"/v1/status/service", url.Values{"service": {" "}}, "service"},
	}
	for _, tc := range cases {
		code, body := adminGet(t, d, tc.path, tc.q)
		var e struct {
			Param string `json:"param"`
			Error string `json:"error"`
		}
		if code != http.StatusBadRequest || json.Unmarshal(body, &e) != nil || e.Param != tc.param || e.Error == "" {
			t.Errorf("%s?%s: %d %s; want 400 naming %q", tc.path, tc.q.Encode(), code, body, tc.param)
		}
	}
}
