package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/herald-gateway/herald/conf"
)

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Secrets  map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
	Volumes map[string]any `yaml:"volumes"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Secrets     []string          `yaml:"secrets"`
	Ports       []string          `yaml:"ports"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Profiles []string `yaml:"profiles"`
	Command  any      `yaml:"command"`
}

const composeDir = "compose"

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(composeDir, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	if len(f.Services) == 0 {
		t.Fatal("compose.yaml: no services")
	}
	return f
}

// interpolate applies compose's "${VAR:-default}" with nothing set: the
// default.
func interpolate(s string) string {
	return regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*(:-([^}]*))?\}`).ReplaceAllString(s, "$2")
}

// composeHerald is one Herald service of the compose file, its
// configuration loaded.
type composeHerald struct {
	name  string
	svc   composeService
	ports map[string]int
	cfg   conf.Config
}

// The compose file names only images built here (Herald, from the
// Dockerfile) or pinned third-party ones; every Herald service loads its
// mounted herald.yaml (strict keys) under its environment, publishes only
// ports it listens on (gRPC at HTTP + 1000 on the host, as the SDKs dial),
// has its admin token as a declared secret, and points at services that
// exist.
func TestComposeHeraldServices(t *testing.T) {
	f := loadCompose(t)
	heralds := map[string]composeHerald{}
	for name, svc := range f.Services {
		for dep := range svc.DependsOn {
			if _, ok := f.Services[dep]; !ok {
				t.Errorf("%s depends on unknown service %s", name, dep)
			}
		}
		checkNamedVolumes(t, f, name, svc)
		if !isHeraldImage(t, svc.Image) {
			if !thirdPartyImages[svc.Image] {
				t.Errorf("%s: image %q is neither %s (built here) nor a pinned third-party image", name, svc.Image, heraldImage(t))
			}
			continue
		}
		if svc.Build == nil || svc.Build.Dockerfile != "deploy/container/Dockerfile" {
			t.Errorf("%s: image %s not built from deploy/container/Dockerfile", name, svc.Image)
		} else if _, err := os.Stat(filepath.Join(composeDir, svc.Build.Context, svc.Build.Dockerfile)); err != nil {
			t.Errorf("%s: build context: %v", name, err)
		}
		heralds[name] = loadComposeHerald(t, f, name, svc)
	}
	if len(heralds) != 4 {
		t.Fatalf("%d Herald services, want a core and three edges", len(heralds))
	}
	for name, h := range heralds {
		for _, s := range h.cfg.Upstream.Servers {
			host, port := hostPort(t, s)
			up, ok := heralds[host]
			if !ok || port != up.ports["grpc"] {
				t.Errorf("%s: upstream.servers %s is no Herald service's gRPC port", name, s)
			}
		}
		for _, r := range h.cfg.Tracker.Redis {
			host, _ := hostPort(t, r)
			if svc, ok := f.Services[host]; !ok || !strings.HasPrefix(svc.Image, "redis:") {
				t.Errorf("%s: tracker.redis %s is no Redis service", name, r)
			}
		}
	}
}

// loadComposeHerald loads the configuration a Herald service runs with
// and checks its ports and secrets.
func loadComposeHerald(t *testing.T, f composeFile, name string, svc composeService) composeHerald {
	t.Helper()
	env := map[string]string{}
	for k, v := range svc.Environment {
		env[k] = interpolate(v)
	}
	local := mountedFile(t, name, svc, env["HERALD_CONFIG"])
	cfg := loadConfig(t, name, local, env)
	h := composeHerald{name: name, svc: svc, ports: ports(t, cfg), cfg: cfg}
	hostOf := map[int]int{}
	for _, p := range svc.Ports {
		parts := strings.Split(p, ":")
		container, err1 := strconv.Atoi(parts[len(parts)-1])
		host, err2 := strconv.Atoi(parts[len(parts)-2])
		if len(parts) < 2 || err1 != nil || err2 != nil {
			t.Errorf("%s: port %q is not [ip:]host:container", name, p)
			continue
		}
		hostOf[container] = host
		if !slices.Contains([]int{h.ports["http"], h.ports["grpc"], h.ports["admin"]}, container) {
			t.Errorf("%s: publishes container port %d, which Herald does not listen on (%v)", name, container, h.ports)
		}
		if container == h.ports["admin"] && !strings.HasPrefix(p, "127.0.0.1:") {
			t.Errorf("%s: admin port published beyond loopback: %q", name, p)
		}
	}
	if hh, hg := hostOf[h.ports["http"]], hostOf[h.ports["grpc"]]; hh != 0 && hg != hh+1000 {
		t.Errorf("%s: host ports HTTP %d and gRPC %d; SDKs dial gRPC at HTTP + 1000", name, hh, hg)
	}
	secret, ok := strings.CutPrefix(env["HERALD_ADMIN_TOKEN_FILE"], "/run/secrets/")
	if !ok || !slices.Contains(svc.Secrets, secret) || f.Secrets[secret].File == "" {
		t.Errorf("%s: HERALD_ADMIN_TOKEN_FILE %q is not a secret of the service declared with a file", name, env["HERALD_ADMIN_TOKEN_FILE"])
	}
	return h
}

// mountedFile maps the container path of a bind-mounted file to the file
// in the repository.
func mountedFile(t *testing.T, name string, svc composeService, inContainer string) string {
	t.Helper()
	for _, v := range svc.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[1] == inContainer && strings.HasPrefix(parts[0], "./") {
			return filepath.Join(composeDir, parts[0])
		}
	}
	t.Fatalf("%s: %q is not bind-mounted from a file here", name, inContainer)
	return ""
}

// checkNamedVolumes: every named volume a service mounts is declared, and
// every bind-mounted file exists.
func checkNamedVolumes(t *testing.T, f composeFile, name string, svc composeService) {
	t.Helper()
	for _, v := range svc.Volumes {
		src, _, _ := strings.Cut(v, ":")
		if strings.HasPrefix(src, "./") {
			if _, err := os.Stat(filepath.Join(composeDir, src)); err != nil {
				t.Errorf("%s: volume %q: %v", name, v, err)
			}
		} else if _, ok := f.Volumes[src]; !ok {
			t.Errorf("%s: volume %s is not declared", name, src)
		}
	}
}

// Six Redis nodes with --cluster-enabled yes, and a job that makes them a
// cluster of three masters with a replica each, which the edges wait for.
func TestComposeRedisCluster(t *testing.T) {
	f := loadCompose(t)
	var nodes []string
	for name, svc := range f.Services {
		cmd, _ := svc.Command.([]any)
		if strings.HasPrefix(svc.Image, "redis:") && slices.Contains(cmd, any("--cluster-enabled")) {
			nodes = append(nodes, name)
		}
	}
	if len(nodes) != 6 {
		t.Fatalf("%d cluster-enabled Redis nodes, want 6", len(nodes))
	}
	job, ok := f.Services["redis-cluster-create"]
	script := ""
	if cmd, isList := job.Command.([]any); ok && isList && len(cmd) == 1 {
		script, _ = cmd[0].(string)
	}
	if !strings.Contains(script, "redis-cli --cluster create") || !strings.Contains(script, "--cluster-replicas 1") {
		t.Fatalf("redis-cluster-create does not create a cluster with one replica per master: %q", script)
	}
	for _, n := range nodes {
		if !strings.Contains(script, n) || job.DependsOn[n].Condition != "service_healthy" {
			t.Errorf("redis-cluster-create does not wait for and join %s", n)
		}
	}
	for name, svc := range f.Services {
		if strings.HasPrefix(name, "edge-") && svc.DependsOn["redis-cluster-create"].Condition != "service_completed_successfully" {
			t.Errorf("%s does not wait for the cluster to be created", name)
		}
	}
}

// The collector is optional (profile otel) and its configuration exists.
func TestComposeCollectorProfile(t *testing.T) {
	f := loadCompose(t)
	svc, ok := f.Services["otel-collector"]
	if !ok || !slices.Equal(svc.Profiles, []string{"otel"}) {
		t.Fatalf("otel-collector missing or not in profile otel: %+v", svc)
	}
	var collector struct {
		Service struct {
			Pipelines map[string]any `yaml:"pipelines"`
		} `yaml:"service"`
	}
	data, err := os.ReadFile(filepath.Join(composeDir, "otel-collector.yaml"))
	if err == nil {
		err = yaml.Unmarshal(data, &collector)
	}
	if err != nil || collector.Service.Pipelines["traces"] == nil {
		t.Fatalf("otel-collector.yaml: no traces pipeline (%v)", err)
	}
}
