package conf

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEmbeddedDefaults(t *testing.T) {
	got := Default().Upstream.Embedded
	want := EmbeddedConfig{DataDir: "data", HealthCheck: HealthCheckConfig{
		Checker: "tcp", Path: "/", Interval: 5 * time.Second, Timeout: 2 * time.Second,
		Failures: 3, Concurrency: 64,
	}}
	if got != want {
		t.Fatalf("Default().Upstream.Embedded = %+v, want %+v", got, want)
	}
}

func TestValidateEmbedded(t *testing.T) {
	const p = "upstream.embedded.healthCheck."
	tests := []struct {
		name   string
		mutate func(*HealthCheckConfig)
		want   string // "" = valid
	}{
		{"http", func(h *HealthCheckConfig) { h.Checker = "http" }, ""},
		{"none", func(h *HealthCheckConfig) { h.Checker = "none" }, ""},
		{"checker", func(h *HealthCheckConfig) { h.Checker = "icmp" }, p + `checker: must be one of tcp|http|none, got "icmp"`},
		{"path", func(h *HealthCheckConfig) { h.Path = "health" }, p + `path: must start with '/', got "health"`},
		{"interval", func(h *HealthCheckConfig) { h.Interval = time.Millisecond }, p + "interval: must be at least 10ms, got 1ms"},
		{"timeout", func(h *HealthCheckConfig) { h.Timeout = 0 }, p + "timeout: must be at least 10ms, got 0s"},
		{"failures", func(h *HealthCheckConfig) { h.Failures = 0 }, p + "failures: must be between 1 and 100, got 0"},
		{"concurrency", func(h *HealthCheckConfig) { h.Concurrency = 5000 }, p + "concurrency: must be between 1 and 4096, got 5000"},
	}
	for _, tc := range tests {
		c := Default()
		tc.mutate(&c.Upstream.Embedded.HealthCheck)
		err := c.Validate()
		var fe *FieldError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: Validate() = %v, want nil", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &fe)):
			t.Errorf("%s: Validate() = %v, want a FieldError containing %q", tc.name, err, tc.want)
		}
	}
	c := Default()
	c.Upstream.Embedded.DataDir = ""
	if err := c.Validate(); err != nil {
		t.Errorf("empty dataDir (memory only): %v", err)
	}
}

func TestEmbeddedFromEnvAndFlags(t *testing.T) {
	c, err := Load([]string{"-upstream.embedded.healthCheck.failures=5"}, []string{
		"HERALD_UPSTREAM_EMBEDDED_DATA_DIR=/var/lib/herald",
		"HERALD_UPSTREAM_EMBEDDED_HEALTH_CHECK_CHECKER=http",
	})
	if err != nil {
		t.Fatal(err)
	}
	if e := c.Upstream.Embedded; e.DataDir != "/var/lib/herald" || e.HealthCheck.Checker != "http" || e.HealthCheck.Failures != 5 {
		t.Fatalf("env or flag not applied: %+v", e)
	}
}
