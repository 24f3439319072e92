package conf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herald-gateway/herald/gateway/auth"
)

func testHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := auth.HashPasswordCost(pw, 10000)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestAuthFromEnvAndFiles: users come from the config, a users file and
// the environment; the key from a file; roles bind users of any source.
func TestAuthFromEnvAndFiles(t *testing.T) {
	dir := t.TempDir()
	usersFile := filepath.Join(dir, "users")
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(usersFile, []byte("# team\n\nfileuser:"+testHash(t, "pf")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("k", 40)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"HERALD_AUTH_USERS=envuser:" + testHash(t, "pe"), "HERALD_AUTH_USERS_FILE=" + usersFile,
		"HERALD_AUTH_TOKEN_KEY_FILE=" + keyFile, "HERALD_AUTH_ROLES=ro:fileuser,ro:envuser",
		"HERALD_AUTH_PERMISSIONS=ro:dev:*:*:r"}
	c, err := Load(nil, env)
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Authority()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for user, pw := range map[string]string{"fileuser": "pf", "envuser": "pe"} {
		tok, err := a.Login(user, pw, now)
		if err != nil {
			t.Fatalf("login %s: %v", user, err)
		}
		if err := a.Allow(user, auth.Read, auth.Resource{Namespace: "dev", Kind: auth.KindNaming, Name: "s"}); err != nil {
			t.Errorf("%s may not read dev: %v", user, err)
		}
		// The file's key signs: another Authority from the same config
		// (a restart) accepts the token.
		b, _ := c.Authority()
		if got, err := b.Authenticate(tok, now); err != nil || got != user {
			t.Errorf("token of %s after a restart: %q, %v", user, got, err)
		}
	}
}

func TestValidateAuth(t *testing.T) {
	h := testHash(t, "x")
	cases := map[string]func(*Config){
		"auth.tokenKey":     func(c *Config) { c.Auth.TokenKey = "short" },
		"auth.tokenKeyFile": func(c *Config) { c.Auth.TokenKey = strings.Repeat("k", 32); c.Auth.TokenKeyFile = "/k" },
		"auth":              func(c *Config) { c.Auth.Users = []string{"u:plaintext"} },
	}
	cases["auth "] = func(c *Config) { c.Auth.Users = []string{"u:" + h}; c.Auth.Roles = []string{"r:u"} }
	cases["auth  "] = func(c *Config) { c.Auth.Permissions = []string{"r:dev:*:*:x"} }
	cases["upstream.password"] = func(c *Config) { c.Upstream.Username = "edge" }
	cases["upstream.accessToken"] = func(c *Config) {
		c.Upstream.Username, c.Upstream.Password, c.Upstream.AccessToken = "edge", "p", "t"
	}
	for field, mutate := range cases {
		c := Default()
		mutate(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), strings.TrimSpace(field)) {
			t.Errorf("%s: Validate = %v", field, err)
		}
		if err != nil && strings.Contains(err.Error(), "plaintext") {
			t.Errorf("%s: error quotes a secret: %v", field, err)
		}
	}
}
