package daemon

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/herald-gateway/herald/conf"
)

// A second Herald on a data directory in use refuses to start, naming the
// setting and the holder; once the first stops, the directory is free.
func TestDataDirInUseRefused(t *testing.T) {
	first := startTest(t)
	cfg := conf.Default()
	cfg.GRPC.Addr, cfg.HTTP.Addr, cfg.Admin.Addr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.Upstream.Embedded.DataDir = first.cfg.Upstream.Embedded.DataDir
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if d, err := Start(cfg, quiet); err == nil {
		d.Stop()
		t.Fatal("a second Herald started on a data directory in use")
	} else if !strings.Contains(err.Error(), "upstream.embedded.dataDir") || !strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("refusal %q does not name the setting, the conflict and the holder", err)
	}
	first.Stop()
	d, err := Start(cfg, quiet)
	if err != nil {
		t.Fatalf("start after the first stopped: %v", err)
	}
	d.Stop()
}
