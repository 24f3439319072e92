package conf

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // expected in the error; "" means valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"empty node", func(c *Config) { c.Node = " " }, "node: must not be empty"},
		{"max message too small", func(c *Config) { c.GRPC.MaxMessageBytes = 1023 }, "grpc.maxMessageBytes: must be between 1024 and 67108864, got 1023"},
		{"max message too big", func(c *Config) { c.GRPC.MaxMessageBytes = 67108865 }, "grpc.maxMessageBytes: must be between 1024 and 67108864, got 67108865"},
		{"max message bounds", func(c *Config) { c.GRPC.MaxMessageBytes = 1024 }, ""},
		{"max message upper bound", func(c *Config) { c.GRPC.MaxMessageBytes = 67108864 }, ""},
		{"grpc transport gonet", func(c *Config) { c.GRPC.Transport = "gonet" }, ""},
		{"grpc transport unknown", func(c *Config) { c.GRPC.Transport = "epoll" }, "grpc.transport"},
		{"upstream nacos without servers", func(c *Config) { c.Upstream.Kind = "nacos" }, `upstream.servers: kind "nacos" needs at least one upstream gRPC address host:port`},
		{"upstream server without port", func(c *Config) {
			c.Upstream.Kind, c.Upstream.Servers = "nacos", []string{"127.0.0.1:9848", "nacos-1"}
		}, `upstream.servers[1]: "nacos-1" is not host:port`},
		{"upstream server port 0", func(c *Config) {
			c.Upstream.Kind, c.Upstream.Servers = "nacos", []string{"nacos-1:0"}
		}, `upstream.servers[0]: "nacos-1:0": port must be a number in 1..65535`},
		{"upstream server no host", func(c *Config) {
			c.Upstream.Kind, c.Upstream.Servers = "nacos", []string{":9848"}
		}, `upstream.servers[0]: ":9848" has no host`},
		{"upstream linger negative", func(c *Config) { c.Upstream.Linger = -time.Second }, `upstream.linger: must be within 0s..1h0m0s`},
		{"upstream request timeout", func(c *Config) { c.Upstream.RequestTimeout = time.Millisecond }, `upstream.requestTimeout: must be within 100ms..1m0s`},
		{"upstream resync grace", func(c *Config) { c.Upstream.ResyncGrace = time.Hour }, `upstream.resyncGrace: must be within 0s..5m0s`},
		{"upstream unknown", func(c *Config) { c.Upstream.Kind = "consul" }, `upstream.kind: must be "embedded" or "nacos", got "consul"`},
		{"trace protocol", func(c *Config) { c.Telemetry.Traces.Protocol = "udp" }, `telemetry.traces.protocol: must be one of http|grpc, got "udp"`},
		{"trace sampler", func(c *Config) { c.Telemetry.Traces.Sampler = "sometimes" }, `telemetry.traces.sampler: must be one of always|ratio|off, got "sometimes"`},
		{"trace ratio", func(c *Config) { c.Telemetry.Traces.Ratio = 1.5 }, `telemetry.traces.ratio: must be between 0 and 1, got 1.5`},
		{"trace endpoint", func(c *Config) { c.Telemetry.Traces.Endpoint = "collector:4318" }, `telemetry.traces.endpoint: must be an http:// or https:// URL with a host, got "collector:4318"`},
		{"trace export interval", func(c *Config) { c.Telemetry.Traces.ExportInterval = time.Millisecond }, `telemetry.traces.exportInterval: must be at least 10ms, got 1ms`},
		{"idle timeout", func(c *Config) { c.Session.IdleTimeout = 10 * time.Millisecond }, "session.idleTimeout: must be at least 1s, got 10ms"},
		{"idle timeout bound", func(c *Config) { c.Session.IdleTimeout = time.Second }, ""},
		{"detect timeout", func(c *Config) { c.Session.DetectTimeout = 99 * time.Millisecond }, "session.detectTimeout: must be at least 100ms, got 99ms"},
		{"detect timeout bound", func(c *Config) { c.Session.DetectTimeout = 100 * time.Millisecond }, ""},
		{"push queue zero", func(c *Config) { c.Session.PushQueue = 0 }, "session.pushQueue: must be between 1 and 1048576, got 0"},
		{"push queue too big", func(c *Config) { c.Session.PushQueue = 1048577 }, "session.pushQueue: must be between 1 and 1048576, got 1048577"},
		{"push queue bounds", func(c *Config) { c.Session.PushQueue = 1 }, ""},
		{"ack timeout", func(c *Config) { c.Session.AckTimeout = 0 }, "session.ackTimeout: must be at least 100ms, got 0s"},
		{"log level", func(c *Config) { c.Log.Level = "trace" }, `log.level: must be one of debug|info|warn|error, got "trace"`},
		{"log format", func(c *Config) { c.Log.Format = "xml" }, `log.format: must be one of text|json, got "xml"`},
		{"grpc addr no port", func(c *Config) { c.GRPC.Addr = "localhost" }, `grpc.addr: must be host:port, got "localhost"`},
		{"http addr empty", func(c *Config) { c.HTTP.Addr = "" }, `http.addr: must be host:port, got ""`},
		{"admin addr named port", func(c *Config) { c.Admin.Addr = "127.0.0.1:http" }, `admin.addr: port must be a number 0..65535, got "http"`},
		{"admin addr port too big", func(c *Config) { c.Admin.Addr = "127.0.0.1:65536" }, `admin.addr: port must be a number 0..65535, got "65536"`},
		{"admin addr negative port", func(c *Config) { c.Admin.Addr = "127.0.0.1:-1" }, `admin.addr: port must be a number 0..65535`},
		{"ipv6 addr", func(c *Config) { c.Admin.Addr = "[::1]:8850" }, ""},
		{"max port", func(c *Config) { c.Admin.Addr = "127.0.0.1:65535" }, ""},
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
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() error %v is not a *FieldError", err)
			}
		})
	}
}

func TestValidateAddrClash(t *testing.T) {
	tests := []struct {
		name              string
		grpc, http, admin string
		want              string // "" means no clash
	}{
		{"defaults", ":9848", ":8848", "127.0.0.1:8850", ""},
		{"same addr", ":9848", ":9848", "127.0.0.1:8850", `http.addr: ":9848" clashes with grpc.addr ":9848"`},
		{"empty host vs loopback", ":9848", ":8848", "127.0.0.1:9848", `admin.addr: "127.0.0.1:9848" clashes with grpc.addr ":9848"`},
		{"loopback vs empty host", "127.0.0.1:9848", ":9848", "127.0.0.1:8850", `http.addr: ":9848" clashes with grpc.addr "127.0.0.1:9848"`},
		{"0.0.0.0 vs host", "0.0.0.0:7000", "10.0.0.1:7000", "127.0.0.1:8850", `http.addr: "10.0.0.1:7000" clashes with grpc.addr "0.0.0.0:7000"`},
		{"same host same port", "10.0.0.1:7000", ":8848", "10.0.0.1:7000", `admin.addr: "10.0.0.1:7000" clashes with grpc.addr "10.0.0.1:7000"`},
		{"numerically equal ports", ":9848", ":09848", "127.0.0.1:8850", `http.addr: ":09848" clashes with grpc.addr ":9848"`},
		{"different hosts same port", "10.0.0.1:7000", "10.0.0.2:7000", "127.0.0.1:7000", ""},
		{"all port zero", ":0", ":0", "127.0.0.1:0", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.GRPC.Addr, c.HTTP.Addr, c.Admin.Addr = tc.grpc, tc.http, tc.admin
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

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Default()
	c.Node = ""
	c.Session.IdleTimeout = 0
	c.Log.Format = "xml"
	c.HTTP.Addr = c.GRPC.Addr
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want errors")
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("Validate() error %T does not join errors", err)
	}
	var fields []string
	for _, e := range joined.Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("%v is not a *FieldError", e)
		}
		fields = append(fields, fe.Field)
	}
	want := "node,session.idleTimeout,log.format,http.addr"
	if got := strings.Join(fields, ","); got != want {
		t.Errorf("fields with problems = %s, want %s", got, want)
	}
}

func TestValidateNil(t *testing.T) {
	var c *Config
	if err := c.Validate(); err == nil {
		t.Error("nil Config validated")
	}
}

func TestValidateHTTPNamesTheField(t *testing.T) {
	cases := map[string]func(*Config){
		"http.beatDeleteTimeout": func(c *Config) { c.HTTP.BeatDeleteTimeout = c.HTTP.BeatTimeout - 1 },
		"http.users":             func(c *Config) { c.HTTP.Users = []string{"nacos"} },
		"http.maxBodyBytes":      func(c *Config) { c.HTTP.MaxBodyBytes = 10 },
		"http.udpAddr":           func(c *Config) { c.HTTP.UDPAddr = "nowhere" },
	}
	for field, mutate := range cases {
		c := Default()
		mutate(&c)
		err := c.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: Validate() = %v, want a FieldError naming it", field, err)
		}
	}
}
