package deploy

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// unit is a systemd unit file: section -> key -> values in order.
type unit map[string]map[string][]string

func parseUnit(t *testing.T, file string) unit {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: %q is not key=value in a section", file, n, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// one is the single value of key in section, failing if there is none or
// several.
func (u unit) one(t *testing.T, section, key string) string {
	t.Helper()
	vs := u[section][key]
	if len(vs) != 1 || vs[0] == "" {
		t.Fatalf("herald.service: [%s] %s: want one value, have %q", section, key, vs)
	}
	return vs[0]
}

// parseEnvFile reads KEY=VALUE lines, skipping comments.
func parseEnvFile(t *testing.T, file string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not KEY=VALUE", file, line)
		}
		env[k] = v
	}
	return env
}

// The unit starts the binary, drains on stop (herald drain, the same
// binary, the same environment) with time for it, restarts it, raises the
// open-file limit for many connections, and sets only Herald settings
// that exist; with its environment file and the example configuration,
// Herald's loader accepts the result.
func TestSystemdUnit(t *testing.T) {
	u := parseUnit(t, filepath.Join("systemd", "herald.service"))
	for _, s := range []string{"Unit", "Service", "Install"} {
		if u[s] == nil {
			t.Fatalf("herald.service: no [%s] section", s)
		}
	}
	u.one(t, "Unit", "Description")
	if !strings.Contains(u.one(t, "Unit", "After"), "network-online.target") {
		t.Error("herald.service: not ordered after network-online.target")
	}
	bin := u.one(t, "Service", "ExecStart")
	if !filepath.IsAbs(bin) || filepath.Base(bin) != "herald" {
		t.Errorf("herald.service: ExecStart %q is not an absolute path to herald", bin)
	}
	if stop := u.one(t, "Service", "ExecStop"); stop != bin+" drain" {
		t.Errorf("herald.service: ExecStop %q, want %q", stop, bin+" drain")
	}
	if d, err := time.ParseDuration(u.one(t, "Service", "TimeoutStopSec")); err != nil || d < 60*time.Second {
		t.Errorf("herald.service: TimeoutStopSec %v (%v), less than a drain needs", d, err)
	}
	if s := u.one(t, "Service", "KillSignal"); s != "SIGTERM" {
		t.Errorf("herald.service: KillSignal %s; Herald drains on SIGTERM", s)
	}
	if n, err := strconv.Atoi(u.one(t, "Service", "LimitNOFILE")); err != nil || n < 65536 {
		t.Errorf("herald.service: LimitNOFILE %d (%v); a gateway holds a file per connection", n, err)
	}
	u.one(t, "Service", "Restart")
	u.one(t, "Service", "User")
	u.one(t, "Install", "WantedBy")

	env := parseEnvFile(t, filepath.Join("systemd", "herald.env"))
	if got := u.one(t, "Service", "EnvironmentFile"); got != "/etc/herald/herald.env" {
		t.Errorf("herald.service: EnvironmentFile %q, want /etc/herald/herald.env", got)
	}
	for _, kv := range u["Service"]["Environment"] {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	if env["HERALD_CONFIG"] != "/etc/herald/herald.yaml" {
		t.Errorf("herald.env: HERALD_CONFIG %q, want /etc/herald/herald.yaml", env["HERALD_CONFIG"])
	}
	cfg := loadConfig(t, "herald.service", filepath.Join("..", "conf", "herald.example.yaml"), env)
	if cfg.Upstream.Embedded.DataDir != u.one(t, "Service", "WorkingDirectory") {
		t.Errorf("herald.service: data in %s, working directory %s", cfg.Upstream.Embedded.DataDir, u.one(t, "Service", "WorkingDirectory"))
	}
}

// systemd's own checker accepts the unit (directives, values, sections),
// with the binary's path pointed at an executable that exists here.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatalf("systemd-analyze not found (install it: apt-get install -y systemd): %v", err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("systemd", "herald.service"))
	if err != nil {
		t.Fatal(err)
	}
	unitFile := filepath.Join(t.TempDir(), "herald.service")
	if err := os.WriteFile(unitFile, []byte(strings.ReplaceAll(string(data), "/usr/local/bin/herald", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", unitFile).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
