package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// runNpmAuth runs testdata/npm/auth.js as user in namespace ns and returns
// its "<op> ok|error ..." lines by op.
func runNpmAuth(t *testing.T, modules, server, ns, user, password string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "testdata/npm/auth.js", server, ns, user, password, "npm.auth", t.TempDir())
	cmd.Env = nodeEnv(t, modules)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node auth.js as %s: %v; stderr:\n%s", user, err, stderr.String())
	}
	t.Logf("as %s in %s:\n%s", user, ns, out)
	res := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		op, rest, _ := strings.Cut(line, " ")
		res[op] = rest
	}
	return res
}

// TestNpmNacosAuth: the npm `nacos` clients with username and password
// over HTTP 1.x: the same rules as the Go SDK's. A writer registers,
// lists, publishes and reads; a reader lists and reads but may not
// register or publish; a wrong password and a user without rights on the
// namespace get nothing.
func TestNpmNacosAuth(t *testing.T) {
	modules := npmModules(t)
	d := startHerald(t, authConfig(t))
	server := d.HTTPAddr().String()
	want := func(who string, got map[string]string, op, prefix string) {
		t.Helper()
		if !strings.HasPrefix(got[op], prefix) {
			t.Errorf("%s: %s = %q, want %q...", who, op, got[op], prefix)
		}
	}
	w := runNpmAuth(t, modules, server, "dev", "writer", "pw-writer")
	want("writer", w, "register", "ok")
	want("writer", w, "list", "ok 3.3.3.3")
	want("writer", w, "publish", "ok true")
	want("writer", w, "get", "ok by writer")

	r := runNpmAuth(t, modules, server, "dev", "reader", "pw-reader")
	want("reader", r, "register", "error")
	want("reader", r, "list", "ok 3.3.3.3") // the writer's instance only: the reader's was refused
	want("reader", r, "publish", "error Nacos Server Error Status: 403")
	want("reader", r, "get", "ok by writer")

	for _, tc := range []struct{ who, ns, user, password string }{
		{"wrong password", "dev", "writer", "wrong"},
		{"another namespace's user", "dev", "prodonly", "pw-prodonly"},
	} {
		got := runNpmAuth(t, modules, server, tc.ns, tc.user, tc.password)
		want(tc.who, got, "register", "error")
		want(tc.who, got, "list", "error")
		want(tc.who, got, "publish", "error Nacos Server Error Status: 403")
		want(tc.who, got, "get", "error Nacos Server Error Status: 403")
	}
}
