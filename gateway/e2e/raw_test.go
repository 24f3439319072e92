package e2e

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/herald-gateway/herald/gateway/nacostest"
)

// errorReply is the body of an ErrorResponse or a failed typed response.
type errorReply struct {
	ResultCode int    `json:"resultCode"`
	ErrorCode  int    `json:"errorCode"`
	Success    bool   `json:"success"`
	Message    string `json:"message"`
}

// dialSetUp opens a raw connection with a session.
func dialSetUp(t *testing.T, addr string) *nacostest.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	c, err := nacostest.Dial(ctx, addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if c.ConnectionID == "" {
		t.Fatal("ServerCheck returned no connectionId")
	}
	if err := c.Setup(ctx, map[string]string{"source": "sdk", "module": "naming"}); err != nil {
		t.Fatalf("setup: %v", err)
	}
	// Setup has no reply; a health check proves the session exists.
	eventually(t, "session registered", wait, func() error {
		_, err := expectOK(c, "HealthCheckRequest", map[string]any{"requestId": "", "module": "internal"})
		return err
	})
	return c
}

func call(t *testing.T, c *nacostest.Client, typ string, body any) (nacostest.Message, errorReply) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	m, err := c.Request(ctx, typ, body)
	if err != nil {
		t.Fatalf("%s: transport error %v (bad input must be answered in-band)", typ, err)
	}
	var r errorReply
	if err := m.Decode(&r); err != nil {
		t.Fatalf("%s: reply %s is not JSON: %v", typ, m.Body, err)
	}
	return m, r
}

func expectOK(c *nacostest.Client, typ string, body any) (nacostest.Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	m, err := c.Request(ctx, typ, body)
	if err != nil {
		return m, err
	}
	var r errorReply
	if err := m.Decode(&r); err != nil {
		return m, err
	}
	if r.ResultCode != 200 || !r.Success {
		return m, &replyError{m.Type, r}
	}
	return m, nil
}

type replyError struct {
	typ string
	r   errorReply
}

func (e *replyError) Error() string {
	return e.typ + ": " + e.r.Message
}

func naming(service, group string) map[string]any {
	return map[string]any{"requestId": "", "module": "naming", "namespace": "", "serviceName": service, "groupName": group}
}

func with(base map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(base)+len(kv)/2)
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func goodInstance() map[string]any {
	return map[string]any{"ip": "10.9.0.1", "port": 80, "weight": 1, "healthy": true, "enabled": true, "ephemeral": true}
}

// Bad input is answered with a clear Nacos error while the connection and
// the server stay healthy.
func TestBadInputAnsweredInBand(t *testing.T) {
	d := startHerald(t, testConfig(t))
	c := dialSetUp(t, d.GRPCAddr().String())
	oversize := bytes.Repeat([]byte("x"), 10<<20+1)
	cases := []struct {
		name      string
		typ       string
		body      any
		wantType  string
		wantCode  int
		wantInMsg string
	}{
		{"unknown type", "NoSuchRequest", naming("s", ""), "ErrorResponse", 302, "NoSuchRequest"},
		{"missing type", "", naming("s", ""), "ErrorResponse", 302, "metadata.type"},
		{"malformed JSON", "InstanceRequest", []byte(`{"type":"registerInstance",`), "ErrorResponse", 502, "JSON"},
		{"JSON of the wrong shape", "InstanceRequest", []byte(`{"instance":"not an object"}`), "ErrorResponse", 502, "JSON"},
		{"empty body", "ServiceQueryRequest", []byte(``), "ErrorResponse", 502, "empty body"},
		{"oversize payload", "InstanceRequest", oversize, "ErrorResponse", 400, "limit"},
		{"invalid service name", "InstanceRequest", with(naming("bad@@name", ""), "type", "registerInstance", "instance", goodInstance()), "ErrorResponse", 400, "serviceName"},
		{"blank service name", "ServiceQueryRequest", naming("  ", ""), "ErrorResponse", 400, "serviceName"},
		{"invalid group name", "SubscribeServiceRequest", with(naming("s", "g@@x"), "subscribe", true), "ErrorResponse", 400, "groupName"},
		{"invalid namespace", "ServiceQueryRequest", with(naming("s", ""), "namespace", "no spaces allowed"), "ErrorResponse", 400, "namespace"},
		{"invalid cluster filter", "SubscribeServiceRequest", with(naming("s", ""), "subscribe", true, "clusters", "ok,not ok"), "ErrorResponse", 400, "clusterName"},
		{"missing instance", "InstanceRequest", with(naming("s", ""), "type", "registerInstance"), "ErrorResponse", 400, "instance"},
		{"missing ip", "InstanceRequest", with(naming("s", ""), "type", "registerInstance", "instance", map[string]any{"port": 80}), "ErrorResponse", 400, "ip"},
		{"bad port", "InstanceRequest", with(naming("s", ""), "type", "registerInstance", "instance", map[string]any{"ip": "10.0.0.1", "port": 70000}), "ErrorResponse", 400, "port"},
		{"unknown instance op", "InstanceRequest", with(naming("s", ""), "type", "explode", "instance", goodInstance()), "ErrorResponse", 400, "explode"},
		{"empty batch", "BatchInstanceRequest", with(naming("s", ""), "type", "batchRegisterInstance", "instances", []any{}), "ErrorResponse", 400, "instances"},
		{"bad page size", "ServiceListRequest", with(naming("", ""), "pageNo", 1, "pageSize", 0), "ErrorResponse", 400, "pageSize"},
		{"persistent instance missing", "PersistentInstanceRequest", with(naming("s", ""), "type", "registerInstance"), "ErrorResponse", 400, "instance"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, r := call(t, c, tc.typ, tc.body)
			if m.Type != tc.wantType || r.ErrorCode != tc.wantCode || r.ResultCode != 500 || r.Success {
				t.Fatalf("got type %s body %s; want %s errorCode %d", m.Type, m.Body, tc.wantType, tc.wantCode)
			}
			if !strings.Contains(r.Message, tc.wantInMsg) {
				t.Fatalf("message %q does not mention %q", r.Message, tc.wantInMsg)
			}
		})
	}
	// The same connection still works, and nothing bad was stored.
	if _, err := expectOK(c, "InstanceRequest", with(naming("s", ""), "type", "registerInstance", "instance", goodInstance())); err != nil {
		t.Fatalf("good request after bad ones: %v", err)
	}
	snap, err := d.Gateway().Registry().Query(t.Context(), key("s"))
	if err != nil || len(snap.Instances) != 1 {
		t.Fatalf("registry after bad input: %d instances, err %v", len(snap.Instances), err)
	}
	if _, err := expectOK(dialSetUp(t, d.GRPCAddr().String()), "HealthCheckRequest", map[string]any{}); err != nil {
		t.Fatalf("server unhealthy after bad input: %v", err)
	}
}

// A request before ConnectionSetupRequest gets errorCode 301, and the same
// transport works once set up.
func TestRequestBeforeSetup(t *testing.T) {
	d := startHerald(t, testConfig(t))
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	c, err := nacostest.Dial(ctx, d.GRPCAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m, r := call(t, c, "ServiceQueryRequest", naming("s", ""))
	if m.Type != "ErrorResponse" || r.ErrorCode != 301 {
		t.Fatalf("before setup: %s %s, want ErrorResponse 301", m.Type, m.Body)
	}
	if err := c.Setup(ctx, map[string]string{"source": "sdk"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "query after setup", wait, func() error {
		_, err := expectOK(c, "ServiceQueryRequest", naming("s", ""))
		return err
	})
}

// ServerCheck ids are per transport: two dials get two ids, and the id is
// the reference server's shape.
func TestServerCheckIDs(t *testing.T) {
	d := startHerald(t, testConfig(t))
	a, b := dialSetUp(t, d.GRPCAddr().String()), dialSetUp(t, d.GRPCAddr().String())
	if a.ConnectionID == b.ConnectionID {
		t.Fatalf("two transports share connectionId %q", a.ConnectionID)
	}
	if parts := strings.Split(a.ConnectionID, "_"); len(parts) != 3 || parts[1] != "127.0.0.1" {
		t.Fatalf("connectionId %q is not <millis>_<ip>_<port>", a.ConnectionID)
	}
}

// Pushes carry a unique requestId, a bare service name and the cluster
// filter echoed; acks are matched by requestId.
func TestPushShapeAndAck(t *testing.T) {
	d := startHerald(t, testConfig(t))
	sub := dialSetUp(t, d.GRPCAddr().String())
	reg := dialSetUp(t, d.GRPCAddr().String())
	if _, err := expectOK(sub, "SubscribeServiceRequest", with(naming("shape", ""), "subscribe", true, "clusters", "DEFAULT")); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var lastRev int64
	for i := 1; i <= 3; i++ {
		in := goodInstance()
		in["port"] = 1000 + i
		if _, err := expectOK(reg, "InstanceRequest", with(naming("shape", ""), "type", "registerInstance", "instance", in)); err != nil {
			t.Fatal(err)
		}
		push := recvType(t, sub, "NotifySubscriberRequest")
		var body struct {
			RequestID   string `json:"requestId"`
			ServiceName string `json:"serviceName"`
			ServiceInfo struct {
				Name        string `json:"name"`
				GroupName   string `json:"groupName"`
				Clusters    string `json:"clusters"`
				CacheMillis int64  `json:"cacheMillis"`
				LastRefTime int64  `json:"lastRefTime"`
				Hosts       []struct {
					Port int `json:"port"`
				} `json:"hosts"`
			} `json:"serviceInfo"`
		}
		if err := push.Decode(&body); err != nil {
			t.Fatal(err)
		}
		si := body.ServiceInfo
		if body.RequestID == "" || seen[body.RequestID] {
			t.Fatalf("push %d requestId %q is empty or reused", i, body.RequestID)
		}
		seen[body.RequestID] = true
		if si.Name != "shape" || si.GroupName != "DEFAULT_GROUP" || si.Clusters != "DEFAULT" || si.CacheMillis != 10000 {
			t.Fatalf("push %d shape: %s", i, push.Body)
		}
		if si.LastRefTime <= lastRev || len(si.Hosts) != 1 || si.Hosts[0].Port != 1000+i {
			t.Fatalf("push %d: lastRefTime %d after %d, hosts %v", i, si.LastRefTime, lastRev, si.Hosts)
		}
		lastRev = si.LastRefTime
		if err := sub.Ack("NotifySubscriberResponse", body.RequestID); err != nil {
			t.Fatal(err)
		}
	}
}

// recvType reads stream messages until one of type typ arrives.
func recvType(t *testing.T, c *nacostest.Client, typ string) nacostest.Message {
	t.Helper()
	got := make(chan nacostest.Message, 1)
	errs := make(chan error, 1)
	go func() {
		for {
			m, err := c.Recv()
			if err != nil {
				errs <- err
				return
			}
			if m.Type == typ {
				got <- m
				return
			}
		}
	}()
	select {
	case m := <-got:
		return m
	case err := <-errs:
		t.Fatalf("stream ended waiting for %s: %v", typ, err)
	case <-time.After(wait):
		t.Fatalf("no %s within %v", typ, wait)
	}
	return nacostest.Message{}
}

// An idle connection is probed with ClientDetectionRequest: one that
// answers stays, one that does not is closed and its instance released.
func TestClientDetection(t *testing.T) {
	cfg := testConfig(t)
	cfg.Session.IdleTimeout = time.Second
	cfg.Session.DetectTimeout = 300 * time.Millisecond
	d := startHerald(t, cfg)
	answers, silent := dialSetUp(t, d.GRPCAddr().String()), dialSetUp(t, d.GRPCAddr().String())
	in := goodInstance()
	if _, err := expectOK(silent, "InstanceRequest", with(naming("probe", ""), "type", "registerInstance", "instance", in)); err != nil {
		t.Fatal(err)
	}
	probe := recvType(t, answers, "ClientDetectionRequest")
	var body struct {
		RequestID string `json:"requestId"`
	}
	if err := probe.Decode(&body); err != nil || body.RequestID == "" {
		t.Fatalf("probe %s: %v", probe.Body, err)
	}
	if err := answers.Ack("ClientDetectionResponse", body.RequestID); err != nil {
		t.Fatal(err)
	}
	// The silent one reads its probe but never answers: it must be closed.
	recvType(t, silent, "ClientDetectionRequest")
	if _, err := silent.Recv(); err == nil {
		t.Fatal("silent connection's stream still open")
	}
	eventually(t, "silent connection's instance released", wait, func() error {
		snap, err := d.Gateway().Registry().Query(t.Context(), key("probe"))
		if err == nil && len(snap.Instances) != 0 {
			err = fmt.Errorf("%d instances remain", len(snap.Instances))
		}
		return err
	})
	if _, err := expectOK(answers, "HealthCheckRequest", map[string]any{}); err != nil {
		t.Fatalf("answering connection was closed: %v", err)
	}
}
