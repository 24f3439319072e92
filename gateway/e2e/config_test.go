package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// The Go config client publishes, reads, listens, sees a change and sees
// the removal as empty content.
func TestConfigPublishGetListenDelete(t *testing.T) {
	d := startHerald(t, testConfig(t))
	port := grpcPort(t, d)
	writer := newConfigClient(t, port, "")
	reader := newConfigClient(t, port, "")
	p := vo.ConfigParam{DataId: "app.yaml", Group: "DEFAULT_GROUP", Content: "a: 1\n", Type: "yaml"}
	mustPublish(t, writer, p)
	if got := mustGet(t, reader, p.Group, p.DataId); got != p.Content {
		t.Fatalf("get = %q, want %q", got, p.Content)
	}
	w := newConfigWatch()
	listen(t, reader, p.Group, p.DataId, w)
	// nacos-sdk-go's first listen of a new key waits for its 5 s listen
	// loop: the change may be learnt then, not pushed.
	p.Content = "a: 2\n"
	mustPublish(t, writer, p)
	w.waitFor(t, "a: 2\n", chainWait)
	ok, err := writer.DeleteConfig(vo.ConfigParam{DataId: p.DataId, Group: p.Group})
	if err != nil || !ok {
		t.Fatalf("delete: ok=%v err=%v", ok, err)
	}
	w.waitFor(t, "", chainWait)
	if got, err := reader.GetConfig(vo.ConfigParam{DataId: p.DataId, Group: p.Group}); err != nil || got != "" {
		t.Fatalf("get after delete = %q, %v; want empty", got, err)
	}
}

// Content goes through byte for byte.
func TestConfigContentFidelity(t *testing.T) {
	d := startHerald(t, testConfig(t))
	c := newConfigClient(t, grpcPort(t, d), "")
	cases := map[string]string{
		"cjk":      "名字: 张三\n城市: 北京\n",
		"emoji":    "status: 🚀✅ done 👩‍💻\n",
		"crlf":     "a=1\r\nb=2\r\n",
		"tabs":     "\tkey:\tvalue\t\n",
		"leading":  "   leading spaces\n",
		"trailing": "trailing newline\n\n",
		"large":    strings.Repeat("0123456789abcdef", 1<<16), // 1 MiB
	}
	for name, content := range cases {
		dataID := "fidelity." + name
		mustPublish(t, c, vo.ConfigParam{DataId: dataID, Group: "DEFAULT_GROUP", Content: content})
		if got := mustGet(t, c, "DEFAULT_GROUP", dataID); got != content {
			t.Errorf("%s: got %d bytes %q, want %d bytes %q", name, len(got), abbrev(got), len(content), abbrev(content))
		}
	}
}

// Naming and config clients of one application start cleanly against
// Herald: a read of a config that does not exist is empty, not an error,
// and neither SDK logs an error or an unknown request type.
func TestConfigAndNamingClientsStartCleanly(t *testing.T) {
	d := startHerald(t, testConfig(t))
	port := grpcPort(t, d)
	logDir := t.TempDir()
	naming := newClientIn(t, port, "", logDir)
	cfg := newConfigClientIn(t, port, "", logDir)
	if got, err := cfg.GetConfig(vo.ConfigParam{DataId: "absent.properties", Group: "DEFAULT_GROUP"}); err != nil || got != "" {
		t.Fatalf("get of an absent config = %q, %v; want empty and no error", got, err)
	}
	mustRegister(t, naming, instance("clean", "10.0.0.1", 80))
	if !naming.ServerHealthy() {
		t.Fatal("naming client reports the server unhealthy")
	}
	assertNoSDKErrors(t, logDir)
}

// The same dataId in two groups of two namespaces and the public one
// holds five contents; every client reads and hears only its own.
func TestConfigGroupNamespaceIsolation(t *testing.T) {
	d := startHerald(t, testConfig(t))
	port := grpcPort(t, d)
	type slot struct{ ns, group string }
	slots := []slot{{"", "G1"}, {"ns-a", "G1"}, {"ns-a", "G2"}, {"ns-b", "G1"}, {"ns-b", "G2"}}
	clients := map[slot]struct {
		c interface {
			PublishConfig(vo.ConfigParam) (bool, error)
		}
		w *configWatch
	}{}
	for _, sl := range slots {
		c := newConfigClient(t, port, sl.ns)
		mustPublish(t, c, vo.ConfigParam{DataId: "shared.yaml", Group: sl.group, Content: "v1 " + sl.ns + "/" + sl.group})
		w := newConfigWatch()
		listen(t, c, sl.group, "shared.yaml", w)
		clients[sl] = struct {
			c interface {
				PublishConfig(vo.ConfigParam) (bool, error)
			}
			w *configWatch
		}{c, w}
	}
	for _, sl := range slots {
		reader := newConfigClient(t, port, sl.ns)
		if got, want := mustGet(t, reader, sl.group, "shared.yaml"), "v1 "+sl.ns+"/"+sl.group; got != want {
			t.Errorf("%s/%s reads %q, want %q", sl.ns, sl.group, got, want)
		}
	}
	// One change per slot, in turn: each listener hears its own only.
	for _, sl := range slots {
		ok, err := clients[sl].c.PublishConfig(vo.ConfigParam{DataId: "shared.yaml", Group: sl.group, Content: "v2 " + sl.ns + "/" + sl.group})
		if err != nil || !ok {
			t.Fatalf("publish %s/%s: %v %v", sl.ns, sl.group, ok, err)
		}
		clients[sl].w.waitFor(t, "v2 "+sl.ns+"/"+sl.group, wait)
	}
	for _, sl := range slots {
		w := clients[sl].w
		w.mu.Lock()
		seen := append([]string(nil), w.seen...)
		w.mu.Unlock()
		for _, got := range seen {
			if !strings.HasSuffix(got, " "+sl.ns+"/"+sl.group) {
				t.Errorf("listener of %s/%s was given %q", sl.ns, sl.group, got)
			}
		}
	}
}

// A compare-and-set publish with a stale md5 is refused and changes
// nothing; with the current md5 it succeeds.
func TestConfigCASConflict(t *testing.T) {
	d := startHerald(t, testConfig(t))
	c := newConfigClient(t, grpcPort(t, d), "")
	p := vo.ConfigParam{DataId: "cas.properties", Group: "DEFAULT_GROUP", Content: "x=1"}
	mustPublish(t, c, p)
	stale := md5Hex("x=0")
	ok, err := c.PublishConfig(vo.ConfigParam{DataId: p.DataId, Group: p.Group, Content: "x=2", CasMd5: stale})
	if ok {
		t.Fatalf("cas publish with a stale md5 succeeded (err %v)", err)
	}
	if got := mustGet(t, c, p.Group, p.DataId); got != "x=1" {
		t.Fatalf("after a refused cas publish the content is %q, want x=1", got)
	}
	ok, err = c.PublishConfig(vo.ConfigParam{DataId: p.DataId, Group: p.Group, Content: "x=3", CasMd5: md5Hex("x=1")})
	if !ok || err != nil {
		t.Fatalf("cas publish with the current md5: ok=%v err=%v", ok, err)
	}
	if got := mustGet(t, c, p.Group, p.DataId); got != "x=3" {
		t.Fatalf("after the cas publish the content is %q, want x=3", got)
	}
}

// 200 clients listening to one key all see one change. nacos-sdk-go
// rate-limits queries to 5 per second per key for the whole process, so
// the clients run in 10 processes of 20 (this test binary, re-run as a
// listener process), as they would on 10 machines.
func TestConfigManyListeners(t *testing.T) {
	d := startHerald(t, testConfig(t))
	port := grpcPort(t, d)
	const procs, each = 10, 20
	writer := newConfigClient(t, port, "")
	mustPublish(t, writer, vo.ConfigParam{DataId: "fleet.json", Group: "DEFAULT_GROUP", Content: `{"v":1}`})
	fleet := startListenerProcesses(t, port, procs, each, "DEFAULT_GROUP", "fleet.json")
	eventually(t, "all listeners subscribed", chainWait, func() error {
		if _, subs := d.Hub().Stats(fanout.KindConfig); subs < procs*each {
			return fmt.Errorf("%d of %d listeners", subs, procs*each)
		}
		return nil
	})
	mustPublish(t, writer, vo.ConfigParam{DataId: "fleet.json", Group: "DEFAULT_GROUP", Content: `{"v":2}`})
	t.Cleanup(func() {
		if t.Failed() {
			st := d.Hub().Status(fanout.ConfigTopic(upstream.ConfigKey{DataID: "fleet.json"}.Normalize()))
			for _, s := range st.Subscribers {
				if s.Acked < st.Revision || s.Held != md5Hex(`{"v":2}`) {
					t.Logf("behind: %+v (latest %d)", s, st.Revision)
				}
			}
			t.Logf("counts %v", d.Hub().Counts())
		}
	})
	fleet.waitAll(t, `{"v":2}`, chainWait)
	if dup := fleet.seenTwice(`{"v":2}`); len(dup) > 0 {
		t.Errorf("listeners given the change more than once: %v", dup)
	}
}

func md5Hex(s string) string { return upstream.Md5Hex(s) }
