package conf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateSecurity(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "x.pem")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // expected in the error; "" means valid
	}{
		{"grpc tls", func(c *Config) { c.GRPC.TLS = ListenerTLS{CertFile: file, KeyFile: file} }, ""},
		{"grpc tls gonet", func(c *Config) { c.GRPC.Transport, c.GRPC.TLS = "gonet", ListenerTLS{CertFile: file, KeyFile: file} }, ""},
		{"grpc tls event", func(c *Config) { c.GRPC.Transport, c.GRPC.TLS = "event", ListenerTLS{CertFile: file, KeyFile: file} }, ""},
		{"grpc tls without key", func(c *Config) { c.GRPC.TLS = ListenerTLS{CertFile: file} }, "grpc.tls.certFile: TLS needs both"},
		{"http tls missing file", func(c *Config) { c.HTTP.TLS = ListenerTLS{CertFile: file, KeyFile: missing} }, "http.tls.keyFile: open"},
		{"client ca without tls", func(c *Config) { c.HTTP.TLS = ListenerTLS{ClientCAFile: file} }, "http.tls.clientCAFile: needs http.tls.certFile"},
		{"mtls", func(c *Config) { c.HTTP.TLS = ListenerTLS{CertFile: file, KeyFile: file, ClientCAFile: file} }, ""},
		{"upstream tls half a pair", func(c *Config) { c.Upstream.Nacos.TLS.CertFile = file }, "upstream.nacos.tls.certFile: a client certificate needs both"},
		{"upstream tls missing ca", func(c *Config) { c.Upstream.Nacos.TLS.CAFile = missing }, "upstream.nacos.tls.caFile: open"},
		{"trusted proxies", func(c *Config) { c.HTTP.TrustedProxies = []string{"10.0.0.0/8", "192.168.1.7", "::1"} }, ""},
		{"trusted proxy bad", func(c *Config) { c.HTTP.TrustedProxies = []string{"10.0.0.0/8", "proxy-1"} },
			`http.trustedProxies: entry 1 "proxy-1"`},
		{"limits off", func(c *Config) { c.Limits.MaxConnectionsPerIP, c.Limits.RequestsPerSecond = 0, 0 }, ""},
		{"limits negative", func(c *Config) { c.Limits.MaxConnectionsPerIP = -1 }, "limits.maxConnectionsPerIP: must be between 0"},
		{"burst zero", func(c *Config) { c.Limits.RequestBurst = 0 }, "limits.requestBurst: must be between 1"},
	}
	for _, tc := range tests {
		c := Default()
		tc.mutate(&c)
		err := c.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestParsePrefix(t *testing.T) {
	for in, want := range map[string]string{"10.1.2.3/8": "10.0.0.0/8", "192.168.0.9": "192.168.0.9/32", "::1": "::1/128",
		"::ffff:127.0.0.2": "127.0.0.2/32"} {
		p, err := ParsePrefix(in)
		if err != nil || p.String() != want {
			t.Errorf("ParsePrefix(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
}
