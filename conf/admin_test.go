package conf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodToken = "0123456789abcdef0123"

func TestValidateAdminToken(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // expected in the error; "" means valid
	}{
		{"loopback without token", func(c *Config) { c.Admin.Addr = "127.0.0.1:8850" }, ""},
		{"other loopback address", func(c *Config) { c.Admin.Addr = "127.0.0.2:8850" }, ""},
		{"ipv6 loopback", func(c *Config) { c.Admin.Addr = "[::1]:8850" }, ""},
		{"localhost", func(c *Config) { c.Admin.Addr = "localhost:8850" }, ""},
		{"wildcard without token", func(c *Config) { c.Admin.Addr = ":8850" },
			`admin.token: admin.addr ":8850" is not loopback-only`},
		{"0.0.0.0 without token", func(c *Config) { c.Admin.Addr = "0.0.0.0:8850" }, "set admin.token or admin.tokenFile"},
		{"host name without token", func(c *Config) { c.Admin.Addr = "herald-1:8850" }, "or bind admin.addr to 127.0.0.1"},
		{"wildcard with token", func(c *Config) { c.Admin.Addr, c.Admin.Token = ":8850", goodToken }, ""},
		{"wildcard with token file", func(c *Config) { c.Admin.Addr, c.Admin.TokenFile = ":8850", "/run/secrets/herald" }, ""},
		{"short token", func(c *Config) { c.Admin.Token = "short" }, "admin.token: the token must be at least 16 characters, got 5"},
		{"token with a space", func(c *Config) { c.Admin.Token = "0123456789 abcdef" }, "admin.token: the token may hold only visible ASCII"},
		{"token with a semicolon", func(c *Config) { c.Admin.Token = "0123456789;abcdef" }, "byte 10 is ';'"},
		{"token and file", func(c *Config) { c.Admin.Token, c.Admin.TokenFile = goodToken, "/x" }, "admin.tokenFile: set admin.token or admin.tokenFile, not both"},
		{"trace url", func(c *Config) { c.Console.TraceURL = "http://jaeger:16686/trace/{traceId}" }, ""},
		{"trace url without placeholder", func(c *Config) { c.Console.TraceURL = "http://jaeger:16686/trace/" }, "console.traceURL: must contain {traceId}"},
		{"trace url not http", func(c *Config) { c.Console.TraceURL = "javascript:alert({traceId})" }, "console.traceURL: must be an http:// or https:// URL"},
		{"trace url without host", func(c *Config) { c.Console.TraceURL = "/trace/{traceId}" }, "console.traceURL: must be an http:// or https:// URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.mutate(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		cfg     AdminConfig
		want    string
		wantErr string
	}{
		{"none", AdminConfig{}, "", ""},
		{"inline", AdminConfig{Token: goodToken}, goodToken, ""},
		{"file with newline", AdminConfig{TokenFile: write("nl", goodToken+"\n")}, goodToken, ""},
		{"file with CRLF", AdminConfig{TokenFile: write("crlf", goodToken+"\r\n")}, goodToken, ""},
		{"file without newline", AdminConfig{TokenFile: write("plain", goodToken)}, goodToken, ""},
		{"empty file", AdminConfig{TokenFile: write("empty", "\n")}, "", "admin.tokenFile: the token must be at least 16 characters, got 0"},
		{"two lines", AdminConfig{TokenFile: write("two", goodToken+"\n"+goodToken+"\n")}, "", "visible ASCII"},
		{"missing file", AdminConfig{TokenFile: filepath.Join(dir, "absent")}, "", "admin.tokenFile: open"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.cfg.ReadToken()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ReadToken() = %q, %v; want error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ReadToken() = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// The environment and flags reach the new keys under the names the
// README's table gives.
func TestAdminKeysFromEnvironment(t *testing.T) {
	c, err := Load([]string{"-admin.addr", "0.0.0.0:8850"}, []string{
		"HERALD_ADMIN_TOKEN=" + goodToken, "HERALD_CONSOLE_TRACE_URL=http://jaeger:16686/trace/{traceId}",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Admin.Token != goodToken || c.Console.TraceURL != "http://jaeger:16686/trace/{traceId}" {
		t.Fatalf("admin %+v console %+v", c.Admin, c.Console)
	}
	if _, err := Load([]string{"-admin.addr", "0.0.0.0:8850"}, nil); err == nil || !strings.Contains(err.Error(), "admin.token") {
		t.Fatalf("Load without a token on 0.0.0.0 = %v, want an error naming admin.token", err)
	}
}
