package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/gateway/daemon"
)

// npmNacos is the npm `nacos` package version the Node test runs.
const npmNacos = "2.6.3"

// npmModules installs npm `nacos` once into a stable cache
// ($HOME/.cache/herald-npm, or HERALD_NPM_CACHE) and returns its
// node_modules directory.
func npmModules(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed; install Node.js and npm (apt-get install -y nodejs npm; .ci/run does)", tool)
		}
	}
	base := os.Getenv("HERALD_NPM_CACHE")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatalf("no cache dir for npm: %v", err)
		}
		base = filepath.Join(home, ".cache", "herald-npm")
	}
	dir := filepath.Join(base, "nacos-"+npmNacos)
	modules := filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "nacos", "package.json")); err == nil {
		return modules
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"herald-npm-test","private":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "nacos@"+npmNacos)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install nacos@%s in %s: %v\n%s", npmNacos, dir, err, out)
	}
	return modules
}

// TestNpmNacosClient: the unmodified npm `nacos` client registers over
// HTTP 1.x (kept alive by its beats), subscribes (UDP push), and sees an
// instance a Go SDK client registers and deregisters over gRPC; the Go
// client sees the Node instance; Node's UDP acks reach the tracker.
func TestNpmNacosClient(t *testing.T) {
	modules := npmModules(t)
	cfg := testConfig(t)
	cfg.Fanout.MergeWindow = 0
	d := startHerald(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "testdata/npm/naming.js", d.HTTPAddr().String(), "npm.svc")
	cmd.Env = nodeEnv(t, modules)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node: %v", err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	expect := func(want string) {
		t.Helper()
		select {
		case line, ok := <-lines:
			if !ok || line != want {
				t.Fatalf("node printed %q (open %v), want %q; stderr:\n%s", line, ok, want, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("node did not print %q within 30s; stderr:\n%s", want, stderr.String())
		}
	}

	goClient := newClient(t, grpcPort(t, d), "")
	w := newWatcher()
	subscribe(t, goClient, w, vo.SubscribeParam{ServiceName: "npm.svc"})
	expect("READY")
	w.waitFor(t, "the Node instance", 15*time.Second, hasAddrs("1.1.1.1:8080"))
	mustRegister(t, goClient, instance("npm.svc", "2.2.2.2", 9090))
	expect("SAW 2.2.2.2:9090")
	ok, err := goClient.DeregisterInstance(vo.DeregisterInstanceParam{ServiceName: "npm.svc", Ip: "2.2.2.2", Port: 9090, Ephemeral: true})
	if err != nil || !ok {
		t.Fatalf("deregister: %v %v", ok, err)
	}
	expect("GONE 2.2.2.2")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("node: %v; stderr:\n%s", err, stderr.String())
	}
	w.waitFor(t, "the Node instance deregistered", 15*time.Second, hasAddrs())
	findUDPAck(t, d)
}

// findUDPAck waits for a push to a UDP subscriber of npm.svc that the
// Node client acknowledged.
func findUDPAck(t *testing.T, d *daemon.Daemon) {
	t.Helper()
	eventually(t, "an acked UDP push of npm.svc", 10*time.Second, func() error {
		page, err := tracks(t, d, "/v1/tracks/service", url.Values{"service": {"npm.svc"}, "limit": {"1000"}})
		if err != nil {
			return err
		}
		for _, r := range page.Records {
			if r.Result == "acked" && strings.HasPrefix(r.ConnID, "udp:") {
				return nil
			}
		}
		return fmt.Errorf("%d records, none an acked UDP push", len(page.Records))
	})
}

// nodeEnv is the environment of a node process using the npm modules in
// modules. The npm nacos config client is a cluster-client: every process
// on a machine whose client has the same name (DiamondClient@<endpoint>,
// the same for all of ours) shares one leader on NODE_CLUSTER_CLIENT_PORT
// (default 7777), and followers send their requests through it, with the
// leader's server and credentials. Tests run node processes side by side,
// so each gets a port of its own: each process leads itself.
func nodeEnv(t *testing.T, modules string) []string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return append(os.Environ(), "NODE_PATH="+modules, "NODE_CLUSTER_CLIENT_PORT="+strconv.Itoa(port))
}
