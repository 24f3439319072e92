package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/gateway/daemon"
	"github.com/herald-gateway/herald/upstream"
)

// TestNpmConfigClient: the npm `nacos` config client (2.6.3, HTTP 1.x with
// long polling) against Herald, side by side with the Go SDK over gRPC:
// publishSingle, getConfig, subscribe seeing changes made on either wire,
// remove seen on both, and content byte for byte both ways. Chained, the
// Node client talks to the edge and the Go client too.
func TestNpmConfigClient(t *testing.T) {
	modules := npmModules(t)
	cfg := testConfig(t)
	cfg.HTTP.MaxBodyBytes = 4 << 20 // the 1 MiB content, URL-encoded in a form
	d := startHerald(t, cfg)
	node := startNodeConfig(t, d, modules)
	goClient := newConfigClient(t, grpcPort(t, d), "")
	const group = "DEFAULT_GROUP"

	// publishSingle and getConfig, read back by both clients.
	node.mustOK("publish", "npm.app", group, "v1")
	if got := node.get("npm.app", group); got == nil || *got != "v1" {
		t.Fatalf("node getConfig = %v, want v1", show(got))
	}
	if got := mustGet(t, goClient, group, "npm.app"); got != "v1" {
		t.Fatalf("go GetConfig of node's publish = %q", got)
	}

	// subscribe: the current content, then every change, whoever made it.
	node.mustOK("subscribe", "npm.app", group, "")
	node.waitChange(t, "npm.app", ptr("v1"))
	mustPublish(t, goClient, vo.ConfigParam{DataId: "npm.app", Group: group, Content: "v2 from go"})
	node.waitChange(t, "npm.app", ptr("v2 from go"))
	node.mustOK("publish", "npm.app", group, "v3 from node")
	node.waitChange(t, "npm.app", ptr("v3 from node"))

	// remove seen: Go deletes what Node listens to; Node removes what Go
	// listens to.
	if ok, err := goClient.DeleteConfig(vo.ConfigParam{DataId: "npm.app", Group: group}); err != nil || !ok {
		t.Fatalf("go delete: %v %v", ok, err)
	}
	node.waitChange(t, "npm.app", nil)
	mustPublish(t, goClient, vo.ConfigParam{DataId: "npm.gone", Group: group, Content: "here"})
	if got := mustGet(t, goClient, group, "npm.gone"); got != "here" { // the SDK's listener starts from what it read
		t.Fatalf("go GetConfig = %q", got)
	}
	w := newConfigWatch()
	listen(t, goClient, group, "npm.gone", w)
	// Each change waits until the SDK's listen has reached Herald (awaitHeld).
	awaitHeld(t, d, "npm.gone", "here")
	node.mustOK("publish", "npm.gone", group, "here, changed by node")
	w.waitFor(t, "here, changed by node", goListenWait)
	awaitHeld(t, d, "npm.gone", "here, changed by node")
	node.mustOK("remove", "npm.gone", group, "")
	if got := node.get("npm.gone", group); got != nil {
		t.Fatalf("node getConfig after its remove = %v, want null", show(got))
	}
	w.waitFor(t, "", goListenWait)

	// Byte fidelity both ways.
	for name, content := range fidelityCases() {
		fromNode, fromGo := "npm.fidelity."+name, "go.fidelity."+name
		node.mustOK("publish", fromNode, group, content)
		if got := node.get(fromNode, group); got == nil || *got != content {
			t.Errorf("%s: node reads its own publish as %s", name, show(got))
		}
		if got := mustGet(t, goClient, group, fromNode); got != content {
			t.Errorf("%s: go reads node's publish as %d bytes %q, want %d bytes", name, len(got), abbrev(got), len(content))
		}
		mustPublish(t, goClient, vo.ConfigParam{DataId: fromGo, Group: group, Content: content})
		if got := node.get(fromGo, group); got == nil || *got != content {
			t.Errorf("%s: node reads go's publish as %s", name, show(got))
		}
	}
}

// goListenWait bounds what a Go SDK listener waits for: the SDK listens
// again on each push, and at least every 5 s.
const goListenWait = 15 * time.Second

// awaitHeld waits until a listener of dataId (DEFAULT_GROUP) tells Herald
// it holds content, as the 1.x listener query reports it. A Go SDK
// (v2.3.2) listener needs it before a change it must see: ListenConfig
// sends nothing (the first listen comes at the SDK's 5 s tick), and a push
// that arrives while the SDK is still in the listen turn of the previous
// one can be lost (its cache entries are copied and written back
// unlocked, so the turn's "in sync" overwrites the push's "out of sync").
func awaitHeld(t *testing.T, d *daemon.Daemon, dataID, content string) {
	t.Helper()
	md5 := upstream.Md5Hex(content)
	eventually(t, dataID+" held as "+abbrev(content), goListenWait, func() error {
		code, body := nacosCall(t, d, http.MethodGet, "/v1/cs/configs/listener", url.Values{"dataId": {dataID}})
		if code != http.StatusOK || !strings.Contains(body, `":"`+md5+`"`) {
			return fmt.Errorf("listeners %d %s", code, body)
		}
		return nil
	})
}

// fidelityCases are the contents that must survive both wires unchanged.
func fidelityCases() map[string]string {
	return map[string]string{
		"cjk":      "名字: 张三\n城市: 北京\n",
		"emoji":    "status: 🚀✅ done 👩‍💻\n",
		"crlf":     "a=1\r\nb=2\r\n",
		"tabs":     "\tkey:\tvalue\t\n",
		"leading":  "   leading spaces\n",
		"trailing": "trailing newline\n\n",
		"symbols":  "a+b=c&d=%20;e#f?g\n",
		"large":    strings.Repeat("0123456789abcdef", 1<<16), // 1 MiB
	}
}

// nodeConfig is config.js running under Node: commands in, answers and
// listener calls out.
type nodeConfig struct {
	t       *testing.T
	stdin   io.WriteCloser
	replies chan nodeLine
	changes chan nodeLine
	id      int
	proc    *os.Process

	// mu protects stderr and errs.
	mu     sync.Mutex
	stderr strings.Builder
	errs   []string
}

// nodeLine is one line config.js prints.
type nodeLine struct {
	ID      int     `json:"id"`
	OK      bool    `json:"ok"`
	Content *string `json:"content"`
	Error   string  `json:"error"`
	Event   string  `json:"event"`
	DataID  string  `json:"dataId"`
}

func startNodeConfig(t *testing.T, d *daemon.Daemon, modules string) *nodeConfig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	cmd := exec.CommandContext(ctx, "node", "testdata/npm/config.js", d.HTTPAddr().String(), t.TempDir())
	cmd.Env = nodeEnv(t, modules)
	n := &nodeConfig{t: t, replies: make(chan nodeLine, 16), changes: make(chan nodeLine, 1024)}
	cmd.Stderr = lockedWriter{&n.mu, &n.stderr}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if n.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start node: %v", err)
	}
	n.proc = cmd.Process
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			n.dispatch(sc.Bytes())
		}
	}()
	t.Cleanup(func() {
		n.stdin.Close() // config.js closes its client and exits
		<-read
		err := cmd.Wait()
		cancel()
		if err != nil {
			t.Errorf("node: %v; stderr:\n%s", err, n.stderrText())
		}
		if errs := n.clientErrors(); len(errs) > 0 {
			t.Logf("node client errors (retried by the client): %q", errs)
		}
	})
	return n
}

// dispatch files one printed line.
func (n *nodeConfig) dispatch(b []byte) {
	var l nodeLine
	if err := json.Unmarshal(b, &l); err != nil {
		n.mu.Lock()
		n.errs = append(n.errs, "unparsable line: "+string(b))
		n.mu.Unlock()
		return
	}
	switch {
	case l.ID > 0:
		n.replies <- l
	case l.Event == "change":
		n.changes <- l
	default:
		n.mu.Lock()
		n.errs = append(n.errs, l.Error)
		n.mu.Unlock()
	}
}

// call runs one command and returns its answer.
func (n *nodeConfig) call(op, dataID, group, content string) nodeLine {
	n.t.Helper()
	n.id++
	cmd, err := json.Marshal(map[string]any{"id": n.id, "op": op, "dataId": dataID, "group": group, "content": content})
	if err != nil {
		n.t.Fatal(err)
	}
	if _, err := n.stdin.Write(append(cmd, '\n')); err != nil {
		n.t.Fatalf("node %s: %v; stderr:\n%s", op, err, n.stderrText())
	}
	select {
	case l := <-n.replies:
		if l.ID != n.id {
			n.t.Fatalf("node answered command %d, want %d", l.ID, n.id)
		}
		if l.Error != "" {
			n.t.Fatalf("node %s %s: %s", op, dataID, l.Error)
		}
		return l
	case <-time.After(30 * time.Second):
		n.t.Fatalf("node %s %s: no answer within 30s; stderr:\n%s", op, dataID, n.stderrText())
		return nodeLine{}
	}
}

func (n *nodeConfig) mustOK(op, dataID, group, content string) {
	n.t.Helper()
	if l := n.call(op, dataID, group, content); !l.OK {
		n.t.Fatalf("node %s %s answered %+v", op, dataID, l)
	}
}

func (n *nodeConfig) get(dataID, group string) *string {
	n.t.Helper()
	return n.call("get", dataID, group, "").Content
}

// waitChange waits until dataId's listener is called with want (nil: the
// config is gone).
func (n *nodeConfig) waitChange(t *testing.T, dataID string, want *string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	var seen []string
	for {
		select {
		case l := <-n.changes:
			if l.DataID == dataID && (l.Content == nil) == (want == nil) && (want == nil || *l.Content == *want) {
				return
			}
			seen = append(seen, show(l.Content))
		case <-deadline:
			t.Fatalf("node's listener of %s not called with %s within 30s; calls %q; client errors %q", dataID, show(want), seen, n.clientErrors())
		}
	}
}

func (n *nodeConfig) stderrText() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stderr.String()
}

func (n *nodeConfig) clientErrors() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.errs...)
}

// lockedWriter serialises writes into a builder shared with readers.
type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func ptr(s string) *string { return &s }

func show(s *string) string {
	if s == nil {
		return "null"
	}
	return fmt.Sprintf("%d bytes %q", len(*s), abbrev(*s))
}
