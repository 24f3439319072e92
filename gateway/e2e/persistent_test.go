package e2e

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/clients/naming_client"
	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/gateway/daemon"
	"github.com/herald-gateway/herald/upstream"
)

// persistentWait bounds waits on probe-driven pushes on a loaded machine.
const persistentWait = 20 * time.Second

// probedConfig is testConfig with fast health checks: a probe every 100ms,
// unhealthy on the first failure.
func probedConfig(t *testing.T) conf.Config {
	cfg := testConfig(t)
	h := &cfg.Upstream.Embedded.HealthCheck
	h.Interval, h.Timeout, h.Failures = 100*time.Millisecond, 2*time.Second, 1
	return cfg
}

// serveTCP listens on addr ("127.0.0.1:0" for a free port), accepting and
// closing connections until the listener is closed. A port just released
// may take a moment to be free again, so Listen is retried.
func serveTCP(t *testing.T, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	eventually(t, "listen on "+addr, wait, func() (err error) {
		ln, err = net.Listen("tcp", addr)
		return err
	})
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln
}

func persistentBody(service, typ string, instance map[string]any) map[string]any {
	return with(naming(service, ""), "type", typ, "instance", instance)
}

func persistentInstance(port int) map[string]any {
	return map[string]any{"ip": "127.0.0.1", "port": port, "weight": 1, "healthy": true, "enabled": true, "ephemeral": false}
}

// health returns a predicate true when the only instance is ip:port with
// the wanted health.
func health(addr string, healthy bool) func([]model.Instance) bool {
	return func(ins []model.Instance) bool {
		return len(ins) == 1 && fmt.Sprintf("%s:%d", ins[0].Ip, ins[0].Port) == addr && ins[0].Healthy == healthy
	}
}

// A persistent instance registered over gRPC is probed: its port closing
// is pushed to an SDK subscriber as healthy=false, reopening as
// healthy=true; it survives a Herald restart; mixing an ephemeral
// registration into its service is refused with 400.
func TestPersistentInstanceLifecycle(t *testing.T) {
	cfg := probedConfig(t)
	d := startHerald(t, cfg)
	ln := serveTCP(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	port := ln.Addr().(*net.TCPAddr).Port
	raw := dialSetUp(t, d.GRPCAddr().String())
	if _, err := expectOK(raw, "PersistentInstanceRequest", persistentBody("persist", "registerInstance", persistentInstance(port))); err != nil {
		t.Fatalf("register persistent: %v", err)
	}
	// The raw connection going away does not take the instance with it.
	raw.Close()

	sdk := newClient(t, grpcPort(t, d), "")
	w := newWatcher()
	subscribe(t, sdk, w, vo.SubscribeParam{ServiceName: "persist"})
	w.waitFor(t, "healthy persistent instance", persistentWait, health(addr, true))
	if last, _ := w.snapshot(); last[0].Ephemeral {
		t.Fatalf("persistent instance pushed with ephemeral=true: %+v", last[0])
	}

	ln.Close()
	w.waitFor(t, "healthy=false after the port closed", persistentWait, health(addr, false))
	serveTCP(t, addr)
	w.waitFor(t, "healthy=true after the port reopened", persistentWait, health(addr, true))

	checkMixingRefused(t, d.GRPCAddr().String(), sdk)

	d.Stop()
	second := startHerald(t, cfg) // same data directory, new ports
	svc, err := newClient(t, grpcPort(t, second), "").GetService(vo.GetServiceParam{ServiceName: "persist"})
	if err != nil {
		t.Fatalf("query after restart: %v", err)
	}
	if got := addrs(svc.Hosts); got != "["+addr+"]" || svc.Hosts[0].Ephemeral {
		t.Fatalf("after restart: %s (%+v), want the persistent instance %s", got, svc.Hosts, addr)
	}

	// Only an explicit deregister removes it.
	raw = dialSetUp(t, second.GRPCAddr().String())
	if _, err := expectOK(raw, "PersistentInstanceRequest", persistentBody("persist", "deregisterInstance", persistentInstance(port))); err != nil {
		t.Fatalf("deregister persistent: %v", err)
	}
	// Through a chain the edge's view follows the core's push (and a drop
	// to zero is held for the resync grace), so wait for it.
	eventually(t, "persistent instance gone after deregister", wait, func() error {
		snap, err := second.Gateway().Registry().Query(t.Context(), key("persist"))
		if err != nil || len(snap.Instances) != 0 {
			return fmt.Errorf("%d instances, err %v", len(snap.Instances), err)
		}
		return nil
	})
}

// checkMixingRefused registers an ephemeral instance into the persistent
// service, raw (errorCode 400 with a message) and through the SDK (an
// error).
func checkMixingRefused(t *testing.T, grpcAddr string, sdk naming_client.INamingClient) {
	t.Helper()
	raw := dialSetUp(t, grpcAddr)
	m, r := call(t, raw, "InstanceRequest", with(naming("persist", ""), "type", "registerInstance", "instance", goodInstance()))
	if r.ErrorCode != 400 || !strings.Contains(r.Message, "persistent") {
		t.Fatalf("ephemeral into persistent service: %s %s, want errorCode 400 naming the conflict", m.Type, m.Body)
	}
	if ok, err := sdk.RegisterInstance(instance("persist", "10.9.9.9", 80)); err == nil || ok {
		t.Fatalf("SDK ephemeral register into persistent service: ok=%v err=%v, want an error", ok, err)
	}
}

// Malformed PersistentInstanceRequests are answered with errorCode 400 and
// a message naming the problem; the connection and the server carry on.
func TestPersistentInstanceBadInput(t *testing.T) {
	d := startHerald(t, testConfig(t))
	c := dialSetUp(t, d.GRPCAddr().String())
	withMeta := func(md map[string]string) map[string]any {
		in := persistentInstance(8080)
		in["metadata"] = md
		return in
	}
	cases := []struct {
		name      string
		body      map[string]any
		wantInMsg string
	}{
		{"missing instance", with(naming("p", ""), "type", "registerInstance"), "instance"},
		{"unknown type", persistentBody("p", "explode", persistentInstance(8080)), "explode"},
		{"bad port", persistentBody("p", "registerInstance", persistentInstance(0)), "port"},
		{"bad port on deregister", persistentBody("p", "deregisterInstance", persistentInstance(70000)), "port"},
		{"missing ip", persistentBody("p", "registerInstance", map[string]any{"port": 80}), "ip"},
		{"bad service name", persistentBody("bad@@name", "registerInstance", persistentInstance(8080)), "serviceName"},
		{"bad checker", persistentBody("p", "registerInstance", withMeta(map[string]string{"preserved.health.checker": "icmp"})), "preserved.health.checker"},
		{"bad health path", persistentBody("p", "registerInstance", withMeta(map[string]string{"preserved.health.path": "x"})), "preserved.health.path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, r := call(t, c, "PersistentInstanceRequest", tc.body)
			if m.Type != "ErrorResponse" || r.ErrorCode != 400 || r.Success {
				t.Fatalf("got %s %s, want ErrorResponse errorCode 400", m.Type, m.Body)
			}
			if !strings.Contains(r.Message, tc.wantInMsg) {
				t.Fatalf("message %q does not mention %q", r.Message, tc.wantInMsg)
			}
		})
	}
	snap, err := d.Gateway().Registry().Query(t.Context(), key("p"))
	if err != nil || len(snap.Instances) != 0 {
		t.Fatalf("bad input stored something: %d instances, err %v", len(snap.Instances), err)
	}
	if _, err := expectOK(c, "HealthCheckRequest", map[string]any{}); err != nil {
		t.Fatalf("connection unusable after bad input: %v", err)
	}
}

// A data file that cannot be parsed stops the start with an error naming
// the file and the setting; it is never silently dropped.
func TestCorruptDataFileStopsStart(t *testing.T) {
	cfg := testConfig(t)
	path := filepath.Join(cfg.Upstream.Embedded.DataDir, upstream.SnapshotFileName)
	if err := os.WriteFile(path, []byte(`{"version": 1, "services": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := daemon.Start(cfg, slog.New(slog.DiscardHandler))
	if err == nil {
		d.Stop()
		t.Fatal("Herald started on a corrupt data file")
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "upstream.embedded.dataDir") {
		t.Fatalf("start error %q does not name %s and the setting", err, path)
	}
}
