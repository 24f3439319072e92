package daemon

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/herald-gateway/herald/gateway/nacostest"
	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/internal/redistest"
	"github.com/herald-gateway/herald/upstream"
)

// listening opens a raw session on d listening to dataId fleet.yaml with
// md5 "" (it holds nothing), and never acknowledges a notification.
func listening(t *testing.T, d *Daemon) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	cl, err := nacostest.Dial(ctx, d.GRPCAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	if err := cl.Setup(ctx, map[string]string{"module": "config"}); err != nil {
		t.Fatal(err)
	}
	listen := map[string]any{"listen": true, "configListenContexts": []map[string]string{
		{"dataId": "fleet.yaml", "group": "DEFAULT_GROUP", "tenant": "", "md5": ""}}}
	for {
		m, err := cl.Request(ctx, nacoswire.TypeConfigBatchListenRequest, listen)
		if err != nil {
			t.Fatal(err)
		}
		var r nacoswire.Response
		if m.Decode(&r) == nil && r.OK() {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("listen: %s", m.Body)
		case <-time.After(10 * time.Millisecond): // the session is set up asynchronously
		}
	}
}

// TestFleetConfigStatusAcrossDaemons: a configuration listened to only on
// gw-b and changed there is answered by gw-a's /v1/status/config: the
// listener, named with its gateway, behind the md5 of the change (which
// gw-a learns from the shared change stream).
func TestFleetConfigStatusAcrossDaemons(t *testing.T) {
	srv := redistest.Start(t)
	var ds []*Daemon
	for _, node := range []string{"gw-a", "gw-b"} {
		cfg := tokenConfig(t)
		cfg.Node, cfg.Tracker.Redis = node, []string{srv.Addr()}
		cfg.Fleet.ViewInterval = 100 * time.Millisecond
		d, err := Start(cfg, quiet())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Stop)
		ds = append(ds, d)
	}
	listening(t, ds[1])
	key := upstream.ConfigKey{Namespace: "public", Group: "DEFAULT_GROUP", DataID: "fleet.yaml"}
	st, err := ds[1].backend.config.PublishConfig(context.Background(), upstream.ConfigPublish{Key: key, Content: "v: 1"})
	if err != nil {
		t.Fatal(err)
	}
	want := st.Md5For("")
	var got struct {
		Md5       string `json:"md5"`
		Behind    int    `json:"behind"`
		Listeners []struct {
			Gateway  string `json:"gateway"`
			Md5      string `json:"md5"`
			UpToDate bool   `json:"upToDate"`
		} `json:"listeners"`
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body := get(t, ds[0], "/v1/status/config?dataId=fleet.yaml", "")
		err := json.Unmarshal([]byte(body), &got)
		if code == http.StatusOK && err == nil && got.Md5 == want && len(got.Listeners) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gw-a never answered for gw-b's listener: %d %s", code, body)
		}
		time.Sleep(50 * time.Millisecond) // entries are published every 100 ms, records batched
	}
	l := got.Listeners[0]
	if l.Gateway != "gw-b" || l.Md5 != "" || l.UpToDate || got.Behind != 1 {
		t.Fatalf("gw-b's listener shown as %+v (behind %d), want on gw-b, holding nothing, behind", l, got.Behind)
	}
}
