package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway/daemon"
	"github.com/herald-gateway/herald/upstream/nacoslink"
)

// Chained gateways: an edge Herald whose upstream is the Nacos link to a
// core Herald (embedded registry), with real SDK clients on both.

// chained reports whether the suite runs through a chained gateway.
func chained() bool { return os.Getenv("HERALD_E2E_CHAIN") != "" }

// throughChain, when HERALD_E2E_CHAIN is set, turns a Herald with the
// embedded registry into an edge in front of a fresh core, so that every
// end-to-end test runs through a chained gateway (the drop-in claim).
func throughChain(t *testing.T, cfg conf.Config) conf.Config {
	t.Helper()
	if !chained() || cfg.Upstream.Kind != conf.UpstreamEmbedded {
		return cfg
	}
	coreCfg := testConfig(t)
	coreCfg.Node = "core"
	// The core holds the registry: persistent instances and their health
	// checks live there, so it gets the test's embedded settings (a
	// restarted edge with the same config finds the same data directory).
	coreCfg.Upstream.Embedded = cfg.Upstream.Embedded
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	core, err := daemon.Start(coreCfg, log)
	if err != nil {
		t.Fatalf("start core: %v", err)
	}
	t.Cleanup(core.Stop)
	cfg.Upstream.Kind = conf.UpstreamNacos
	cfg.Upstream.Servers = []string{core.GRPCAddr().String()}
	cfg.Upstream.ResyncGrace = 200 * time.Millisecond
	return cfg
}

// awaitChain waits until an edge made by throughChain is connected, so
// that tests start with a working gateway, as they do without the chain.
func awaitChain(t *testing.T, cfg conf.Config, d *daemon.Daemon) {
	t.Helper()
	if chained() && cfg.Upstream.Kind == conf.UpstreamNacos && cfg.Node != "edge" {
		waitUpstreamReady(t, d)
	}
}

// chainWait bounds waits that cross both gateways on a loaded machine.
const chainWait = 20 * time.Second

// edgeConfig is an edge Herald whose upstream is the core at coreAddr.
func edgeConfig(t *testing.T, coreAddr string) conf.Config {
	cfg := testConfig(t)
	cfg.Node = "edge"
	cfg.Upstream.Kind = conf.UpstreamNacos
	cfg.Upstream.Servers = []string{coreAddr}
	cfg.Upstream.ResyncGrace = 2 * time.Second
	cfg.Upstream.Linger = time.Second
	return cfg
}

// startChain starts a core and an edge in front of it.
func startChain(t *testing.T) (core, edge *daemon.Daemon) {
	t.Helper()
	core = startHerald(t, testConfig(t))
	edge = startHerald(t, edgeConfig(t, core.GRPCAddr().String()))
	waitUpstreamReady(t, edge)
	return core, edge
}

// waitUpstreamReady waits until the edge's link is connected and in sync.
func waitUpstreamReady(t *testing.T, edge *daemon.Daemon) {
	t.Helper()
	eventually(t, "edge upstream ready", chainWait, func() error {
		var body struct {
			Ready bool   `json:"ready"`
			Error string `json:"error"`
		}
		if err := adminJSON(edge, "/v1/upstream", &body); err != nil {
			return err
		}
		if !body.Ready {
			return fmt.Errorf("not ready: %s", body.Error)
		}
		return nil
	})
}

// adminJSON GETs path from d's admin API and decodes the JSON body.
func adminJSON(d *daemon.Daemon, path string, v any) error {
	resp, err := http.Get("http://" + d.AdminAddr().String() + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// upstreamStatus is the edge's /v1/upstream link status.
func upstreamStatus(t *testing.T, edge *daemon.Daemon) nacoslink.Status {
	t.Helper()
	var body struct {
		Link *nacoslink.Status `json:"link"`
	}
	if err := adminJSON(edge, "/v1/upstream", &body); err != nil || body.Link == nil {
		t.Fatalf("GET /v1/upstream: %v (link %v)", err, body.Link)
	}
	return *body.Link
}

// coreSubscriptions is (services, subscriptions) held on the core.
func coreSubscriptions(core *daemon.Daemon) (int, int) { return core.Hub().Stats(fanout.KindNaming) }

func TestChainRegistrationsBothWays(t *testing.T) {
	core, edge := startChain(t)
	onEdge, onCore := newClient(t, grpcPort(t, edge), ""), newClient(t, grpcPort(t, core), "")

	// Registered through the edge, seen on the core.
	wc := newWatcher()
	subscribe(t, onCore, wc, vo.SubscribeParam{ServiceName: "chain-up"})
	mustRegister(t, onEdge, instance("chain-up", "10.0.9.1", 1))
	wc.waitFor(t, "edge registration on the core", chainWait, hasAddrs("10.0.9.1:1"))

	// Registered on the core, seen through the edge.
	we := newWatcher()
	subscribe(t, onEdge, we, vo.SubscribeParam{ServiceName: "chain-down"})
	mustRegister(t, onCore, instance("chain-down", "10.0.9.2", 2))
	we.waitFor(t, "core registration through the edge", chainWait, hasAddrs("10.0.9.2:2"))

	// Two edge clients in one service: the core holds both, as one slot.
	other := newClient(t, grpcPort(t, edge), "")
	mustRegister(t, other, instance("chain-up", "10.0.9.3", 3))
	wc.waitFor(t, "both edge registrations on the core", chainWait, hasAddrs("10.0.9.1:1", "10.0.9.3:3"))
	st := upstreamStatus(t, edge)
	if len(st.Registrations) != 1 || st.Registrations[0].Owners != 2 || st.Registrations[0].Instances != 2 {
		t.Fatalf("forwarded registrations = %+v, want chain-up with 2 owners, 2 instances", st.Registrations)
	}
}

func TestChainCoalescesSubscriptions(t *testing.T) {
	const clients, services = 200, 5
	core, edge := startChain(t)
	port := grpcPort(t, edge)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	watchers := make([]*watcher, clients)
	for i := range clients {
		c := newClient(t, port, "")
		w := newWatcher()
		watchers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := vo.SubscribeParam{ServiceName: fmt.Sprintf("coalesce-%d", i%services), SubscribeCallback: w.callback}
			if err := c.Subscribe(&p); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("subscribe through the edge: %v", err)
	}
	eventually(t, "200 local subscriptions on the edge", chainWait, func() error {
		if _, subs := edge.Hub().Stats(fanout.KindNaming); subs != clients {
			return fmt.Errorf("edge holds %d subscriptions", subs)
		}
		return nil
	})
	if svcs, subs := coreSubscriptions(core); svcs != services || subs != services {
		t.Fatalf("core holds %d services / %d subscriptions, want exactly %d / %d", svcs, subs, services, services)
	}
	// One change on the core reaches every edge subscriber of the service
	// through one upstream push.
	before := upstreamStatus(t, edge).Counters.Pushes
	mustRegister(t, newClient(t, grpcPort(t, core), ""), instance("coalesce-0", "10.0.9.10", 10))
	for i := 0; i < clients; i += services {
		watchers[i].waitFor(t, "edge subscriber sees the core change", chainWait, hasAddrs("10.0.9.10:10"))
	}
	if pushes := upstreamStatus(t, edge).Counters.Pushes - before; pushes != 1 {
		t.Fatalf("upstream pushes for one change = %d, want 1", pushes)
	}
}

func TestChainClientDisconnectRemovesInstanceOnCore(t *testing.T) {
	core, edge := startChain(t)
	onEdge := newClient(t, grpcPort(t, edge), "")
	mustRegister(t, onEdge, instance("chain-bye", "10.0.9.4", 4))
	mustRegister(t, newClient(t, grpcPort(t, edge), ""), instance("chain-bye", "10.0.9.5", 5))
	wc := newWatcher()
	subscribe(t, newClient(t, grpcPort(t, core), ""), wc, vo.SubscribeParam{ServiceName: "chain-bye"})
	wc.waitFor(t, "both instances on the core", chainWait, hasAddrs("10.0.9.4:4", "10.0.9.5:5"))
	onEdge.CloseClient()
	wc.waitFor(t, "closed edge client's instance gone from the core", chainWait, hasAddrs("10.0.9.5:5"))
}

func TestChainUnreachableUpstreamIsDegraded(t *testing.T) {
	ln := freeClosedAddr(t)
	edge := startHerald(t, edgeConfig(t, ln))
	resp, err := http.Get("http://" + edge.AdminAddr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "degraded") {
		t.Fatalf("/healthz = %d %s, want 503 degraded", resp.StatusCode, body)
	}
	eventually(t, "connection error reported", chainWait, func() error {
		st := upstreamStatus(t, edge)
		if st.Connection.Connected || st.Connection.LastError == "" || st.Connection.LastError == "not connected yet" {
			return fmt.Errorf("connection = %+v", st.Connection)
		}
		return nil
	})
	// A client gets an error, not an empty list.
	c := newClient(t, grpcPort(t, edge), "")
	if _, err := c.SelectAllInstances(vo.SelectAllInstancesParam{ServiceName: "nowhere"}); err == nil {
		t.Fatal("lookup through an edge without upstream succeeded; want an error, never an empty list")
	}
}

func TestChainMisconfiguredUpstreamIsAConfigError(t *testing.T) {
	cfg := testConfig(t)
	cfg.Upstream.Kind = conf.UpstreamNacos
	cfg.Upstream.Servers = []string{"core-without-port"}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d, err := daemon.Start(cfg, log)
	if err == nil {
		d.Stop()
		t.Fatal("started with upstream.servers [core-without-port]")
	}
	if !strings.Contains(err.Error(), "upstream.servers[0]") {
		t.Fatalf("error %q does not name upstream.servers[0]", err)
	}
}

// freeClosedAddr is a loopback address nothing listens on.
func freeClosedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
