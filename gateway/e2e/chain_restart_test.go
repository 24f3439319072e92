// Built without -race only: the core restart makes the core-side SDK
// client reconnect, and the SDK has a data race of its own on reconnect
// (see restart_test.go). The link itself is -race tested in
// upstream/nacoslink.

//go:build !race

package e2e

import (
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway/daemon"
)

// history records every callback's list, to prove none was empty.
type history struct {
	*watcher
	mu    sync.Mutex
	sizes []int
}

func newHistory() *history { return &history{watcher: newWatcher()} }

func (h *history) callback(ins []model.Instance, err error) {
	if err == nil {
		h.mu.Lock()
		h.sizes = append(h.sizes, len(ins))
		h.mu.Unlock()
	}
	h.watcher.callback(ins, err)
}

// emptyCalls counts callbacks that carried no instances.
func (h *history) emptyCalls() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, s := range h.sizes {
		if s == 0 {
			n++
		}
	}
	return n
}

// restartOn starts a Herald with cfg on addr, retrying the bind briefly
// while the previous process's port is released.
func restartOn(t *testing.T, cfg conf.Config, addr string) *daemon.Daemon {
	t.Helper()
	cfg.GRPC.Addr = addr
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var d *daemon.Daemon
	eventually(t, "core restarted on "+addr, chainWait, func() error {
		var err error
		d, err = daemon.Start(cfg, log)
		return err
	})
	t.Cleanup(d.Stop)
	return d
}

func TestChainCoreKilledAndRestarted(t *testing.T) {
	coreCfg := testConfig(t)
	core := startHerald(t, coreCfg)
	coreAddr := core.GRPCAddr().String()
	edge := startHerald(t, edgeConfig(t, coreAddr))
	waitUpstreamReady(t, edge)

	onCore := newClient(t, grpcPort(t, core), "")
	onEdge := newClient(t, grpcPort(t, edge), "")
	mustRegister(t, onCore, instance("survive", "10.0.9.20", 20))
	mustRegister(t, onEdge, instance("survive", "10.0.9.21", 21))
	h := newHistory()
	p := vo.SubscribeParam{ServiceName: "survive", SubscribeCallback: h.callback}
	if err := newClient(t, grpcPort(t, edge), "").Subscribe(&p); err != nil {
		t.Fatal(err)
	}
	h.waitFor(t, "both instances through the edge", chainWait, hasAddrs("10.0.9.20:20", "10.0.9.21:21"))

	// Core killed: the edge notices, and its clients keep their lists.
	core.Stop()
	eventually(t, "edge reports the upstream down", chainWait, func() error {
		if st := upstreamStatus(t, edge); st.Connection.Connected {
			return fmt.Errorf("still connected")
		}
		return nil
	})
	time.Sleep(3 * time.Second) // longer than the resync grace: a held drop would have been released
	if n := h.emptyCalls(); n != 0 {
		t.Fatalf("edge subscriber got %d empty pushes while the core was down", n)
	}
	if last, _ := h.snapshot(); addrs(last) != "[10.0.9.20:20 10.0.9.21:21]" {
		t.Fatalf("edge subscriber's list changed to %s while the core was down", addrs(last))
	}

	// Core restarted on the same port: registrations and subscriptions
	// come back, and clients converge to the truth.
	core2 := restartOn(t, coreCfg, coreAddr)
	waitUpstreamReady(t, edge)
	eventually(t, "edge registration redone on the new core", chainWait, func() error {
		snap, err := core2.Gateway().Registry().Query(t.Context(), key("survive"))
		if err != nil {
			return err
		}
		if len(snap.Instances) != 2 {
			return fmt.Errorf("core holds %d instances, want the edge's and the core client's", len(snap.Instances))
		}
		return nil
	})
	eventually(t, "edge subscription redone on the new core", chainWait, func() error {
		if svcs, _ := core2.Hub().Stats(fanout.KindNaming); svcs < 1 {
			return fmt.Errorf("core holds no subscription")
		}
		return nil
	})
	mustRegister(t, newClient(t, grpcPort(t, core2), ""), instance("survive", "10.0.9.22", 22))
	h.waitFor(t, "new core's truth through the edge", chainWait, hasAddrs("10.0.9.20:20", "10.0.9.21:21", "10.0.9.22:22"))
	if n := h.emptyCalls(); n != 0 {
		t.Fatalf("edge subscriber got %d empty pushes across the restart", n)
	}
}
