package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/clients"
	"github.com/nacos-group/nacos-sdk-go/v2/clients/naming_client"
	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/gateway/daemon"
	"github.com/herald-gateway/herald/gateway/nacostest"
	"github.com/herald-gateway/herald/tracker"
)

// wait bounds each wait for Herald or an SDK callback.
const wait = 10 * time.Second

// sdkDir holds the SDK's cache and logs for the whole run (its logger is
// global and outlives single tests).
var sdkDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "herald-console-sdk-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sdkDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// newSDK is an unmodified nacos-sdk-go naming client pointed at Herald.
func newSDK(t *testing.T, d *daemon.Daemon, app string) naming_client.INamingClient {
	t.Helper()
	dir, err := os.MkdirTemp(sdkDir, "client-")
	if err != nil {
		t.Fatal(err)
	}
	port := uint64(d.GRPCAddr().(*net.TCPAddr).Port)
	c, err := clients.NewNamingClient(vo.NacosClientParam{
		ClientConfig: &constant.ClientConfig{TimeoutMs: 5000, NotLoadCacheAtStart: true, UpdateCacheWhenEmpty: true,
			CacheDir: dir, LogDir: dir, LogLevel: "error", AppName: app},
		ServerConfigs: []constant.ServerConfig{{IpAddr: "127.0.0.1", Port: port, GrpcPort: port}},
	})
	if err != nil {
		t.Fatalf("new naming client: %v", err)
	}
	t.Cleanup(c.CloseClient)
	return c
}

// watcher records the instance lists a subscribe callback is given.
type watcher struct {
	// mu protects last.
	mu      sync.Mutex
	last    []model.Instance
	changed chan struct{} // buffered 1: a wake-up after each callback
}

func subscribe(t *testing.T, c naming_client.INamingClient, service string) *watcher {
	t.Helper()
	w := &watcher{changed: make(chan struct{}, 1)}
	err := c.Subscribe(&vo.SubscribeParam{ServiceName: service, SubscribeCallback: func(ins []model.Instance, err error) {
		if err != nil {
			return
		}
		w.mu.Lock()
		w.last = append([]model.Instance(nil), ins...)
		w.mu.Unlock()
		select {
		case w.changed <- struct{}{}:
		default:
		}
	}})
	if err != nil {
		t.Fatalf("subscribe %s: %v", service, err)
	}
	return w
}

// waitCount waits until the latest callback lists n instances.
func (w *watcher) waitCount(t *testing.T, n int) {
	t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		got := len(w.last)
		w.mu.Unlock()
		if got == n {
			return
		}
		select {
		case <-w.changed:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %d instances; the last callback had %d", n, got)
		}
	}
}

// registerN makes reg's instances of service exactly n (10.3.0.1..n), in
// one batch: one change, one push per subscriber.
func registerN(t *testing.T, c naming_client.INamingClient, service string, n int) {
	t.Helper()
	var ins []vo.RegisterInstanceParam
	for i := 1; i <= n; i++ {
		ins = append(ins, vo.RegisterInstanceParam{ServiceName: service, Ip: fmt.Sprintf("10.3.0.%d", i), Port: 8080,
			Weight: 1, Enable: true, Healthy: true, Ephemeral: true})
	}
	ok, err := c.BatchRegisterInstance(vo.BatchRegisterInstanceParam{ServiceName: service, Instances: ins})
	if err != nil || !ok {
		t.Fatalf("register %d instances of %s: ok=%v err=%v", n, service, ok, err)
	}
}

// silentSubscriber is a raw-protocol client that subscribes to service
// and never acknowledges a push: a client that is behind.
func silentSubscriber(t *testing.T, d *daemon.Daemon, service string) *nacostest.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	c, err := nacostest.Dial(ctx, d.GRPCAddr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Setup(ctx, map[string]string{"source": "sdk", "module": "naming"}); err != nil {
		t.Fatalf("setup: %v", err)
	}
	req := map[string]any{"requestId": "", "module": "naming", "namespace": "", "serviceName": service,
		"groupName": "DEFAULT_GROUP", "clusters": "", "subscribe": true}
	// ConnectionSetup has no reply; retry the subscribe until the session exists.
	for {
		m, err := c.Request(ctx, "SubscribeServiceRequest", req)
		var r struct {
			ResultCode int `json:"resultCode"`
		}
		if err == nil && m.Decode(&r) == nil && r.ResultCode == 200 {
			return c
		}
		select {
		case <-ctx.Done():
			t.Fatalf("subscribe %s: %v (last reply %s)", service, err, m.Body)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// admin calls the admin API with the bearer token and decodes the JSON
// answer into out.
func admin(t *testing.T, d *daemon.Daemon, token, path string, q url.Values, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+d.AdminAddr().String()+path+"?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s %v", path, resp.StatusCode, body, err)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// tracks is every record of a query (up to 1000), newest first.
func tracks(t *testing.T, d *daemon.Daemon, token, path string, q url.Values) []tracker.Record {
	t.Helper()
	q.Set("limit", "1000")
	var page tracker.Page
	admin(t, d, token, path, q, &page)
	return page.Records
}

// eventually retries f until it returns nil or wait passes (for state
// that only the admin API shows, such as a record being written).
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func quietLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
