package daemon

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/herald-gateway/herald/gateway/nacostest"
	"github.com/herald-gateway/herald/internal/nacoswire"
)

// post POSTs an admin path and returns the status and body.
func post(t *testing.T, d *Daemon, path string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+d.AdminAddr().String()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// movingClient is a raw session that leaves when told to move; reset
// is closed on its ConnectResetRequest.
func movingClient(t *testing.T, d *Daemon) (reset <-chan struct{}) {
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
	ch := make(chan struct{})
	go func() {
		for {
			m, err := cl.Recv()
			if err != nil {
				return
			}
			var r nacoswire.Request
			if m.Decode(&r) == nil && m.Type == nacoswire.TypeConnectResetRequest {
				_ = cl.Ack(nacoswire.TypeConnectResetResponse, r.RequestID)
				close(ch)
				cl.Close()
				return
			}
		}
	}()
	for { // the session exists once a request is served
		m, err := cl.Request(ctx, "HealthCheckRequest", nacoswire.Internal(""))
		if err != nil {
			t.Fatal(err)
		}
		var resp nacoswire.Response
		if m.Decode(&resp) == nil && resp.OK() {
			return ch
		}
		select {
		case <-ctx.Done():
			t.Fatalf("session never set up: %s", m.Body)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func awaitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(15 * time.Second):
		t.Fatalf("no %s", what)
	}
}

// TestShedAndDrainAPI: POST /v1/shed refuses bad requests with a clear
// error and moves the connections asked for; POST /v1/drain?wait=true
// drains, marks the gateway not ready and ends with Done.
func TestShedAndDrainAPI(t *testing.T) {
	cfg := tokenConfig(t)
	cfg.Fleet.DrainWindow = 0
	d, err := Start(cfg, quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	for _, tc := range []struct{ query, want string }{
		{"", "exactly one of count"},
		{"?count=1&share=0.5", "exactly one of count"},
		{"?count=0", "count: want a whole number >= 1"},
		{"?share=1.5", "share: want a number with 0 < share <= 1"},
		{"?count=1&window=forever", "window: want a duration"},
	} {
		code, body := post(t, d, "/v1/shed"+tc.query)
		var e apiError
		if err := json.Unmarshal([]byte(body), &e); code != http.StatusBadRequest || err != nil || !strings.Contains(e.Error, tc.want) {
			t.Errorf("shed%s: %d %s, want 400 with %q", tc.query, code, body, tc.want)
		}
	}
	shed := movingClient(t, d)
	code, body := post(t, d, "/v1/shed?share=1&window=0s")
	if code != http.StatusAccepted || !strings.Contains(body, `"shedding":1`) {
		t.Fatalf("shed: %d %s", code, body)
	}
	awaitClosed(t, shed, "ConnectResetRequest after the shed")

	drained := movingClient(t, d)
	code, body = post(t, d, "/v1/drain?wait=true")
	if code != http.StatusOK {
		t.Fatalf("drain: %d %s", code, body)
	}
	var ans struct {
		Done   bool                `json:"done"`
		Report struct{ Moved int } `json:"report"`
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil || !ans.Done || ans.Report.Moved < 1 {
		t.Fatalf("drain answer %s (%v)", body, err)
	}
	awaitClosed(t, drained, "ConnectResetRequest during the drain")
	awaitClosed(t, d.Done(), "Done after the drain")
	if code, body := get(t, d, "/readyz", ""); code != http.StatusServiceUnavailable || !strings.Contains(body, "draining") {
		t.Fatalf("readyz after a drain: %d %s", code, body)
	}
	if code, body := post(t, d, "/v1/shed?count=1"); code != http.StatusConflict {
		t.Fatalf("shed while draining: %d %s", code, body)
	}
}
