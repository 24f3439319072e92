package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/herald-gateway/herald/gateway/nacostest"
	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/internal/redistest"
)

// subscribed opens a raw session on d subscribed to service fleet.
func subscribed(t *testing.T, d *Daemon) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	cl, err := nacostest.Dial(ctx, d.GRPCAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	if err := cl.Setup(ctx, map[string]string{"module": "naming"}); err != nil {
		t.Fatal(err)
	}
	for {
		m, err := cl.Request(ctx, "SubscribeServiceRequest", map[string]any{"serviceName": "fleet", "subscribe": true})
		if err != nil {
			t.Fatal(err)
		}
		var r nacoswire.Response
		if m.Decode(&r) == nil && r.OK() {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("subscribe: %s", m.Body)
		case <-time.After(10 * time.Millisecond): // the session is set up asynchronously
		}
	}
}

// TestFleetViewAcrossDaemons: two gateways sharing a Redis answer the
// delivery status of a service for both, naming each subscriber's
// gateway, and list each other in /v1/fleet.
func TestFleetViewAcrossDaemons(t *testing.T) {
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
		subscribed(t, d)
	}
	var st struct {
		Subscribers []struct {
			Gateway string `json:"gateway"`
		} `json:"subscribers"`
	}
	var fl fleetAnswer
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body := get(t, ds[0], "/v1/status/service?service=fleet", "")
		err := json.Unmarshal([]byte(body), &st)
		code2, body2 := get(t, ds[1], "/v1/fleet", "")
		err2 := json.Unmarshal([]byte(body2), &fl)
		if code == http.StatusOK && code2 == http.StatusOK && err == nil && err2 == nil &&
			len(st.Subscribers) == 2 && len(fl.Gateways) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fleet view never showed both gateways: status %d %s; fleet %d %s", code, body, code2, body2)
		}
		time.Sleep(50 * time.Millisecond) // entries are published every 100 ms
	}
	if got := fmt.Sprintln(st.Subscribers[0].Gateway, st.Subscribers[1].Gateway); got != "gw-a gw-b\n" {
		t.Errorf("subscribers' gateways %s, want gw-a gw-b", got)
	}
	if !fl.Shared || fl.Node != "gw-b" || fl.Gateways[0].Node != "gw-a" || fl.Connections != 2 {
		t.Errorf("fleet answer %+v", fl)
	}
}
