package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway/nacostest"
	"github.com/herald-gateway/herald/upstream"
)

func cfgBody(dataID, group string) map[string]any {
	return map[string]any{"requestId": "", "module": "config", "dataId": dataID, "group": group, "tenant": ""}
}

func listenBody(ctxs ...map[string]any) map[string]any {
	return map[string]any{"requestId": "", "module": "config", "listen": true, "configListenContexts": ctxs}
}

func listenCtx(dataID, group, md5 string) map[string]any {
	return map[string]any{"dataId": dataID, "group": group, "tenant": "", "md5": md5}
}

// Bad config input is answered with a clear error naming what is wrong,
// in the request's own response type, and the connection stays usable.
func TestConfigBadInputAnsweredInBand(t *testing.T) {
	cfg := testConfig(t)
	cfg.Config.MaxContentBytes = 64 << 10
	d := startHerald(t, cfg)
	c := dialSetUp(t, d.GRPCAddr().String())
	tooMany := make([]map[string]any, 10001)
	for i := range tooMany {
		tooMany[i] = listenCtx(fmt.Sprintf("k%d", i), "DEFAULT_GROUP", "")
	}
	cases := []struct {
		name, typ string
		body      any
		code      int
		want      string
	}{
		{"invalid dataId", "ConfigPublishRequest", with(cfgBody("bad id/x", "DEFAULT_GROUP"), "content", "x"), 400, "dataId"},
		{"invalid group", "ConfigQueryRequest", cfgBody("ok.yaml", "bad group!"), 400, "group"},
		{"blank dataId", "ConfigRemoveRequest", cfgBody("", "DEFAULT_GROUP"), 400, "dataId"},
		{"empty content", "ConfigPublishRequest", with(cfgBody("empty.yaml", "DEFAULT_GROUP"), "content", ""), 400, "content"},
		{"oversize content", "ConfigPublishRequest", with(cfgBody("big.yaml", "DEFAULT_GROUP"), "content", strings.Repeat("x", 64<<10+1)), 400, "content"},
		{"bad beta ip", "ConfigPublishRequest", with(cfgBody("beta.yaml", "DEFAULT_GROUP"), "content", "x",
			"additionMap", map[string]string{"betaIps": "not-an-ip"}), 400, "betaIps"},
		{"bad listen key", "ConfigBatchListenRequest", listenBody(listenCtx("ok", "DEFAULT_GROUP", ""), listenCtx("b@d", "DEFAULT_GROUP", "")), 400, "configListenContexts[1]"},
		{"too many listen keys", "ConfigBatchListenRequest", listenBody(tooMany...), 400, "at most 10000"},
		{"not json", "ConfigQueryRequest", []byte("{not json"), 502, "not valid JSON"},
	}
	for _, tc := range cases {
		_, r := call(t, c, tc.typ, tc.body)
		if r.ResultCode != 500 || r.ErrorCode != tc.code || !strings.Contains(r.Message, tc.want) {
			t.Errorf("%s: got %+v, want errorCode %d naming %q", tc.name, r, tc.code, tc.want)
		}
	}
	// Nothing was stored, and the connection still works.
	m, r := call(t, c, "ConfigQueryRequest", cfgBody("big.yaml", "DEFAULT_GROUP"))
	if m.Type != "ConfigQueryResponse" || r.ErrorCode != 300 {
		t.Fatalf("query of a refused publish: %s %+v, want ConfigQueryResponse errorCode 300 (not found)", m.Type, r)
	}
	// A listen for keys that do not exist is in sync: nothing changed.
	m, r = call(t, c, "ConfigBatchListenRequest", listenBody(listenCtx("nothing.yaml", "DEFAULT_GROUP", "")))
	var resp struct {
		ChangedConfigs []any `json:"changedConfigs"`
	}
	if err := m.Decode(&resp); err != nil || r.ResultCode != 200 || len(resp.ChangedConfigs) != 0 {
		t.Fatalf("listen to an unknown key: %+v %+v %v; want success with no changes", r, resp, err)
	}
}

// A client that never acknowledges config pushes is retried a bounded
// number of times with the backoff, never disconnected, and another
// listener of the same key is not delayed.
func TestConfigNeverAckingListener(t *testing.T) {
	cfg := testConfig(t)
	cfg.Config.PushMaxAttempts = 3
	cfg.Fanout.RetryBase = 100 * time.Millisecond
	cfg.Fanout.RetryMax = 200 * time.Millisecond
	cfg.Session.AckTimeout = 300 * time.Millisecond
	d := startHerald(t, cfg)
	mute := dialSetUp(t, d.GRPCAddr().String())
	if _, err := expectOK(mute, "ConfigBatchListenRequest", listenBody(listenCtx("mute.yaml", "DEFAULT_GROUP", ""))); err != nil {
		t.Fatal(err)
	}
	writer := newConfigClient(t, grpcPort(t, d), "")
	fast := newConfigClient(t, grpcPort(t, d), "")
	w := newConfigWatch()
	listen(t, fast, "DEFAULT_GROUP", "mute.yaml", w)
	eventually(t, "both listeners subscribed", chainWait, func() error {
		if _, subs := d.Hub().Stats(fanout.KindConfig); subs < 2 {
			return fmt.Errorf("%d listeners", subs)
		}
		return nil
	})
	mustPublish(t, writer, vo.ConfigParam{DataId: "mute.yaml", Group: "DEFAULT_GROUP", Content: "v: 1"})
	w.waitFor(t, "v: 1", wait)
	// The mute client gets exactly PushMaxAttempts notifications.
	got := 0
	deadline := time.Now().Add(5 * time.Second)
	for got < 3 {
		m := recvUntil(t, mute, deadline)
		if m.Type == "ConfigChangeNotifyRequest" {
			got++
		}
	}
	if m, ok := recvWithin(mute, time.Second); ok && m.Type == "ConfigChangeNotifyRequest" {
		t.Fatalf("a 4th notification arrived; retries must stop at 3")
	}
	if _, err := expectOK(mute, "HealthCheckRequest", map[string]any{"requestId": ""}); err != nil {
		t.Fatalf("the mute client's connection was closed: %v", err)
	}
	if n := d.Hub().Counts()["dropped"]; n != 1 {
		t.Errorf("dropped pushes %d, want the one given up", n)
	}
}

// recvUntil reads the next server message before deadline.
func recvUntil(t *testing.T, c *nacostest.Client, deadline time.Time) nacostest.Message {
	t.Helper()
	m, ok := recvWithin(c, time.Until(deadline))
	if !ok {
		t.Fatal("no server message before the deadline")
	}
	return m
}

// recvWithin reads the next server message, or reports none within d.
func recvWithin(c *nacostest.Client, d time.Duration) (nacostest.Message, bool) {
	type got struct {
		m   nacostest.Message
		err error
	}
	ch := make(chan got, 1)
	go func() {
		m, err := c.Recv()
		ch <- got{m, err}
	}()
	select {
	case g := <-ch:
		return g.m, g.err == nil
	case <-time.After(d):
		return nacostest.Message{}, false
	}
}

// Coalescing: 100 clients on an edge listening to one key make one upstream
// listen for it on the core, and each change costs the edge one upstream
// query, whatever the number of its clients.
func TestConfigEdgeCoalesces(t *testing.T) {
	core := startCore(t, testConfig(t))
	edge := startCore(t, edgeConfig(t, core.GRPCAddr().String()))
	waitUpstreamReady(t, edge)
	coreWriter := newConfigClient(t, grpcPort(t, core), "")
	mustPublish(t, coreWriter, vo.ConfigParam{DataId: "shared.json", Group: "DEFAULT_GROUP", Content: `{"gen":1}`})
	const clients = 100
	fleet := startListenerProcesses(t, grpcPort(t, edge), 5, clients/5, "DEFAULT_GROUP", "shared.json")
	fleet.waitAll(t, `{"gen":1}`, chainWait)
	topic := fanout.ConfigTopic(upstream.ConfigKey{DataID: "shared.json"}.Normalize())
	if st := core.Hub().Status(topic); len(st.Subscribers) != 1 {
		t.Fatalf("the core has %d listeners of the key, want the edge's one", len(st.Subscribers))
	}
	if st := edge.Hub().Status(topic); len(st.Subscribers) != clients {
		t.Fatalf("the edge has %d listeners, want %d", len(st.Subscribers), clients)
	}
	before := upstreamStatus(t, edge).Counters.ConfigQueries
	for gen := 2; gen <= 4; gen++ {
		content := fmt.Sprintf(`{"gen":%d}`, gen)
		mustPublish(t, coreWriter, vo.ConfigParam{DataId: "shared.json", Group: "DEFAULT_GROUP", Content: content})
		fleet.waitAll(t, content, chainWait)
	}
	if got := upstreamStatus(t, edge).Counters.ConfigQueries - before; got != 3 {
		t.Fatalf("the edge sent %d upstream queries for 3 changes heard by %d clients, want 3", got, clients)
	}
	if st := core.Hub().Status(topic); len(st.Subscribers) != 1 {
		t.Fatalf("after the changes the core has %d listeners of the key, want 1", len(st.Subscribers))
	}
}
