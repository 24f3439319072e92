// Package e2e drives Herald, started in-process on free loopback ports,
// with the real Nacos Go SDK (nacos-sdk-go v2.3.2).
package e2e

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/clients"
	"github.com/nacos-group/nacos-sdk-go/v2/clients/naming_client"
	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/nacos-group/nacos-sdk-go/v2/util"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/gateway/daemon"
	"github.com/herald-gateway/herald/upstream"
)

// sdkDir holds the SDK's cache and logs for the whole run: the SDK's
// global logger outlives single tests.
var sdkDir string

func TestMain(m *testing.M) {
	// nacos-sdk-go fills its local IP lazily, unlocked, the first time a
	// client asks (util.LocalIP): clients starting side by side race on
	// it (the race detector says so). Fill it once before any client.
	util.LocalIP()
	if os.Getenv(listenerProcessEnv) != "" {
		os.Exit(runListenerProcess())
	}
	dir, err := os.MkdirTemp("", "herald-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sdkDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testConfig is Herald on free loopback ports with test-friendly timings.
func testConfig(t *testing.T) conf.Config {
	t.Helper()
	cfg := conf.Default()
	cfg.Node = "e2e"
	cfg.GRPC.Addr = "127.0.0.1:0"
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Admin.Addr = "127.0.0.1:0"
	// Persistent instances go to a directory of the test's own, never the repo.
	cfg.Upstream.Embedded.DataDir = t.TempDir()
	if tr := os.Getenv("HERALD_E2E_TRANSPORT"); tr != "" {
		cfg.GRPC.Transport = tr // the whole suite over another gRPC transport
	}
	return cfg
}

// startHerald runs Herald until the test ends (through a chained gateway
// when HERALD_E2E_CHAIN is set, see throughChain).
func startHerald(t *testing.T, cfg conf.Config) *daemon.Daemon {
	t.Helper()
	return startDaemon(t, throughChain(t, cfg))
}

// startCore runs Herald with cfg as it is, never through a chain: a core
// that a test stops and restarts on its own data directory.
func startCore(t *testing.T, cfg conf.Config) *daemon.Daemon {
	t.Helper()
	return startDaemon(t, cfg)
}

func startDaemon(t *testing.T, cfg conf.Config) *daemon.Daemon {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d, err := daemon.Start(cfg, log)
	if err != nil {
		t.Fatalf("start herald: %v", err)
	}
	var once sync.Once
	stop := func() { once.Do(d.Stop) }
	t.Cleanup(stop)
	awaitChain(t, cfg, d)
	return d
}

// grpcPort is the port of Herald's gRPC listener.
func grpcPort(t *testing.T, d *daemon.Daemon) uint64 {
	t.Helper()
	return uint64(d.GRPCAddr().(*net.TCPAddr).Port)
}

// newClient is an unmodified SDK naming client pointed at Herald.
func newClient(t *testing.T, port uint64, namespace string) naming_client.INamingClient {
	t.Helper()
	dir, err := os.MkdirTemp(sdkDir, "client-")
	if err != nil {
		t.Fatal(err)
	}
	cc := constant.ClientConfig{
		NamespaceId:          namespace,
		TimeoutMs:            5000,
		NotLoadCacheAtStart:  true,
		UpdateCacheWhenEmpty: true,
		CacheDir:             dir,
		LogDir:               dir,
		LogLevel:             "error",
		AppName:              "e2e",
	}
	sc := []constant.ServerConfig{{IpAddr: "127.0.0.1", Port: port, GrpcPort: port}}
	c, err := clients.NewNamingClient(vo.NacosClientParam{ClientConfig: &cc, ServerConfigs: sc})
	if err != nil {
		t.Fatalf("new naming client: %v", err)
	}
	t.Cleanup(c.CloseClient)
	return c
}

// instance is a register parameter with every field an SDK user sets.
func instance(service, ip string, port uint64) vo.RegisterInstanceParam {
	return vo.RegisterInstanceParam{
		ServiceName: service, Ip: ip, Port: port,
		Weight: 1, Enable: true, Healthy: true, Ephemeral: true,
	}
}

func mustRegister(t *testing.T, c naming_client.INamingClient, p vo.RegisterInstanceParam) {
	t.Helper()
	ok, err := c.RegisterInstance(p)
	if err != nil || !ok {
		t.Fatalf("register %s %s:%d: ok=%v err=%v", p.ServiceName, p.Ip, p.Port, ok, err)
	}
}

// watcher records what a subscribe callback is given.
type watcher struct {
	mu      sync.Mutex
	changed chan struct{}
	last    []model.Instance
	calls   int
}

func newWatcher() *watcher { return &watcher{changed: make(chan struct{}, 1)} }

func (w *watcher) callback(services []model.Instance, err error) {
	if err != nil {
		return
	}
	w.mu.Lock()
	w.last = append([]model.Instance(nil), services...)
	w.calls++
	w.mu.Unlock()
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

func (w *watcher) snapshot() ([]model.Instance, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last, w.calls
}

// waitFor blocks until the latest callback satisfies ok, or fails the
// test after timeout.
func (w *watcher) waitFor(t *testing.T, what string, timeout time.Duration, ok func([]model.Instance) bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if last, _ := w.snapshot(); ok(last) {
			return
		}
		select {
		case <-w.changed:
		case <-deadline.C:
			last, _ := w.snapshot()
			t.Fatalf("timed out after %v waiting for %s; last callback had %s", timeout, what, addrs(last))
		}
	}
}

// addrs lists instances as sorted "ip:port".
func addrs(ins []model.Instance) string {
	out := make([]string, 0, len(ins))
	for _, in := range ins {
		out = append(out, fmt.Sprintf("%s:%d", in.Ip, in.Port))
	}
	sort.Strings(out)
	return "[" + strings.Join(out, " ") + "]"
}

// hasAddrs returns a predicate true when the instances are exactly want.
func hasAddrs(want ...string) func([]model.Instance) bool {
	sort.Strings(want)
	s := "[" + strings.Join(want, " ") + "]"
	return func(ins []model.Instance) bool { return addrs(ins) == s }
}

// eventually retries f until it returns nil or the timeout passes.
func eventually(t *testing.T, what string, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s: %v", timeout, what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// key is a service in the public namespace and default group.
func key(name string) upstream.ServiceKey {
	return upstream.ServiceKey{Name: name}.Normalize()
}

// subscribe subscribes w and waits for the callback that the subscribe
// response itself triggers. The SDK's cache update is check-then-act
// (ServiceInfoHolder.ProcessService), so a push racing the response can be
// overwritten by the older response; tests change the service only after
// the response has been applied.
func subscribe(t *testing.T, c naming_client.INamingClient, w *watcher, p vo.SubscribeParam) *vo.SubscribeParam {
	t.Helper()
	p.SubscribeCallback = w.callback
	if err := c.Subscribe(&p); err != nil {
		t.Fatalf("subscribe %s: %v", p.ServiceName, err)
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		if _, calls := w.snapshot(); calls > 0 {
			return &p
		}
		select {
		case <-w.changed:
		case <-deadline.C:
			t.Fatalf("no callback for the subscribe response of %s", p.ServiceName)
		}
	}
}
