package console_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/nacos-group/nacos-sdk-go/v2/clients"
	"github.com/nacos-group/nacos-sdk-go/v2/clients/config_client"
	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/gateway/daemon"
	"github.com/herald-gateway/herald/gateway/nacostest"
	"github.com/herald-gateway/herald/internal/redistest"
	"github.com/herald-gateway/herald/tracker"
	"github.com/herald-gateway/herald/upstream"
)

// sdkListenWait bounds what waits for a nacos-sdk-go config listener: its
// first listen comes at its 5 s tick, and it listens again on each push.
const sdkListenWait = 30 * time.Second

// newConfigSDK is an unmodified nacos-sdk-go config client pointed at Herald.
func newConfigSDK(t *testing.T, d *daemon.Daemon) config_client.IConfigClient {
	t.Helper()
	dir, err := os.MkdirTemp(sdkDir, "config-")
	if err != nil {
		t.Fatal(err)
	}
	port := uint64(d.GRPCAddr().(*net.TCPAddr).Port)
	c, err := clients.NewConfigClient(vo.NacosClientParam{
		ClientConfig: &constant.ClientConfig{TimeoutMs: 5000, NotLoadCacheAtStart: true, CacheDir: dir, LogDir: dir,
			LogLevel: "error", AppName: "shop"},
		ServerConfigs: []constant.ServerConfig{{IpAddr: "127.0.0.1", Port: port, GrpcPort: port}},
	})
	if err != nil {
		t.Fatalf("new config client: %v", err)
	}
	t.Cleanup(c.CloseClient)
	return c
}

// waitFor retries f until it returns nil or timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// muteListener is a raw-protocol client listening to dataId with md5
// that never acknowledges a push: a listener that stays behind.
func muteListener(t *testing.T, d *daemon.Daemon, dataID, md5 string) *nacostest.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	c, err := nacostest.Dial(ctx, d.GRPCAddr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Setup(ctx, map[string]string{"source": "sdk", "module": "config"}); err != nil {
		t.Fatalf("setup: %v", err)
	}
	req := map[string]any{"requestId": "", "module": "config", "listen": true, "configListenContexts": []map[string]any{
		{"dataId": dataID, "group": "DEFAULT_GROUP", "tenant": "", "md5": md5}}}
	for {
		m, err := c.Request(ctx, "ConfigBatchListenRequest", req)
		var r struct {
			ResultCode int `json:"resultCode"`
		}
		if err == nil && m.Decode(&r) == nil && r.ResultCode == 200 {
			return c
		}
		select {
		case <-ctx.Done():
			t.Fatalf("listen %s: %v", dataID, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// cfgStatus is the part of /v1/status/config the test reads.
type cfgStatus struct {
	Behind    int `json:"behind"`
	Listeners []struct {
		ConnID   string `json:"connectionId"`
		Md5      string `json:"md5"`
		UpToDate bool   `json:"upToDate"`
	} `json:"listeners"`
}

// TestConsoleConfig opens the configuration pages in headless Chromium
// against Herald on a real redis-server, after publishes made and
// listened to by nacos-sdk-go, and checks what they show against the
// tracker API: the change events with their md5, the timeline and the
// jump from a change to it, the event details, the jump to the client
// IP, and the delivery status with the mute listener first.
func TestConsoleConfig(t *testing.T) {
	rs := redistest.Start(t)
	cfg := conf.Default()
	cfg.Node = "console-config"
	cfg.GRPC.Addr, cfg.HTTP.Addr, cfg.Admin.Addr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.Upstream.Embedded.DataDir = t.TempDir()
	cfg.Tracker.Redis = []string{rs.Addr()}
	cfg.Session.AckTimeout = 300 * time.Millisecond
	cfg.Session.IdleTimeout = 10 * time.Minute
	d, err := daemon.Start(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)

	const dataID = "shop.yaml"
	writer, reader := newConfigSDK(t, d), newConfigSDK(t, d)
	publish := func(content string) string {
		t.Helper()
		if ok, err := writer.PublishConfig(vo.ConfigParam{DataId: dataID, Group: "DEFAULT_GROUP", Content: content, Type: "yaml"}); err != nil || !ok {
			t.Fatalf("publish: %v %v", ok, err)
		}
		return upstream.Md5Hex(content)
	}
	heldBy := func(md5 string, n int) {
		t.Helper()
		waitFor(t, fmt.Sprint(n, " listeners holding ", md5), sdkListenWait, func() error {
			var st cfgStatus
			admin(t, d, "", "/v1/status/config", url.Values{"dataId": {dataID}}, &st)
			if got := slices.IndexFunc(st.Listeners, func(l struct {
				ConnID   string `json:"connectionId"`
				Md5      string `json:"md5"`
				UpToDate bool   `json:"upToDate"`
			}) bool {
				return l.Md5 == md5
			}); got < 0 || len(st.Listeners) < n {
				return fmt.Errorf("status %+v", st)
			}
			return nil
		})
	}
	v1 := publish("stock: 1\n")
	if _, err := reader.GetConfig(vo.ConfigParam{DataId: dataID, Group: "DEFAULT_GROUP"}); err != nil {
		t.Fatal(err)
	}
	if err := reader.ListenConfig(vo.ConfigParam{DataId: dataID, Group: "DEFAULT_GROUP", OnChange: func(_, _, _, _ string) {}}); err != nil {
		t.Fatal(err)
	}
	heldBy(v1, 1)
	v2 := publish("stock: 2\n")
	heldBy(v2, 1)
	mute := muteListener(t, d, dataID, v2)
	heldBy(v2, 2)
	v3 := publish("stock: 3\n")
	heldBy(v3, 2)

	var tr struct {
		Changes []tracker.Record `json:"changes"`
		Records []tracker.Record `json:"records"`
	}
	admin(t, d, "", "/v1/tracks/config", url.Values{"dataId": {dataID}, "limit": {"100"}}, &tr)
	// v1 was published before anyone listened: no feed, no change event.
	if len(tr.Changes) != 2 || tr.Changes[0].Md5 != v3 || tr.Changes[1].Md5 != v2 {
		t.Fatalf("API changes %+v", tr.Changes)
	}
	change2 := tr.Changes[1]

	origin := "http://" + d.AdminAddr().String()
	b := startBrowser(t, origin, zone)
	b.do(chromedp.Navigate(origin+"/console/"), chromedp.WaitReady(chromedp.CSS("html[data-renders]")))
	b.act(chromedp.Click(chromedp.CSS("#nav-config")))
	b.act(chromedp.SetValue(chromedp.CSS("#f-dataId"), dataID), chromedp.Click(chromedp.CSS("#range-1h")),
		chromedp.SetValue(chromedp.CSS("#f-limit"), "100"), chromedp.Click(chromedp.CSS("#q-submit")))

	md5s := eval[[]string](b, `Array.from(document.querySelectorAll('#changes-table tbody tr')).map(tr => tr.querySelector('.col-md5').textContent)`)
	if !slices.Equal(md5s, []string{v3, v2}) {
		t.Fatalf("change events show md5s %q, want %q", md5s, []string{v3, v2})
	}
	// The mute listener's retries may add records while the page loads:
	// the page shows between what the API had before and after it.
	var after struct {
		Records []tracker.Record `json:"records"`
	}
	admin(t, d, "", "/v1/tracks/config", url.Values{"dataId": {dataID}, "limit": {"100"}}, &after)
	dots := eval[int](b, `document.querySelectorAll('#timeline circle.dot').length`)
	if n := eval[int](b, `document.querySelectorAll('#results-table tbody tr').length`); n != dots || n < len(tr.Records) || n > len(after.Records) {
		t.Fatalf("timeline: %d events drawn, %d rows; the API had %d, then %d", dots, n, len(tr.Records), len(after.Records))
	}
	lanes := eval[[]string](b, `Array.from(document.querySelectorAll('#timeline text.lane')).map(t => t.textContent)`)
	for _, want := range []string{"change", "sent", "acked", "served", "reported", "timeout"} {
		if !slices.Contains(lanes, want) {
			t.Fatalf("timeline lanes %q lack %s", lanes, want)
		}
	}
	// A click on a change event marks it in the timeline (chart and row).
	b.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#changes-table tr[data-id=%q] .col-op`, change2.ID))))
	picked := eval[[]string](b, `Array.from(document.querySelectorAll('#results-table tr.picked, #timeline circle.picked')).map(e => e.getAttribute('data-id'))`)
	if len(picked) != 2 || picked[0] != picked[1] {
		t.Fatalf("clicking the change marked %q in the timeline, want its dot and its row", picked)
	}
	if md5 := b.text(fmt.Sprintf(`#results-table tr[data-id=%q] .col-md5 code`, picked[0])); !strings.HasPrefix(v2, md5) || md5 == "" {
		t.Fatalf("the marked timeline row shows md5 %q, want the change's %s", md5, v2)
	}
	b.screenshot("config")

	// Paging through the timeline with the API's cursors: every event once.
	b.act(chromedp.SetValue(chromedp.CSS("#f-limit"), "10"), chromedp.Click(chromedp.CSS("#q-submit")))
	rows, pages := b.allPages()
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.ID] {
			t.Fatalf("timeline event %s on two pages", r.ID)
		}
		seen[r.ID] = true
	}
	if pages < 2 || len(rows) < len(tr.Records) {
		t.Fatalf("paging by 10: %d rows on %d pages; the API had %d", len(rows), pages, len(tr.Records))
	}
	// Nothing found says so and offers the widest preset; a bad name is
	// the API's 400, shown as it came.
	b.act(chromedp.SetValue(chromedp.CSS("#f-dataId"), "nothing.yaml"), chromedp.Click(chromedp.CSS("#range-30m")),
		chromedp.Click(chromedp.CSS("#q-submit")))
	if msg := b.text("#empty"); !strings.Contains(msg, "No changes or pushes recorded for configuration nothing.yaml") || !strings.Contains(msg, "Last 1 day") {
		t.Fatalf("empty result says %q", msg)
	}
	b.act(chromedp.SetValue(chromedp.CSS("#f-dataId"), "bad name"), chromedp.Click(chromedp.CSS("#q-submit")))
	if msg := b.text("#error-message"); !strings.Contains(msg, "dataId") {
		t.Fatalf("a bad dataId: error shown %q", msg)
	}
	b.act(chromedp.SetValue(chromedp.CSS("#f-dataId"), dataID), chromedp.Click(chromedp.CSS("#range-1h")),
		chromedp.SetValue(chromedp.CSS("#f-limit"), "100"), chromedp.Click(chromedp.CSS("#q-submit")))

	// Event details: the change's md5 and what followed it.
	b.act(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#changes-table tr[data-id=%q] a.detail`, change2.ID))))
	var ev struct {
		Following []tracker.Record `json:"following"`
		Counts    map[string]int   `json:"counts"`
	}
	admin(t, d, "", "/v1/tracks/config/event", url.Values{"dataId": {dataID}, "id": {change2.ID}, "limit": {"1000"}}, &ev)
	if got := b.text(`#event-detail dd[data-key=md5]`); got != v2 {
		t.Fatalf("event detail md5 %q, want %s", got, v2)
	}
	if got, want := b.text(`[data-count=acked]`), fmt.Sprint(ev.Counts["acked"], " acked"); got != want || ev.Counts["acked"] == 0 {
		t.Fatalf("event detail counts %q, API %v", got, ev.Counts)
	}
	if n := eval[int](b, `document.querySelectorAll('#results-table tbody tr').length`); n != len(ev.Following) {
		t.Fatalf("event detail: %d rows, API %d", n, len(ev.Following))
	}
	b.screenshot("config-event")

	// From a following event to its client, around that time.
	ip := ev.Following[0].ClientIP
	b.act(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#results-table tr[data-id=%q] .col-ip a`, ev.Following[0].ID))))
	if !eval[bool](b, `document.querySelector('#by-ip').checked && document.querySelector('#range-custom').checked`) {
		t.Fatal("the jump did not switch the form to the client and a custom range")
	}
	held := eval[[]string](b, `Array.from(document.querySelectorAll('#configs-table tbody tr')).map(tr => tr.dataset.config + ' ' + tr.dataset.md5)`)
	// The SDK reports its host's address; the mute raw client is elsewhere.
	if !slices.Equal(held, []string{dataID + " " + v3}) || b.text("#count-behind") != "0 behind" {
		t.Fatalf("client %s: configurations %q (%s), want %s held as %s", ip, held, b.text("#count-behind"), dataID, v3)
	}
	if md5s := eval[[]string](b, `Array.from(document.querySelectorAll('#changes-table tbody tr')).map(tr => tr.dataset.md5)`); !slices.Contains(md5s, v2) {
		t.Fatalf("client %s: change events %q lack %s", ip, md5s, v2)
	}
	b.screenshot("config-ip")

	// Delivery status now: the mute listener first, behind, with the md5 it holds.
	b.act(chromedp.Click(chromedp.CSS("#nav-status")))
	b.act(chromedp.Click(chromedp.CSS("#by-config")), chromedp.SetValue(chromedp.CSS("#f-dataId"), dataID), chromedp.Click(chromedp.CSS("#q-submit")))
	rows = b.rows()
	if len(rows) != 2 || rows[0].Conn != mute.ConnectionID || rows[0].Cells["col-state"] != "behind" ||
		!strings.ContainsAny(rows[0].Cells["col-behind"], "0123456789") || rows[1].Cells["col-state"] != "up to date" {
		t.Fatalf("status rows %+v; want the mute listener %s first, behind", rows, mute.ConnectionID)
	}
	if rows[0].Cells["col-gateway"] != "console-config" || rows[1].Cells["col-gateway"] != "console-config" {
		t.Fatalf("status rows name gateways %q, %q, want console-config (fleet view on Redis)", rows[0].Cells["col-gateway"], rows[1].Cells["col-gateway"])
	}
	if got := b.text("#latest-md5"); got != v3 || b.text("#count-behind") != "1 behind" {
		t.Fatalf("status summary md5 %q, %q", got, b.text("#count-behind"))
	}
	b.screenshot("config-status")

	// The overview counts the listeners (the SDK's and the mute one).
	b.act(chromedp.Click(chromedp.CSS("#nav-overview")))
	var stats struct {
		Listeners int `json:"listeners"`
	}
	admin(t, d, "", "/stats", nil, &stats)
	if got := b.text(`#card-subscriptions dd[data-key=listeners]`); got != fmt.Sprint(stats.Listeners) || stats.Listeners != 2 {
		t.Fatalf("overview listeners %q, /stats %d; want 2", got, stats.Listeners)
	}
	b.checkNoOutsideRequests()
}
