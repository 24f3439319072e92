package daemon

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-gateway/herald/conf"
)

const testToken = "daemon-test-token-0123456789"

func tokenConfig(t *testing.T) conf.Config {
	cfg := conf.Default()
	cfg.GRPC.Addr, cfg.HTTP.Addr, cfg.Admin.Addr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.Upstream.Embedded.DataDir = t.TempDir()
	return cfg
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// A start that would expose the admin API without a token is refused,
// saying why and what to set; so is a token file that cannot be read.
func TestStartRefusesAnOpenAdminListener(t *testing.T) {
	cfg := tokenConfig(t)
	cfg.Admin.Addr = "0.0.0.0:0"
	if d, err := Start(cfg, quiet()); err == nil {
		d.Stop()
		t.Fatal("started with the admin listener on 0.0.0.0 and no token")
	} else if msg := err.Error(); !strings.Contains(msg, "admin.token") || !strings.Contains(msg, "not loopback-only") ||
		!strings.Contains(msg, "admin.tokenFile") {
		t.Fatalf("error does not say why and what to set: %v", err)
	}
	cfg.Admin.TokenFile = filepath.Join(t.TempDir(), "missing")
	if d, err := Start(cfg, quiet()); err == nil {
		d.Stop()
		t.Fatal("started with an unreadable token file")
	} else if !strings.Contains(err.Error(), "admin.tokenFile") {
		t.Fatalf("error does not name admin.tokenFile: %v", err)
	}
}

// get GETs an admin path with an optional bearer token.
func get(t *testing.T, d *Daemon, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+d.AdminAddr().String()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// With a token (here from a file, newline-terminated as editors leave
// it) every admin path needs it; the probes answer without it, readiness
// without its reasons.
func TestAdminToken(t *testing.T) {
	cfg := tokenConfig(t)
	cfg.Admin.TokenFile = filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(cfg.Admin.TokenFile, []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := Start(cfg, quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	for _, p := range []string{"/stats", "/metrics", "/healthz", "/v1/upstream", "/v1/tracks/service?service=a",
		"/v1/status/service?service=a", "/console/", "/console/js/app.js", "/console/api/info", "/no-such-path"} {
		code, body := get(t, d, p, "")
		if code != http.StatusUnauthorized {
			t.Errorf("GET %s without the token: %d %.80s", p, code, body)
		}
		if strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/stats") || strings.HasPrefix(p, "/console/api/") {
			var e struct{ Error string }
			if json.Unmarshal([]byte(body), &e) != nil || e.Error == "" {
				t.Errorf("GET %s: 401 body is not JSON with an error: %s", p, body)
			}
		}
		if code, _ := get(t, d, p, testToken+"x"); code != http.StatusUnauthorized {
			t.Errorf("GET %s with a wrong token: %d", p, code)
		}
		want := http.StatusOK
		if p == "/no-such-path" {
			want = http.StatusNotFound
		}
		if code, body := get(t, d, p, testToken); code != want {
			t.Errorf("GET %s with the token: %d %.80s", p, code, body)
		}
	}
	if code, body := get(t, d, "/console/", ""); !strings.Contains(body, `action="/console/login"`) {
		t.Errorf("console without a session: %d, no login form: %.200s", code, body)
	}
	if code, _ := get(t, d, "/livez", ""); code != http.StatusOK {
		t.Errorf("/livez without the token: %d", code)
	}
	d.grpc.Stop() // not ready: the probe says so, the reasons need the token
	code, body := get(t, d, "/readyz", "")
	if code != http.StatusServiceUnavailable || strings.Contains(body, "reasons") {
		t.Errorf("/readyz without the token: %d %s", code, body)
	}
	if code, body := get(t, d, "/readyz", testToken); code != http.StatusServiceUnavailable || !strings.Contains(body, "grpc listener") {
		t.Errorf("/readyz with the token: %d %s", code, body)
	}
}
