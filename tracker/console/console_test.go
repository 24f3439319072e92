package console_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/redis/go-redis/v9"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/gateway/daemon"
	"github.com/herald-gateway/herald/internal/redistest"
	"github.com/herald-gateway/herald/tracker"
)

const (
	token    = "console-test-token-0123456789abcdef"
	traceURL = "http://127.0.0.1:16686/trace/{traceId}" // a link only: the page must never fetch it
	zone     = "Asia/Tokyo"                             // UTC+09:00, no daylight saving
)

// row is one table row as the page shows it.
type row struct {
	ID      string            `json:"id"`
	Conn    string            `json:"conn"`
	Class   string            `json:"cls"`
	Cells   map[string]string `json:"cells"`   // by column class (col-time, col-ip, ...)
	Trace   string            `json:"trace"`   // the trace link's href
	TraceID string            `json:"traceId"` // the whole trace id (the cell shows its start)
}

const rowsJS = `Array.from(document.querySelectorAll('#results-table tbody tr')).map(tr => ({
	id: tr.dataset.id || '', conn: tr.dataset.conn || '', cls: tr.className,
	cells: Object.fromEntries(Array.from(tr.cells).map(td => [td.className.split(' ')[0], td.textContent.trim()])),
	trace: tr.querySelector('.col-trace a')?.getAttribute('href') || '',
	traceId: tr.querySelector('.col-trace code')?.title || ''}))`

func (b *browser) rows() []row { b.t.Helper(); return eval[[]row](b, rowsJS) }

// allPages reads every page of the current results, following "Older".
func (b *browser) allPages() (rows []row, pages int) {
	b.t.Helper()
	for {
		pages++
		rows = append(rows, b.rows()...)
		if eval[bool](b, `!document.querySelector('#next') || document.querySelector('#next').disabled`) {
			return rows, pages
		}
		b.act(chromedp.Click(chromedp.CSS("#next")))
	}
}

// queryRange fills in the time range: a preset id, or "custom" from..to.
func queryRange(preset string, from, to time.Time, loc *time.Location) []chromedp.Action[chromedp.Void] {
	steps := []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.CSS("#range-" + preset))}
	if preset == "custom" {
		const local = "2006-01-02T15:04:05"
		steps = append(steps, chromedp.SetValue(chromedp.CSS("#f-from"), from.In(loc).Format(local)),
			chromedp.SetValue(chromedp.CSS("#f-to"), to.In(loc).Format(local)))
	}
	return steps
}

// seed writes push records from before this gateway started (45 minutes
// and 5 hours ago) into the store Herald will use, so that the time
// presets select different rows. Each is its own write: one stream entry
// per record, at its own time.
func seed(t *testing.T, addr string, now time.Time) (within1h, within1d tracker.Record) {
	t.Helper()
	store := tracker.NewRedisStore(redis.NewClient(&redis.Options{Addr: addr}), tracker.RedisOptions{})
	defer store.Close()
	mk := func(ago time.Duration, result, reason string, attempt int) tracker.Record {
		at := now.Add(-ago).UnixMilli()
		r := tracker.Record{PushID: fmt.Sprintf("1700000000000_127.0.0.1_50123/%d", attempt), Result: result, At: at,
			Sent: at - 3, Attempt: attempt, Namespace: "public", Group: "DEFAULT_GROUP", Service: "orders",
			ClientIP: "127.0.0.1", ConnID: "1700000000000_127.0.0.1_50123", ClientVersion: "Nacos-Go-Client:v2.3.2",
			ClientApp: "billing", Instances: 1, Revision: at - 10, Bytes: 300, Node: "edge-earlier",
			TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Reason: reason}
		if result == "acked" {
			r.Acked, r.NetworkMs = at, 3
		}
		return r
	}
	within1d = mk(5*time.Hour, "failed", "connection closed", 2)
	within1h = mk(45*time.Minute, "acked", "", 1)
	for _, r := range []tracker.Record{within1d, within1h} {
		if err := store.Append(t.Context(), []tracker.Record{r}); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	return within1h, within1d
}

// ids lists record ids in order.
func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func recordID(r tracker.Record) string { return r.ID }
func rowID(r row) string               { return r.ID }

// findAt finds the stored record seeded at the given time.
func findAt(t *testing.T, recs []tracker.Record, at int64) tracker.Record {
	t.Helper()
	for _, r := range recs {
		if r.At == at {
			return r
		}
	}
	t.Fatalf("no record at %d among %d", at, len(recs))
	return tracker.Record{}
}

// checkRows compares the rows shown with the records, cell by cell, with
// times in the viewer's zone.
func checkRows(t *testing.T, what string, got []row, want []tracker.Record, loc *time.Location) {
	t.Helper()
	if !slices.Equal(ids(got, rowID), ids(want, recordID)) {
		t.Fatalf("%s: the page shows %d rows %q, the API %d records %q", what, len(got), ids(got, rowID), len(want), ids(want, recordID))
	}
	for i, r := range want {
		c := got[i].Cells
		result := r.Result
		if result == "timeout" {
			result = "timed out"
		}
		wantTime := time.UnixMilli(r.At).In(loc).Format("2006-01-02 15:04:05.000")
		if c["col-time"] != wantTime || c["col-ip"] != r.ClientIP || c["col-conn"] != r.ConnID || c["col-service"] != r.Service ||
			c["col-group"] != r.Group || c["col-instances"] != fmt.Sprint(r.Instances) || !strings.HasPrefix(c["col-result"], result) ||
			c["col-attempt"] != fmt.Sprint(r.Attempt) || c["col-node"] != r.Node || got[i].TraceID != r.TraceID || !strings.HasPrefix(r.TraceID, strings.TrimSuffix(c["col-trace"], "…")) {
			t.Fatalf("%s: row %d shows %v; the record is %+v (time in %s: %s)", what, i, c, r, loc, wantTime)
		}
		if r.Reason != "" && !strings.Contains(c["col-result"], r.Reason) {
			t.Fatalf("%s: row %d does not show the reason %q: %q", what, i, r.Reason, c["col-result"])
		}
		if r.Result == "acked" && c["col-latency"] != fmt.Sprintf("%d ms", r.NetworkMs) && r.NetworkMs < 1000 {
			t.Fatalf("%s: row %d ack latency %q, record %d ms", what, i, c["col-latency"], r.NetworkMs)
		}
		if wantLink := strings.ReplaceAll(traceURL, "{traceId}", r.TraceID); r.TraceID != "" && got[i].Trace != wantLink {
			t.Fatalf("%s: row %d trace link %q, want %q", what, i, got[i].Trace, wantLink)
		}
	}
}

// TestConsole opens every page of the console in headless Chromium, the
// way an operator would, against Herald on a real redis-server with
// pushes made by nacos-sdk-go, and checks what the pages show against
// the tracker API.
func TestConsole(t *testing.T) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	rs := redistest.Start(t)
	start := time.Now()
	in1h, in1d := seed(t, rs.Addr(), start)

	cfg := conf.Default()
	cfg.Node = "console-e2e"
	cfg.GRPC.Addr, cfg.HTTP.Addr, cfg.Admin.Addr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.Upstream.Embedded.DataDir = t.TempDir()
	cfg.Admin.Token = token
	cfg.Console.TraceURL = traceURL
	cfg.Tracker.Redis = []string{rs.Addr()}
	cfg.Fanout.MergeWindow = 0
	cfg.Session.AckTimeout = 300 * time.Millisecond
	cfg.Session.IdleTimeout = 10 * time.Minute // the silent client stays connected
	cfg.Fanout.RetryBase, cfg.Fanout.RetryMax = 10*time.Minute, 10*time.Minute
	d, err := daemon.Start(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)

	// Pushes, made by the real SDK: two subscribers of orders see three
	// registrations; payments has an SDK subscriber and a silent one.
	subA, subB, reg, subC := newSDK(t, d, "shop"), newSDK(t, d, "shop"), newSDK(t, d, "registrar"), newSDK(t, d, "pay")
	wa, wb := subscribe(t, subA, "orders"), subscribe(t, subB, "orders")
	for i := 1; i <= 3; i++ {
		registerN(t, reg, "orders", i)
		wa.waitCount(t, i)
		wb.waitCount(t, i)
	}
	wc := subscribe(t, subC, "payments")
	silent := silentSubscriber(t, d, "payments")
	registerN(t, reg, "payments", 1)
	wc.waitCount(t, 1)
	eventually(t, "the pushes recorded", func() error {
		acked3 := 0
		for _, r := range tracks(t, d, token, "/v1/tracks/service", url.Values{"service": {"orders"}}) {
			if r.Result == "acked" && r.Instances == 3 {
				acked3++
			}
		}
		pay := tracks(t, d, token, "/v1/tracks/service", url.Values{"service": {"payments"}})
		if acked3 < 2 || !slices.ContainsFunc(pay, func(r tracker.Record) bool { return r.Result == "timeout" }) ||
			!slices.ContainsFunc(pay, func(r tracker.Record) bool { return r.Result == "acked" }) {
			return fmt.Errorf("orders: %d acked with 3 instances; payments: %d records", acked3, len(pay))
		}
		return nil
	})
	all := tracks(t, d, token, "/v1/tracks/service", url.Values{"service": {"orders"}, "from": {fmt.Sprint(start.Add(-6 * time.Hour).UnixMilli())}})
	var live []tracker.Record
	for _, r := range all {
		if r.At >= start.UnixMilli() {
			live = append(live, r)
		}
	}
	s1h, s1d := findAt(t, all, in1h.At), findAt(t, all, in1d.At)
	if len(all) != len(live)+2 || len(live) < 12 {
		t.Fatalf("orders: %d records, %d of them live", len(all), len(live))
	}
	sdkIP := live[0].ClientIP // the SDK reports its host's address

	origin := "http://" + d.AdminAddr().String()
	checkRefused(t, origin)
	b := startBrowser(t, origin, zone)

	// Sign in: the console needs the token; a wrong one is refused.
	b.do(chromedp.Navigate(origin+"/console/"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.screenshot("login")
	b.do(chromedp.SendKeys(chromedp.CSS("#token"), "not-the-token-0123456789"), chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#login-problem")))
	if got := b.text("#login-problem"); got != "That token was not accepted." {
		t.Fatalf("wrong token: the page says %q", got)
	}
	b.do(chromedp.SendKeys(chromedp.CSS("#token"), token), chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitReady(chromedp.CSS("html[data-renders]")))
	if c := eval[string](b, "document.cookie"); strings.Contains(c, "herald_admin") {
		t.Fatalf("the session cookie is readable by scripts: %q", c)
	}
	if got, want := b.text("#zone"), "Times in "+zone+" (UTC+09:00)"; got != want {
		t.Fatalf("zone: %q, want %q", got, want)
	}
	if got := b.text("#node"); got != "Node console-e2e" {
		t.Fatalf("node: %q", got)
	}

	checkOverview(t, b, d)
	b.screenshot("overview")

	// Registry push track by service: each preset, paging.
	b.act(chromedp.Click(chromedp.CSS("#nav-registry")))
	b.act(append(append([]chromedp.Action[chromedp.Void]{chromedp.SetValue(chromedp.CSS("#f-service"), "orders")},
		queryRange("30m", time.Time{}, time.Time{}, loc)...), chromedp.SetValue(chromedp.CSS("#f-limit"), "10"),
		chromedp.Click(chromedp.CSS("#q-submit")))...)
	got, pages := b.allPages()
	checkRows(t, "last 30 minutes", got, live, loc)
	if want := (len(live) + 9) / 10; pages != want {
		t.Fatalf("last 30 minutes: %d pages of 10 for %d records, want %d", pages, len(live), want)
	}

	b.act(append(queryRange("1h", time.Time{}, time.Time{}, loc), chromedp.SetValue(chromedp.CSS("#f-limit"), "50"),
		chromedp.Click(chromedp.CSS("#q-submit")))...)
	checkRows(t, "last 1 hour", b.rows(), append(slices.Clone(live), s1h), loc)
	if n := eval[int](b, `document.querySelectorAll('#timeline circle.dot').length`); n != len(live)+1 {
		t.Fatalf("timeline: %d events drawn for %d rows", n, len(live)+1)
	}
	b.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#timeline circle[data-id=%q]`, s1h.ID))))
	if cls := eval[string](b, fmt.Sprintf(`document.querySelector('tr[data-id=%q]').className`, s1h.ID)); !strings.Contains(cls, "picked") {
		t.Fatalf("clicking the event on the timeline did not mark its row: %q", cls)
	}
	// From a row to the other dimension at that moment: the client's pushes
	// 15 minutes either side of it.
	b.act(chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-id=%q] .col-ip a`, s1h.ID))))
	checkRows(t, "jump to the client around the earlier push", b.rows(),
		[]tracker.Record{findAt(t, tracks(t, d, token, "/v1/tracks/client", url.Values{"ip": {"127.0.0.1"},
			"from": {fmt.Sprint(s1h.At - 1000)}, "to": {fmt.Sprint(s1h.At + 1000)}}), s1h.At)}, loc)
	if !eval[bool](b, `document.querySelector('#by-ip').checked && document.querySelector('#range-custom').checked`) {
		t.Fatal("the jump did not switch the form to the client and a custom range")
	}

	b.act(chromedp.Click(chromedp.CSS("#nav-registry")))
	b.act(chromedp.SetValue(chromedp.CSS("#f-service"), "orders"), chromedp.Click(chromedp.CSS("#range-1d")),
		chromedp.SetValue(chromedp.CSS("#f-limit"), "50"), chromedp.Click(chromedp.CSS("#q-submit")))
	b.screenshot("registry-service")
	got, pages = b.allPages()
	checkRows(t, "last 1 day", got, all, loc)
	if pages != 1 {
		t.Fatalf("last 1 day: %d records on %d pages of 50", len(all), pages)
	}

	// A custom range around the older record, in the viewer's zone.
	b.act(append(queryRange("custom", start.Add(-6*time.Hour), start.Add(-4*time.Hour), loc), chromedp.Click(chromedp.CSS("#q-submit")))...)
	checkRows(t, "custom range 6h to 4h ago", b.rows(), []tracker.Record{s1d}, loc)

	// An API error is shown as it came.
	b.act(append(queryRange("custom", start.Add(-time.Hour), start.Add(-2*time.Hour), loc), chromedp.Click(chromedp.CSS("#q-submit")))...)
	if msg := b.text("#error-message"); !strings.Contains(msg, "from: must not be after to") {
		t.Fatalf("backwards range: error shown %q", msg)
	}
	// Nothing found: the page says so and offers the widest preset.
	b.act(append(queryRange("custom", start.Add(-23*time.Hour), start.Add(-22*time.Hour), loc), chromedp.Click(chromedp.CSS("#q-submit")))...)
	if msg := b.text("#empty"); !strings.Contains(msg, "No pushes recorded for service orders") || !strings.Contains(msg, "Last 1 day") {
		t.Fatalf("empty result says %q", msg)
	}
	b.act(chromedp.Click(chromedp.CSS("#widen")))
	checkRows(t, "widened to the last day", b.rows(), all, loc)
	if !eval[bool](b, `document.querySelector('#range-1d').checked`) {
		t.Fatal("widening did not select the last day")
	}

	// By client IP: the SDK clients' host.
	b.act(chromedp.Click(chromedp.CSS("#by-ip")), chromedp.SetValue(chromedp.CSS("#f-ip"), sdkIP),
		chromedp.Click(chromedp.CSS("#range-1h")), chromedp.SetValue(chromedp.CSS("#f-limit"), "500"), chromedp.Click(chromedp.CSS("#q-submit")))
	byIP := tracks(t, d, token, "/v1/tracks/client", url.Values{"ip": {sdkIP}, "from": {fmt.Sprint(time.Now().Add(-time.Hour).UnixMilli())}})
	checkRows(t, "client "+sdkIP+", last hour", b.rows(), byIP, loc)
	if !slices.ContainsFunc(byIP, func(r tracker.Record) bool { return r.Service == "payments" }) ||
		slices.ContainsFunc(byIP, func(r tracker.Record) bool { return r.ClientIP != sdkIP }) {
		t.Fatalf("by IP: unexpected records %+v", byIP)
	}
	b.screenshot("registry-ip")

	checkStatus(t, b, d, silent.ConnectionID)
	b.screenshot("status")

	// This gateway serves configuration: the page offers its query
	// (TestConsoleConfig runs it).
	b.act(chromedp.Click(chromedp.CSS("#nav-config")))
	if !eval[bool](b, `!!document.querySelector('#f-dataId') && !document.querySelector('#unavailable')`) {
		t.Fatalf("configuration page: %q", b.text("#page"))
	}

	// Signing out ends the session: the console asks for the token again.
	b.do(chromedp.Click(chromedp.CSS("#logout button")), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.do(chromedp.Navigate(origin+"/console/"), chromedp.WaitVisible(chromedp.CSS("#login-form")))

	b.checkNoOutsideRequests()
}

// checkRefused: without the token the API and the console answer 401.
func checkRefused(t *testing.T, origin string) {
	t.Helper()
	for path, want := range map[string]string{
		"/v1/tracks/service?service=orders": `{"error":"admin token required`,
		"/console/":                         `action="/console/login"`,
		"/console/js/app.js":                `action="/console/login"`,
	} {
		resp, err := http.Get(origin + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), want) {
			t.Fatalf("GET %s without the token: %d %.120s", path, resp.StatusCode, body)
		}
	}
}

// checkOverview compares the overview's cards with /stats.
func checkOverview(t *testing.T, b *browser, d *daemon.Daemon) {
	t.Helper()
	var st struct {
		Connections int               `json:"connections"`
		Pushes      map[string]uint64 `json:"pushes"`
	}
	card := func(id string) map[string]string {
		return eval[map[string]string](b, fmt.Sprintf(`Object.fromEntries(Array.from(document.querySelectorAll('#%s dd')).map(dd => [dd.dataset.key, dd.textContent.trim()]))`, id))
	}
	// The page's /readyz dials the gRPC listener, a connection counted for
	// the moment it is open: render again until the page and /stats agree.
	conns := card("card-connections")
	for range 10 {
		admin(t, d, token, "/stats", nil, &st)
		if conns["connections"] == fmt.Sprint(st.Connections) {
			break
		}
		b.act(chromedp.Click(chromedp.CSS("#nav-overview")))
		conns = card("card-connections")
	}
	subs, pushes, trk, up, ready := card("card-subscriptions"), card("card-pushes"),
		card("card-tracker"), card("card-upstream"), card("card-ready")
	if conns["connections"] != fmt.Sprint(st.Connections) || st.Connections < 5 {
		t.Fatalf("overview connections %v, stats %d", conns, st.Connections)
	}
	if pushes["acked"] != fmt.Sprint(st.Pushes["acked"]) || pushes["timeout"] != fmt.Sprint(st.Pushes["timeout"]) || st.Pushes["timeout"] == 0 {
		t.Fatalf("overview pushes %v, stats %v", pushes, st.Pushes)
	}
	if subs["listeners"] != "0" || subs["subscribedServices"] != "2" { // this gateway serves configuration; nobody listens
		t.Fatalf("overview subscriptions %v", subs)
	}
	if trk["store"] != "up" || trk["backlog"] != "0" || trk["dropped"] != "0" {
		t.Fatalf("overview tracker %v", trk)
	}
	if up["kind"] != "embedded" || up["ready"] != "ready" || ready["readyz"] != "ready" {
		t.Fatalf("overview upstream %v, readiness %v", up, ready)
	}
}

// checkStatus: delivery status of payments, the silent client first.
func checkStatus(t *testing.T, b *browser, d *daemon.Daemon, silentConn string) {
	t.Helper()
	b.act(chromedp.Click(chromedp.CSS("#nav-status")))
	b.act(chromedp.SetValue(chromedp.CSS("#f-service"), "payments"), chromedp.Click(chromedp.CSS("#q-submit")))
	var st struct {
		Pending     int `json:"pending"`
		Subscribers []struct {
			ConnID   string `json:"connectionId"`
			ClientIP string `json:"clientIp"`
			UpToDate bool   `json:"upToDate"`
		} `json:"subscribers"`
	}
	admin(t, d, token, "/v1/status/service", url.Values{"service": {"payments"}}, &st)
	rows := b.rows()
	if len(rows) != 2 || st.Pending != 1 || len(st.Subscribers) != 2 {
		t.Fatalf("status: %d rows %v; API %+v", len(rows), rows, st)
	}
	behind, ok := rows[0].Cells, rows[1].Cells
	if rows[0].Conn != silentConn || behind["col-state"] != "behind" || !strings.ContainsAny(behind["col-behind"], "0123456789") ||
		behind["col-retry"] == "" || !strings.Contains(rows[0].Class, "behind") {
		t.Fatalf("first row is not the silent client %s, behind: %+v", silentConn, rows[0])
	}
	if ok["col-state"] != "up to date" || ok["col-behind"] != "" || ok["col-ip"] == "" || ok["col-inflight"] != "" {
		t.Fatalf("second row is not the SDK client, up to date: %+v", rows[1])
	}
	// With Redis the status answers for the fleet: each row names its gateway.
	for i, r := range rows {
		if r.Cells["col-gateway"] != "console-e2e" {
			t.Fatalf("row %d names gateway %q, want console-e2e: %+v", i, r.Cells["col-gateway"], r)
		}
	}
	if got := b.text("#count-behind"); got != "1 behind" {
		t.Fatalf("status summary: %q", got)
	}
}
