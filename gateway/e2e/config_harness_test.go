package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/clients"
	"github.com/nacos-group/nacos-sdk-go/v2/clients/config_client"
	"github.com/nacos-group/nacos-sdk-go/v2/clients/naming_client"
	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"
)

// newConfigClient is an unmodified SDK config client pointed at Herald.
func newConfigClient(t *testing.T, port uint64, namespace string) config_client.IConfigClient {
	t.Helper()
	dir, err := os.MkdirTemp(sdkDir, "config-")
	if err != nil {
		t.Fatal(err)
	}
	return newConfigClientIn(t, port, namespace, dir)
}

// newConfigClientIn is newConfigClient with its cache and logs in dir.
func newConfigClientIn(t *testing.T, port uint64, namespace, dir string) config_client.IConfigClient {
	t.Helper()
	cc := constant.ClientConfig{
		NamespaceId:         namespace,
		TimeoutMs:           5000,
		NotLoadCacheAtStart: true,
		CacheDir:            dir,
		LogDir:              dir,
		LogLevel:            "error",
		AppName:             "e2e",
	}
	sc := []constant.ServerConfig{{IpAddr: "127.0.0.1", Port: port, GrpcPort: port}}
	c, err := clients.NewConfigClient(vo.NacosClientParam{ClientConfig: &cc, ServerConfigs: sc})
	if err != nil {
		t.Fatalf("new config client: %v", err)
	}
	t.Cleanup(c.CloseClient)
	return c
}

// mustPublish publishes content and fails the test unless it succeeded.
func mustPublish(t *testing.T, c config_client.IConfigClient, p vo.ConfigParam) {
	t.Helper()
	ok, err := c.PublishConfig(p)
	if err != nil || !ok {
		t.Fatalf("publish %s/%s: ok=%v err=%v", p.Group, p.DataId, ok, err)
	}
}

// mustGet reads a config and fails the test on error.
func mustGet(t *testing.T, c config_client.IConfigClient, group, dataID string) string {
	t.Helper()
	content, err := c.GetConfig(vo.ConfigParam{DataId: dataID, Group: group})
	if err != nil {
		t.Fatalf("get %s/%s: %v", group, dataID, err)
	}
	return content
}

// configWatch records what a config listener is given.
type configWatch struct {
	mu      sync.Mutex
	changed chan struct{}
	seen    []string
}

func newConfigWatch() *configWatch { return &configWatch{changed: make(chan struct{}, 1)} }

func (w *configWatch) onChange(_, _, _, data string) {
	w.mu.Lock()
	w.seen = append(w.seen, data)
	w.mu.Unlock()
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

func (w *configWatch) last() (string, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.seen) == 0 {
		return "", 0
	}
	return w.seen[len(w.seen)-1], len(w.seen)
}

// waitFor blocks until the listener was last given want.
func (w *configWatch) waitFor(t *testing.T, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if got, n := w.last(); n > 0 && got == want {
			return
		}
		select {
		case <-w.changed:
		case <-deadline.C:
			got, n := w.last()
			t.Fatalf("timed out after %v waiting for the listener to see %q; %d calls, last %q", timeout, abbrev(want), n, abbrev(got))
		}
	}
}

func abbrev(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// listen adds w as the listener of group/dataID.
func listen(t *testing.T, c config_client.IConfigClient, group, dataID string, w *configWatch) {
	t.Helper()
	if err := c.ListenConfig(vo.ConfigParam{DataId: dataID, Group: group, OnChange: w.onChange}); err != nil {
		t.Fatalf("listen %s/%s: %v", group, dataID, err)
	}
}

// newClientIn is newClient with its cache and logs in dir.
func newClientIn(t *testing.T, port uint64, namespace, dir string) naming_client.INamingClient {
	t.Helper()
	cc := constant.ClientConfig{
		NamespaceId: namespace, TimeoutMs: 5000, NotLoadCacheAtStart: true, UpdateCacheWhenEmpty: true,
		CacheDir: dir, LogDir: dir, LogLevel: "error", AppName: "e2e",
	}
	sc := []constant.ServerConfig{{IpAddr: "127.0.0.1", Port: port, GrpcPort: port}}
	c, err := clients.NewNamingClient(vo.NacosClientParam{ClientConfig: &cc, ServerConfigs: sc})
	if err != nil {
		t.Fatalf("new naming client: %v", err)
	}
	t.Cleanup(c.CloseClient)
	return c
}

// assertNoSDKErrors fails the test if an SDK logged anything into dir (at
// log level error, the SDKs log only errors).
func assertNoSDKErrors(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(path, ".log") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(data), "\n") {
			// The naming client binds a random UDP port of 54951..55950 for
			// 1.x pushes (3 tries); ports taken by other clients or processes
			// are its own noise, not Herald's.
			if strings.Contains(line, "push_receiver.go") {
				continue
			}
			if strings.Contains(line, "ERROR") || strings.Contains(line, "unknown request type") {
				t.Errorf("SDK logged in %s: %s", filepath.Base(path), line)
			}
		}
		return nil
	})
}
