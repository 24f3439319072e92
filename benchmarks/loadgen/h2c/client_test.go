package h2c_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herald-gateway/herald/benchmarks/loadgen"
	"github.com/herald-gateway/herald/benchmarks/loadgen/h2c"
	"github.com/herald-gateway/herald/gateway/nacostest"
)

// buildHerald builds Herald from this repository.
func buildHerald(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	root, err := loadgen.FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "herald")
	if err := loadgen.BuildHerald(ctx, root, bin, false); err != nil {
		t.Fatal(err)
	}
	return bin
}

// startHerald starts bin on transport.
func startHerald(t *testing.T, bin, transport string) *loadgen.Herald {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	h, err := loadgen.StartHerald(ctx, bin, t.TempDir(), []string{"-grpc.transport", transport}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	return h
}

// setUp opens the session, serves its stream with h and waits until
// Herald has registered it.
func setUp(t *testing.T, c *h2c.Client, h func(nacostest.Message) error) {
	t.Helper()
	if err := c.Setup(t.Context(), map[string]string{"module": "naming"}); err != nil {
		t.Fatal(err)
	}
	go c.Serve(h)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		m, err := c.Request(ctx, "HealthCheckRequest", map[string]any{"requestId": "", "module": "internal"})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(m.Body), `"errorCode":301`) {
			return
		}
		time.Sleep(5 * time.Millisecond) // the setup has no reply: poll until registered
	}
}

type reply struct {
	ResultCode int    `json:"resultCode"`
	Content    string `json:"content"`
	Message    string `json:"message"`
}

func call(t *testing.T, c *h2c.Client, typ string, body any) reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	m, err := c.Request(ctx, typ, body)
	if err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	var r reply
	if err := json.Unmarshal(m.Body, &r); err != nil || r.ResultCode != 200 {
		t.Fatalf("%s: reply %.200s (%v)", typ, m.Body, err)
	}
	return r
}

// TestMessagesLargerThanTheWindows: a 300 KiB config is published (the
// client's DATA waits for the server's window updates) and read back
// (the client returns its own windows as the response arrives), intact,
// over both transports, while a smaller call shares the connection.
func TestMessagesLargerThanTheWindows(t *testing.T) {
	bin := buildHerald(t)
	for _, tr := range []string{"netpoll", "event"} {
		t.Run(tr, func(t *testing.T) {
			h := startHerald(t, bin, tr)
			c, err := h2c.Dial(t.Context(), h.GRPCAddr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			call(t, c, "ServerCheckRequest", map[string]any{"requestId": "", "module": "internal"})
			setUp(t, c, func(nacostest.Message) error { return nil })
			content := strings.Repeat("0123456789abcdef", 300<<10/16)
			key := map[string]any{"module": "config", "dataId": "big", "group": "DEFAULT_GROUP"}
			publish := map[string]any{"content": content}
			for k, v := range key {
				publish[k] = v
			}
			done := make(chan reply, 1)
			go func() { done <- call(t, c, "ConfigPublishRequest", publish) }()
			call(t, c, "ServerCheckRequest", map[string]any{"requestId": "", "module": "internal"})
			<-done
			for i := range 3 {
				if got := call(t, c, "ConfigQueryRequest", key).Content; got != content {
					t.Fatalf("query %d: %d bytes back, want %d intact", i, len(got), len(content))
				}
			}
		})
	}
}

// dial opens a connection and runs ServerCheck.
func dial(t *testing.T, h *loadgen.Herald) *h2c.Client {
	t.Helper()
	c, err := h2c.Dial(t.Context(), h.GRPCAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	call(t, c, "ServerCheckRequest", map[string]any{"requestId": "", "module": "internal"})
	return c
}

// TestPushLargerThanTheWindows: a push of 400 instances (well over the
// 16 KiB frame and the 64 KiB windows) reaches the stream handler whole,
// over both transports, and the client acknowledges it.
func TestPushLargerThanTheWindows(t *testing.T) {
	const n = 400
	bin := buildHerald(t)
	for _, tr := range []string{"netpoll", "event"} {
		t.Run(tr, func(t *testing.T) {
			h := startHerald(t, bin, tr)
			sub := dial(t, h)
			hosts := make(chan int, 8)
			setUp(t, sub, func(m nacostest.Message) error {
				var req struct {
					RequestID   string `json:"requestId"`
					ServiceInfo struct {
						Hosts []struct {
							Port int `json:"port"`
						} `json:"hosts"`
					} `json:"serviceInfo"`
				}
				if err := json.Unmarshal(m.Body, &req); err != nil {
					return fmt.Errorf("%s: %w", m.Type, err)
				}
				hosts <- len(req.ServiceInfo.Hosts)
				return sub.Send("NotifySubscriberResponse", map[string]any{"requestId": req.RequestID, "resultCode": 200, "success": true})
			})
			service := map[string]any{"module": "naming", "namespace": "public", "groupName": "DEFAULT_GROUP", "serviceName": "big"}
			subscribe := map[string]any{"subscribe": true, "clusters": ""}
			for k, v := range service {
				subscribe[k] = v
			}
			call(t, sub, "SubscribeServiceRequest", subscribe)

			pub := dial(t, h)
			setUp(t, pub, func(nacostest.Message) error { return nil })
			instances := make([]map[string]any, n)
			for i := range instances {
				instances[i] = map[string]any{"ip": "10.1.2.3", "port": 1000 + i, "weight": 1, "healthy": true,
					"enabled": true, "ephemeral": true, "clusterName": "DEFAULT", "metadata": map[string]string{"zone": "zone-a-with-a-long-name"}}
			}
			batch := map[string]any{"type": "batchRegisterInstance", "instances": instances}
			for k, v := range service {
				batch[k] = v
			}
			call(t, pub, "BatchInstanceRequest", batch)
			deadline := time.After(20 * time.Second)
			for {
				select {
				case got := <-hosts:
					if got == n {
						return
					}
				case <-deadline:
					t.Fatalf("no push of %d instances arrived", n)
				}
			}
		})
	}
}
