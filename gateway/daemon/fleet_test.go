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

// hopper is a raw session that, told to move, opens a new session on
// the next address and closes the old one (as the SDK does).
func hopper(t *testing.T, addrs []string, at int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	cl, err := nacostest.Dial(ctx, addrs[at])
	if err == nil {
		err = cl.Setup(ctx, map[string]string{"module": "naming"})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	go func() {
		for {
			m, err := cl.Recv()
			if err != nil {
				return
			}
			var r nacoswire.Request
			if m.Decode(&r) == nil && m.Type == nacoswire.TypeConnectResetRequest {
				_ = cl.Ack(nacoswire.TypeConnectResetResponse, r.RequestID)
				hopper(t, addrs, (at+1)%len(addrs))
				cl.Close()
				return
			}
		}
	}()
}

// TestAutoShedToFairShare: with fleet.autoShed, a gateway holding all
// of the fleet's connections sheds a few per view interval until it is
// within its fair-share tolerance, and the fleet settles there.
func TestAutoShedToFairShare(t *testing.T) {
	srv := redistest.Start(t)
	var ds []*Daemon
	for _, node := range []string{"gw-a", "gw-b"} {
		cfg := tokenConfig(t)
		cfg.Node, cfg.Tracker.Redis = node, []string{srv.Addr()}
		cfg.Fleet.ViewInterval, cfg.Fleet.AutoShed = 100*time.Millisecond, true
		d, err := Start(cfg, quiet())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Stop)
		ds = append(ds, d)
	}
	addrs := []string{ds[0].GRPCAddr().String(), ds[1].GRPCAddr().String()}
	for range 10 {
		hopper(t, addrs, 0)
	}
	// 10 connections, fair share 5, tolerance 2: gw-a sheds one per
	// interval down to 7.
	deadline := time.Now().Add(20 * time.Second)
	for {
		a, _ := ds[0].Gateway().Stats()
		b, _ := ds[1].Gateway().Stats()
		if a == 7 && b == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("connections %d on gw-a, %d on gw-b; want 7 and 3", a, b)
		}
		time.Sleep(20 * time.Millisecond) // shedding is paced by the view interval
	}
	time.Sleep(500 * time.Millisecond) // five more intervals: nothing more may move
	if a, _ := ds[0].Gateway().Stats(); a != 7 {
		t.Fatalf("gw-a went on shedding within its tolerance: %d", a)
	}
}
