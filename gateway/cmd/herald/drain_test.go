package main

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/gateway/daemon"
)

// TestDrainSubcommand: `herald drain`, configured like the running
// Herald (here its admin address and token by flag and environment),
// drains it and returns once the drain has ended; a wrong token fails.
func TestDrainSubcommand(t *testing.T) {
	const token = "drain-subcommand-token-0123"
	cfg := conf.Default()
	cfg.GRPC.Addr, cfg.HTTP.Addr, cfg.Admin.Addr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.HTTP.UDPAddr = "127.0.0.1:0"
	cfg.Upstream.Embedded.DataDir = t.TempDir()
	cfg.Admin.Token = token
	d, err := daemon.Start(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	admin := d.AdminAddr().String()
	if rc := runDrain([]string{"-admin.addr", admin}, []string{"HERALD_ADMIN_TOKEN=wrong-token-but-long-enough"}); rc != 1 {
		t.Fatalf("drain with a wrong token: exit %d, want 1", rc)
	}
	select {
	case <-d.Done():
		t.Fatal("a refused drain request drained")
	default:
	}
	if rc := runDrain([]string{"-admin.addr", admin}, []string{"HERALD_ADMIN_TOKEN=" + token}); rc != 0 {
		t.Fatalf("drain: exit %d, want 0", rc)
	}
	select {
	case <-d.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("herald drain returned before the drain ended")
	}
}

func TestAdminURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8850": "http://127.0.0.1:8850",
		":8850":          "http://127.0.0.1:8850",
		"0.0.0.0:8850":   "http://127.0.0.1:8850",
		"[::]:8850":      "http://127.0.0.1:8850",
		"herald:8850":    "http://herald:8850",
	} {
		if got := adminURL(addr); got != want {
			t.Errorf("adminURL(%q) = %q, want %q", addr, got, want)
		}
	}
}
