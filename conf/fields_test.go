package conf

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEnvName(t *testing.T) {
	tests := []struct{ path, want string }{
		{"node", "HERALD_NODE"},
		{"grpc.addr", "HERALD_GRPC_ADDR"},
		{"grpc.maxMessageBytes", "HERALD_GRPC_MAX_MESSAGE_BYTES"},
		{"session.idleTimeout", "HERALD_SESSION_IDLE_TIMEOUT"},
		{"session.pushQueue", "HERALD_SESSION_PUSH_QUEUE"},
		{"a.HTTPAddr", "HERALD_A_HTTP_ADDR"},
		{"a.ipv4Addr", "HERALD_A_IPV4_ADDR"},
		{"a.grpcTLSCert", "HERALD_A_GRPC_TLS_CERT"},
	}
	for _, tc := range tests {
		if got := envName(tc.path); got != tc.want {
			t.Errorf("envName(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestFieldsOfConfig(t *testing.T) {
	c := Default()
	fields, err := fieldsOf(&c)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range fields {
		paths = append(paths, f.path)
		if f.help == "" {
			t.Errorf("field %s has no help tag", f.path)
		}
	}
	want := []string{
		"node", "grpc.addr", "grpc.maxMessageBytes", "grpc.transport", "grpc.writeBufferSize", "grpc.readBufferSize",
		"grpc.initialWindowSize", "grpc.initialConnWindowSize", "grpc.reuseWriteBuffer", "grpc.reuseFramerBuffer",
		"grpc.tls.certFile", "grpc.tls.keyFile", "grpc.tls.clientCAFile",
		"http.addr", "http.maxBodyBytes", "http.udpAddr", "http.udpExpiry", "http.udpMaxSubscribers", "http.beatInterval",
		"http.beatTimeout", "http.beatDeleteTimeout", "http.beatCheckInterval", "http.users", "http.tokenTtl",
		"http.trustedProxies", "http.tls.certFile", "http.tls.keyFile", "http.tls.clientCAFile",
		"admin.addr", "admin.token", "admin.tokenFile", "console.traceURL", "upstream.kind",
		"upstream.servers", "upstream.linger", "upstream.requestTimeout", "upstream.resyncGrace",
		"upstream.username", "upstream.password", "upstream.accessToken", "upstream.loginServers",
		"upstream.embedded.dataDir", "upstream.embedded.healthCheck.checker", "upstream.embedded.healthCheck.path",
		"upstream.embedded.healthCheck.interval", "upstream.embedded.healthCheck.timeout",
		"upstream.embedded.healthCheck.failures", "upstream.embedded.healthCheck.concurrency",
		"upstream.nacos.tls.enabled", "upstream.nacos.tls.caFile", "upstream.nacos.tls.certFile",
		"upstream.nacos.tls.keyFile", "upstream.nacos.tls.serverName",
		"config.maxContentBytes", "config.historyLimit", "config.pushMaxAttempts", "config.pushConfirmTimeout", "config.maxLongPolls",
		"session.idleTimeout", "session.detectTimeout", "session.pushQueue", "session.ackTimeout",
		"fanout.mergeWindow", "fanout.mergeWindowMax", "fanout.workers", "fanout.retryBase", "fanout.retryMax", "fanout.stallTimeout", "fanout.maxSubscriptionsPerClient",
		"tracker.redis", "tracker.cluster", "tracker.retention", "tracker.buffer", "tracker.backlog", "tracker.memoryRecords",
		"log.level", "log.format",
		"telemetry.traces.endpoint", "telemetry.traces.protocol", "telemetry.traces.sampler",
		"telemetry.traces.ratio", "telemetry.traces.exportInterval",
		"auth.users", "auth.usersFile", "auth.roles", "auth.permissions", "auth.tokenKey", "auth.tokenKeyFile",
		"limits.maxConnectionsPerIP", "limits.requestsPerSecond", "limits.requestBurst",
		"fleet.drainWindow", "fleet.resetTimeout", "fleet.registrationGrace", "fleet.maxMoving", "fleet.drainTimeout", "fleet.shedWindow",
		"fleet.viewInterval", "fleet.autoShed",
	}
	if !slices.Equal(paths, want) {
		t.Errorf("field paths = %v, want %v", paths, want)
	}
}

// future mimics fields Config may grow: every supported kind.
type future struct {
	Name    string        `yaml:"name"`
	Count   int           `yaml:"count"`
	Wait    time.Duration `yaml:"wait"`
	Enabled bool          `yaml:"enabled"`
	Peers   []string      `yaml:"peers"`
	Skipped string        `yaml:"-"`
	hidden  string
	Inner   struct {
		DeepValue int64 `yaml:"deepValue"`
	} `yaml:"inner"`
}

func TestFieldKinds(t *testing.T) {
	var v future
	fields, err := fieldsOf(&v)
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]string{
		"name":            "x",
		"count":           "42",
		"wait":            "1m30s",
		"enabled":         "true",
		"peers":           " a, b ,,c ",
		"inner.deepValue": "-7",
	}
	for _, f := range fields {
		raw, ok := set[f.path]
		if !ok {
			t.Fatalf("unexpected field %s", f.path)
		}
		if err := f.set(raw); err != nil {
			t.Fatalf("set %s=%q: %v", f.path, raw, err)
		}
		delete(set, f.path)
	}
	if len(set) != 0 {
		t.Fatalf("fields not found: %v", set)
	}
	if v.Name != "x" || v.Count != 42 || v.Wait != 90*time.Second || !v.Enabled ||
		!slices.Equal(v.Peers, []string{"a", "b", "c"}) || v.Inner.DeepValue != -7 || v.Skipped != "" || v.hidden != "" {
		t.Errorf("after set: %+v", v)
	}
	for _, f := range fields {
		if f.path == "inner.deepValue" && f.env != "HERALD_INNER_DEEP_VALUE" {
			t.Errorf("env for inner.deepValue = %q", f.env)
		}
	}
}

func TestParseValueErrors(t *testing.T) {
	tests := []struct {
		typ  reflect.Type
		raw  string
		want string
	}{
		{durationType, "abc", "invalid duration"},
		{durationType, "20", "invalid duration"},
		{reflect.TypeFor[int](), "1.5", "invalid integer"},
		{reflect.TypeFor[int8](), "300", "invalid integer"},
		{reflect.TypeFor[bool](), "yes please", "invalid boolean"},
	}
	for _, tc := range tests {
		_, err := parseValue(tc.typ, tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.raw) {
			t.Errorf("parseValue(%s, %q) = %v, want error containing %q and the value", tc.typ, tc.raw, err, tc.want)
		}
	}
}

func TestFormatValueRoundTrip(t *testing.T) {
	for _, in := range []any{"s", 12, int64(-3), true, 1500 * time.Millisecond, []string{"a", "b"}} {
		v := reflect.ValueOf(in)
		s := formatValue(v)
		back, err := parseValue(v.Type(), s)
		if err != nil || !reflect.DeepEqual(back.Interface(), in) {
			t.Errorf("round trip %v via %q = %v, %v", in, s, back, err)
		}
	}
}

func TestFieldsOfErrors(t *testing.T) {
	tests := []struct {
		name string
		ptr  any
		want string
	}{
		{"not a pointer", Config{}, "pointer to a struct"},
		{"unsupported kind", &struct {
			M map[string]string `yaml:"m"`
		}{}, "field m: unsupported type"},
		{"missing tag", &struct{ Plain string }{}, "Plain has no yaml tag"},
		{"env clash", &struct {
			A string `yaml:"fooBar"`
			B string `yaml:"foo_bar"`
		}{}, "both map to HERALD_FOO_BAR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fieldsOf(tc.ptr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("fieldsOf = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestFlagValueZeroIsSafe(t *testing.T) {
	var fv flagValue
	if fv.String() != "" || fv.IsBoolFlag() || fv.Set("x") == nil {
		t.Error("zero flagValue misbehaves")
	}
}

func TestTypeName(t *testing.T) {
	tests := []struct {
		typ  reflect.Type
		want string
	}{
		{durationType, "duration"}, {stringsType, "list"}, {reflect.TypeFor[int64](), "int"},
		{reflect.TypeFor[string](), "string"}, {reflect.TypeFor[bool](), "bool"},
	}
	for _, tc := range tests {
		if got := typeName(tc.typ); got != tc.want {
			t.Errorf("typeName(%s) = %q, want %q", tc.typ, got, tc.want)
		}
	}
}
