// Built without -race only: a Herald restart makes the SDK reconnect, and
// the SDK has a data race of its own on reconnect (see restart_test.go).

//go:build !race

package e2e

import (
	"fmt"
	"testing"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"
)

// A config listener carries on across a Herald restart: the content was
// persisted (a new client reads it from the restarted Herald), and the
// listener, reconnected by the SDK, hears a change made after the restart.
// Through a chained edge the core is what restarts, behind the edge.
func TestConfigListenerAcrossRestart(t *testing.T) {
	cfg := testConfig(t)
	if chained() {
		testConfigListenerAcrossCoreRestart(t)
		return
	}
	first := startHerald(t, cfg)
	port := grpcPort(t, first)
	c := newConfigClient(t, port, "")
	mustPublish(t, c, vo.ConfigParam{DataId: "restart.yaml", Group: "DEFAULT_GROUP", Content: "gen: 1\n"})
	w := newConfigWatch()
	listen(t, c, "DEFAULT_GROUP", "restart.yaml", w)
	w.waitFor(t, "gen: 1\n", chainWait) // the SDK's first listen comes at its 5 s tick

	first.Stop()
	second := restartOn(t, cfg, fmt.Sprintf("127.0.0.1:%d", port))
	if got := mustGet(t, newConfigClient(t, port, ""), "DEFAULT_GROUP", "restart.yaml"); got != "gen: 1\n" {
		t.Fatalf("after the restart the content is %q, want the persisted gen: 1", got)
	}
	writer := newConfigClient(t, grpcPort(t, second), "")
	mustPublish(t, writer, vo.ConfigParam{DataId: "restart.yaml", Group: "DEFAULT_GROUP", Content: "gen: 2\n"})
	w.waitFor(t, "gen: 2\n", chainWait)
}

// testConfigListenerAcrossCoreRestart: an edge client listens; the core
// behind the edge is stopped (the edge keeps serving the cached content)
// and restarted on its port with its data; a change on the new core
// reaches the edge client.
func testConfigListenerAcrossCoreRestart(t *testing.T) {
	coreCfg := testConfig(t)
	core := startCore(t, coreCfg)
	coreAddr := core.GRPCAddr().String()
	edge := startHerald(t, edgeConfig(t, coreAddr))
	waitUpstreamReady(t, edge)
	mustPublish(t, newConfigClient(t, grpcPort(t, core), ""), vo.ConfigParam{DataId: "core.yaml", Group: "DEFAULT_GROUP", Content: "gen: 1\n"})
	onEdge := newConfigClient(t, grpcPort(t, edge), "")
	w := newConfigWatch()
	listen(t, onEdge, "DEFAULT_GROUP", "core.yaml", w)
	w.waitFor(t, "gen: 1\n", chainWait)

	core.Stop()
	eventually(t, "edge reports the upstream down", chainWait, func() error {
		if st := upstreamStatus(t, edge); st.Connection.Connected {
			return fmt.Errorf("still connected")
		}
		return nil
	})
	// The edge keeps the last known content for its listeners and readers.
	if got := mustGet(t, onEdge, "DEFAULT_GROUP", "core.yaml"); got != "gen: 1\n" {
		t.Fatalf("with the core down the edge serves %q, want the cached gen: 1", got)
	}
	core2 := restartOn(t, coreCfg, coreAddr)
	waitUpstreamReady(t, edge)
	mustPublish(t, newConfigClient(t, grpcPort(t, core2), ""), vo.ConfigParam{DataId: "core.yaml", Group: "DEFAULT_GROUP", Content: "gen: 2\n"})
	w.waitFor(t, "gen: 2\n", chainWait)
	if last, _ := w.last(); last == "" {
		t.Fatal("the edge listener was told the config vanished")
	}
}
