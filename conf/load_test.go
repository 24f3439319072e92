package conf

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeFile writes content to a fresh file and returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "herald.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadFileOverrides(t *testing.T) {
	path := writeFile(t, `
node: edge-1
grpc:
  addr: ":0"
session:
  idleTimeout: 30s
  ackTimeout: 500ms
log:
  format: json
`)
	got, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Node = "edge-1"
	want.GRPC.Addr = ":0"
	want.Session.IdleTimeout = 30 * time.Second
	want.Session.AckTimeout = 500 * time.Millisecond
	want.Log.Format = "json"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LoadFile =\n%+v\nwant\n%+v", got, want)
	}
}

func TestLoadFileEmpty(t *testing.T) {
	for _, content := range []string{"", "# only a comment\n"} {
		got, err := LoadFile(writeFile(t, content))
		if err != nil || !reflect.DeepEqual(got, Default()) {
			t.Errorf("LoadFile(%q) = %+v, %v; want Default()", content, got, err)
		}
	}
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		name, content string
		want          []string
	}{
		{"unknown top key", "nodes: x\n", []string{"nodes", "line 1"}},
		{"unknown nested key", "session:\n  idleTimeOut: 5s\n", []string{"idleTimeOut", "line 2"}},
		{"bad duration", "session:\n  idleTimeout: soon\n", []string{"soon"}},
		{"bare number duration", "session:\n  idleTimeout: 20\n", []string{"line 2"}},
		{"bad int", "grpc:\n  maxMessageBytes: big\n", []string{"big"}},
		{"two documents", "node: a\n---\nnode: b\n", []string{"more than one YAML document"}},
		{"not yaml", "grpc: [\n", []string{"herald.yaml"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.content)
			_, err := LoadFile(path)
			if err == nil {
				t.Fatal("LoadFile succeeded, want error")
			}
			for _, w := range append(tc.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := LoadFile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadFile(missing) = %v, want not-exist error naming %s", err, path)
	}
}

func TestLoadPrecedence(t *testing.T) {
	file := writeFile(t, "node: from-file\nsession:\n  idleTimeout: 30s\n  pushQueue: 10\ngrpc:\n  maxMessageBytes: 2048\n")
	other := writeFile(t, "node: from-other-file\n")
	tests := []struct {
		name string
		args []string
		env  []string
		want func(*Config)
	}{
		{"defaults only", nil, nil, func(*Config) {}},
		{"file via env", nil, []string{"HERALD_CONFIG=" + file}, func(c *Config) {
			c.Node, c.Session.IdleTimeout, c.Session.PushQueue, c.GRPC.MaxMessageBytes = "from-file", 30*time.Second, 10, 2048
		}},
		{"file via flag beats HERALD_CONFIG", []string{"-config", other}, []string{"HERALD_CONFIG=" + file}, func(c *Config) {
			c.Node = "from-other-file"
		}},
		{"env beats file", nil, []string{"HERALD_CONFIG=" + file, "HERALD_NODE=from-env", "HERALD_SESSION_IDLE_TIMEOUT=40s", "HERALD_GRPC_MAX_MESSAGE_BYTES=4096"}, func(c *Config) {
			c.Node, c.Session.IdleTimeout, c.Session.PushQueue, c.GRPC.MaxMessageBytes = "from-env", 40*time.Second, 10, 4096
		}},
		{"flag beats env", []string{"-node=from-flag", "-session.idleTimeout", "50s", "-config=" + file}, []string{"HERALD_NODE=from-env", "HERALD_SESSION_IDLE_TIMEOUT=40s"}, func(c *Config) {
			c.Node, c.Session.IdleTimeout, c.Session.PushQueue, c.GRPC.MaxMessageBytes = "from-flag", 50*time.Second, 10, 2048
		}},
		{"last repeated flag wins", []string{"-log.level=debug", "-log.level=warn"}, nil, func(c *Config) { c.Log.Level = "warn" }},
		{"later env duplicate wins", nil, []string{"HERALD_LOG_LEVEL=debug", "HERALD_LOG_LEVEL=error"}, func(c *Config) { c.Log.Level = "error" }},
		{"unrelated env ignored", nil, []string{"PATH=/bin", "NODE=x", "HERALD_UNKNOWN=1", "garbage"}, func(*Config) {}},
		{"telemetry", []string{"-telemetry.traces.ratio=0.25"}, []string{"HERALD_TELEMETRY_TRACES_SAMPLER=ratio", "HERALD_TELEMETRY_TRACES_ENDPOINT=http://127.0.0.1:4318"}, func(c *Config) {
			c.Telemetry.Traces.Ratio, c.Telemetry.Traces.Sampler, c.Telemetry.Traces.Endpoint = 0.25, "ratio", "http://127.0.0.1:4318"
		}},
		{"addresses", []string{"-grpc.addr=:0", "-http.addr=:0", "-admin.addr=127.0.0.1:0"}, nil, func(c *Config) {
			c.GRPC.Addr, c.HTTP.Addr, c.Admin.Addr = ":0", ":0", "127.0.0.1:0"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Load(tc.args, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			want := Default()
			tc.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		want []string
	}{
		{"bad env duration", nil, []string{"HERALD_SESSION_IDLE_TIMEOUT=abc"}, []string{"HERALD_SESSION_IDLE_TIMEOUT", "session.idleTimeout", `"abc"`}},
		{"bad env int", nil, []string{"HERALD_SESSION_PUSH_QUEUE=many"}, []string{"HERALD_SESSION_PUSH_QUEUE", "session.pushQueue", `"many"`}},
		{"empty env int", nil, []string{"HERALD_GRPC_MAX_MESSAGE_BYTES="}, []string{"HERALD_GRPC_MAX_MESSAGE_BYTES", "grpc.maxMessageBytes"}},
		{"every bad env reported", nil, []string{"HERALD_SESSION_IDLE_TIMEOUT=abc", "HERALD_SESSION_ACK_TIMEOUT=xyz"}, []string{"HERALD_SESSION_IDLE_TIMEOUT", "HERALD_SESSION_ACK_TIMEOUT"}},
		{"bad flag duration", []string{"-session.idleTimeout=abc"}, nil, []string{"-session.idleTimeout", "field session.idleTimeout", `"abc"`}},
		{"bad env float", nil, []string{"HERALD_TELEMETRY_TRACES_RATIO=half"}, []string{"HERALD_TELEMETRY_TRACES_RATIO", "telemetry.traces.ratio", `"half"`}},
		{"bad flag int", []string{"-grpc.maxMessageBytes", "1e6"}, nil, []string{"-grpc.maxMessageBytes", "field grpc.maxMessageBytes", `"1e6"`}},
		{"unknown flag", []string{"-grpc.port=1"}, nil, []string{"grpc.port"}},
		{"positional arg", []string{"serve"}, nil, []string{`unexpected argument "serve"`}},
		{"missing config file via env", nil, []string{"HERALD_CONFIG=/does/not/exist.yaml"}, []string{"/does/not/exist.yaml"}},
		{"missing config file via flag", []string{"-config", "/nope.yaml"}, nil, []string{"/nope.yaml"}},
		{"validation", []string{"-session.idleTimeout=10ms"}, nil, []string{"invalid configuration", "session.idleTimeout: must be at least 1s, got 10ms"}},
		{"validation via env", nil, []string{"HERALD_UPSTREAM_KIND=nacos"}, []string{`upstream.servers: kind "nacos" needs at least one upstream gRPC address host:port`}},
		{"clash via flag", []string{"-http.addr=127.0.0.1:9848"}, nil, []string{"http.addr", "clashes with grpc.addr"}},
		{"empty env string validated", nil, []string{"HERALD_NODE="}, []string{"node: must not be empty"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Load(tc.args, tc.env)
			if err == nil {
				t.Fatalf("Load succeeded with %+v, want error", got)
			}
			if !reflect.DeepEqual(got, Config{}) {
				t.Errorf("Load returned non-zero Config %+v alongside error", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadHelp(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		if _, err := Load([]string{arg}, nil); err != flag.ErrHelp {
			t.Errorf("Load(%s) error = %v, want flag.ErrHelp", arg, err)
		}
	}
}

func TestUsage(t *testing.T) {
	var buf bytes.Buffer
	Usage(&buf)
	out := buf.String()
	for _, w := range []string{"-config", "HERALD_CONFIG", "-session.idleTimeout duration", "HERALD_SESSION_IDLE_TIMEOUT", "20s", "-session.pushQueue int", "-grpc.maxMessageBytes", "10485760", "127.0.0.1:8850"} {
		if !strings.Contains(out, w) {
			t.Errorf("usage does not mention %q:\n%s", w, out)
		}
	}
}

func TestFlagKinds(t *testing.T) {
	var v future
	fields, err := fieldsOf(&v)
	if err != nil {
		t.Fatal(err)
	}
	fs, _, staged := newFlagSet(fields, io.Discard)
	if err := fs.Parse([]string{"-enabled", "-peers=x,y", "-wait=2s", "-count", "3"}); err != nil {
		t.Fatal(err)
	}
	if v.Enabled || v.Peers != nil {
		t.Fatal("flags applied before staging was applied")
	}
	for _, s := range *staged {
		if err := s.f.set(s.raw); err != nil {
			t.Fatal(err)
		}
	}
	if !v.Enabled || strings.Join(v.Peers, "|") != "x|y" || v.Wait != 2*time.Second || v.Count != 3 {
		t.Errorf("after flags: %+v", v)
	}
	if err := fs.Parse([]string{"-enabled=maybe"}); err == nil || !strings.Contains(err.Error(), "field enabled") {
		t.Errorf("bad bool flag error = %v", err)
	}
}
