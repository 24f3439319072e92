package gateway

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway/nacostest"
	"github.com/herald-gateway/herald/upstream"
)

// serverWait bounds every wait in the server tests; generous for a
// loaded machine.
const serverWait = 15 * time.Second

// startTestServer runs a gRPC endpoint on a free loopback port with the
// given transport and message limit until the test ends.
func startTestServer(t *testing.T, transport string, limit int, log *slog.Logger) *Server {
	t.Helper()
	reg := upstream.NewEmbedded()
	t.Cleanup(func() { reg.Close() })
	hub, err := fanout.NewHub(reg, fanout.Options{})
	if err != nil {
		t.Fatalf("hub: %v", err)
	}
	t.Cleanup(hub.Close)
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	s, err := New(Options{Addr: "127.0.0.1:0", Transport: transport, MaxMessageBytes: limit, Logger: log}, reg, hub)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// dialRaw opens a raw Nacos connection (ServerCheck answered).
func dialRaw(t *testing.T, s *Server) *nacostest.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), serverWait)
	defer cancel()
	c, err := nacostest.Dial(ctx, s.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestTransportsServe proves both transports serve unary calls through
// the guard.
func TestTransportsServe(t *testing.T) {
	for _, tr := range []string{TransportNetpoll, TransportGonet} {
		t.Run(tr, func(t *testing.T) {
			s := startTestServer(t, tr, 1<<20, nil)
			c := dialRaw(t, s)
			if c.ConnectionID == "" {
				t.Fatal("ServerCheck returned no connectionId")
			}
		})
	}
}
