package daemon

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/upstream"
)

// unsynced is a registry that reports itself out of sync, as a Nacos link
// that lost its server would.
type unsynced struct{ upstream.Registry }

func (unsynced) Ready() error { return errors.New("nacos link down") }

func startTest(t *testing.T) *Daemon {
	t.Helper()
	cfg := conf.Default()
	cfg.GRPC.Addr, cfg.HTTP.Addr, cfg.Admin.Addr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.Upstream.Embedded.DataDir = t.TempDir()
	d, err := Start(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	return d
}

// getReady GETs /readyz and decodes it.
func getReady(t *testing.T, d *Daemon) (int, readiness) {
	t.Helper()
	resp, err := http.Get("http://" + d.AdminAddr().String() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r readiness
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("readyz body: %v", err)
	}
	return resp.StatusCode, r
}

// /readyz is 200 while Herald can take clients and 503 with the reason
// when its registry is out of sync or its gRPC listener is gone; /livez
// and /healthz stay 200.
func TestReadiness(t *testing.T) {
	d := startTest(t)
	if code, r := getReady(t, d); code != http.StatusOK || !r.Ready || len(r.Reasons) != 0 {
		t.Fatalf("ready herald: %d %+v", code, r)
	}
	// The same gRPC endpoint, behind a registry out of sync.
	probe := &Daemon{grpc: d.grpc, reg: unsynced{d.reg}}
	reasons := probe.notReady(t.Context())
	if len(reasons) != 1 || reasons[0] != "upstream: nacos link down" {
		t.Fatalf("unsynced registry: reasons %q", reasons)
	}
	d.grpc.Stop()
	code, r := getReady(t, d)
	if code != http.StatusServiceUnavailable || len(r.Reasons) != 1 || !strings.HasPrefix(r.Reasons[0], "grpc listener: not accepting") {
		t.Fatalf("stopped grpc listener: %d %+v", code, r)
	}
	for _, path := range []string{"/livez", "/healthz"} {
		resp, err := http.Get("http://" + d.AdminAddr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
}
