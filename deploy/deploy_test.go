package deploy

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/herald-gateway/herald/conf"
)

// These tests check the deployment files statically: the machines Herald
// is built on have no Docker engine, kubectl or systemd to run them.

// thirdPartyImages are the images not built here that the files may name,
// each pinned to a tag.
var thirdPartyImages = map[string]bool{
	"redis:7.2": true,
	"otel/opentelemetry-collector-contrib:0.111.0": true,
}

// heraldImage is the image name the Dockerfile is built as (its
// "docker build ... -t <name>" line).
func heraldImage(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("container", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`docker build .* -t (\S+)`).FindSubmatch(data)
	if m == nil {
		t.Fatal("container/Dockerfile names no image (docker build ... -t <name>)")
	}
	return string(m[1])
}

// isHeraldImage reports whether image is the Dockerfile's, with or
// without the tag latest.
func isHeraldImage(t *testing.T, image string) bool {
	name := heraldImage(t)
	return image == name || image == name+":latest"
}

// knownEnv is every environment variable Herald reads: HERALD_CONFIG and
// one per configuration field, from the daemon's own help.
func knownEnv(t *testing.T) map[string]bool {
	t.Helper()
	var b bytes.Buffer
	conf.Usage(&b)
	known := map[string]bool{conf.ConfigEnv: true}
	for _, m := range regexp.MustCompile(`env (HERALD_[A-Z0-9_]+)`).FindAllStringSubmatch(b.String(), -1) {
		known[m[1]] = true
	}
	if len(known) < 20 {
		t.Fatalf("only %d environment variables found in conf.Usage", len(known))
	}
	return known
}

// checkEnvNames fails for a HERALD_* name Herald does not read.
func checkEnvNames(t *testing.T, where string, env map[string]string) {
	t.Helper()
	known := knownEnv(t)
	for k := range env {
		if strings.HasPrefix(k, "HERALD_") && !known[k] {
			t.Errorf("%s: environment variable %s is no Herald setting", where, k)
		}
	}
}

// loadConfig loads Herald's configuration as the daemon would: the YAML
// file at path (strict: unknown keys are errors) under env, validated.
func loadConfig(t *testing.T, where, path string, env map[string]string) conf.Config {
	t.Helper()
	checkEnvNames(t, where, env)
	list := []string{conf.ConfigEnv + "=" + path}
	for k, v := range env {
		if k != conf.ConfigEnv {
			list = append(list, k+"="+v)
		}
	}
	cfg, err := conf.Load(nil, list)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return cfg
}

// ports are a configuration's listening ports by the names the manifests
// give them.
func ports(t *testing.T, cfg conf.Config) map[string]int {
	t.Helper()
	return map[string]int{
		"http": portOf(t, cfg.HTTP.Addr), "grpc": portOf(t, cfg.GRPC.Addr), "admin": portOf(t, cfg.Admin.Addr),
	}
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return n
}

// hostPort splits "host:port" with a numeric port.
func hostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return h, portOf(t, addr)
}

func TestDockerfileNamesAnImage(t *testing.T) {
	if name := heraldImage(t); name != "herald" {
		t.Fatalf("image %q; the manifests here expect herald", name)
	}
}

func TestDefaultsArePortsOfTheManifests(t *testing.T) {
	// The manifests publish 8848, 9848 and 8850: Nacos's HTTP and gRPC
	// (HTTP + 1000) ports and Herald's admin port, the defaults.
	got := ports(t, conf.Default())
	if got["http"] != 8848 || got["grpc"] != 9848 || got["admin"] != 8850 {
		t.Fatalf("default ports %v", got)
	}
}

// The Dockerfile's ENV sets only Herald settings that exist (a misspelt
// name is silently ignored by the daemon), and they load.
func TestDockerfileEnv(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("container", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for line := range strings.Lines(string(data)) {
		rest, ok := strings.CutPrefix(line, "ENV ")
		if !ok {
			continue
		}
		for _, kv := range strings.Fields(rest) {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	if len(env) == 0 {
		t.Fatal("Dockerfile sets no ENV")
	}
	env["HERALD_ADMIN_TOKEN"] = strings.Repeat("x", 32) // the run command's secret
	cfg := loadConfig(t, "Dockerfile", filepath.Join("..", "conf", "herald.example.yaml"), env)
	if cfg.Upstream.Embedded.DataDir != "/data" {
		t.Errorf("Dockerfile: data in %q, want the image's volume /data", cfg.Upstream.Embedded.DataDir)
	}
}
