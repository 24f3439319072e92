package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding/gzip"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway/nacostest"
	"github.com/herald-gateway/herald/gateway/transport/h2test"
	"github.com/herald-gateway/herald/upstream"
)

// serverWait bounds every wait in the server tests; generous for a
// loaded machine.
const serverWait = 15 * time.Second

// startTestServer runs a gRPC endpoint on a free loopback port with the
// given transport and message limit until the test ends.
func startTestServer(t *testing.T, transport string, limit int, log *slog.Logger) *Server {
	t.Helper()
	return startServerWith(t, Options{Transport: transport, MaxMessageBytes: limit, Logger: log}, fanout.Options{})
}

// startServerWith runs a gRPC endpoint with opts (on a free loopback port)
// over an embedded registry and a hub built with hubOpts.
func startServerWith(t *testing.T, opts Options, hubOpts fanout.Options) *Server {
	t.Helper()
	reg := upstream.NewEmbedded()
	t.Cleanup(func() { reg.Close() })
	hub, err := fanout.NewHub(fanout.NamingSource(reg), hubOpts)
	if err != nil {
		t.Fatalf("hub: %v", err)
	}
	t.Cleanup(hub.Close)
	opts.Addr = "127.0.0.1:0"
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	s, err := New(opts, reg, hub)
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
func dialRaw(t *testing.T, s *Server, opts ...grpc.DialOption) *nacostest.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), serverWait)
	defer cancel()
	c, err := nacostest.Dial(ctx, s.Addr().String(), opts...)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestTransportsServe proves both transports serve unary calls through
// the guard.
func TestTransportsServe(t *testing.T) {
	for _, tr := range []string{TransportNetpoll, TransportGonet, TransportEvent} {
		t.Run(tr, func(t *testing.T) {
			s := startTestServer(t, tr, 1<<20, nil)
			c := dialRaw(t, s)
			if c.ConnectionID == "" {
				t.Fatal("ServerCheck returned no connectionId")
			}
		})
	}
}

// logBuffer collects log lines from the server under test.
type logBuffer struct {
	mu  sync.Mutex // mu protects buf
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// pingServer proves a raw client's connection still works.
func pingServer(t *testing.T, c *nacostest.Client) error {
	ctx, cancel := context.WithTimeout(t.Context(), serverWait)
	defer cancel()
	_, err := c.Request(ctx, "ServerCheckRequest", map[string]any{"requestId": "", "module": "internal"})
	return err
}

// sendOversize opens a raw HTTP/2 connection, waits for the server's
// SETTINGS (the transport is up), then starts a unary call whose gRPC
// prefix declares 2 GB, followed by a few body bytes.
func sendOversize(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, serverWait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	if _, err := nc.Write(h2test.New(t).Bytes()); err != nil {
		t.Fatalf("write preface: %v", err)
	}
	if err := nc.SetReadDeadline(time.Now().Add(serverWait)); err != nil {
		t.Fatal(err)
	}
	if f, err := http2.NewFramer(io.Discard, nc).ReadFrame(); err != nil || f.Header().Type != http2.FrameSettings {
		t.Fatalf("server's first frame: %v, %v", f, err)
	}
	b := h2test.Frames(t).Headers(1, false).Data(1, false, h2test.GRPCMsg(2<<30, []byte("payload")))
	if _, err := nc.Write(b.Bytes()); err != nil {
		t.Fatalf("write: %v", err)
	}
	return nc
}

// awaitClosed reads until the server closes nc.
func awaitClosed(t *testing.T, nc net.Conn) {
	t.Helper()
	if err := nc.SetReadDeadline(time.Now().Add(serverWait)); err != nil {
		t.Fatal(err)
	}
	_, err := io.Copy(io.Discard, nc)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v", serverWait)
	}
}

// TestOversizeMessageDropsOnlyItsConnection: a client declaring a 2 GB
// message is dropped with a warn log naming it and the size; another
// client's connection keeps working, and the dropped one is released.
func TestOversizeMessageDropsOnlyItsConnection(t *testing.T) {
	for _, tr := range []string{TransportNetpoll, TransportGonet, TransportEvent} {
		t.Run(tr, func(t *testing.T) {
			logs := &logBuffer{}
			s := startTestServer(t, tr, 1<<20, slog.New(slog.NewTextHandler(logs, nil)))
			good := dialRaw(t, s)
			bad := sendOversize(t, s.Addr().String())
			awaitClosed(t, bad)
			for _, want := range []string{"level=WARN", "remote=" + bad.LocalAddr().String(), "size=2147483648"} {
				if !strings.Contains(logs.String(), want) {
					t.Fatalf("log lacks %q:\n%s", want, logs.String())
				}
			}
			if err := pingServer(t, good); err != nil {
				t.Fatalf("other connection broken: %v", err)
			}
			awaitConns(t, s, 1)
		})
	}
}

// awaitConns waits until the server holds want connections.
func awaitConns(t *testing.T, s *Server, want int) {
	t.Helper()
	deadline := time.Now().Add(serverWait)
	for {
		n, _ := s.Stats()
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections, want %d", n, want)
		}
		time.Sleep(20 * time.Millisecond) // polling; the assertion is the deadline
	}
}

// TestGzipBombRefused: a 1 KiB message inflating to 64 MiB is refused
// with an error on its call; gzip within the limit works on the same
// connection.
func TestGzipBombRefused(t *testing.T) {
	for _, tr := range []string{TransportNetpoll, TransportGonet, TransportEvent} {
		t.Run(tr, func(t *testing.T) {
			// Compressing 64 MiB takes the client a while on a loaded
			// machine: the rule that closes a connection with no session
			// after IdleTimeout is not what this test is about.
			s := startServerWith(t, Options{Transport: tr, MaxMessageBytes: 1 << 20, IdleTimeout: 2 * time.Minute}, fanout.Options{})
			c := dialRaw(t, s, grpc.WithDefaultCallOptions(grpc.UseCompressor(gzip.Name)))
			ctx, cancel := context.WithTimeout(t.Context(), 4*serverWait) // the client compresses 64 MiB first
			defer cancel()
			bomb := bytes.Repeat([]byte(" "), 64<<20)
			if m, err := c.Request(ctx, "ServerCheckRequest", bomb); err == nil {
				t.Fatalf("bomb answered: %s %s", m.Type, m.Body)
			} else if !strings.Contains(err.Error(), "limit") {
				t.Fatalf("bomb error %v does not name the limit", err)
			}
			if err := pingServer(t, c); err != nil {
				t.Fatalf("gzip call within the limit: %v", err)
			}
		})
	}
}

// TestIdleConnectionOutlivesKitexTimeout: a connection silent for longer
// than Kitex's 5 s read-write timeout still works (the guard must not
// leave netpoll's per-read timeout or a gonet read deadline in place).
func TestIdleConnectionOutlivesKitexTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 6 s")
	}
	for _, tr := range []string{TransportNetpoll, TransportGonet, TransportEvent} {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			s := startTestServer(t, tr, 1<<20, nil)
			c := dialRaw(t, s)
			select {
			case <-time.After(6 * time.Second):
			case <-t.Context().Done():
			}
			if err := pingServer(t, c); err != nil {
				t.Fatalf("idle connection broken: %v", err)
			}
		})
	}
}
