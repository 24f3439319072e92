package loadgen

import (
	"encoding/json"
	"testing"

	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/upstream"
)

func pushBody(t *testing.T, id string, hosts ...upstream.Instance) []byte {
	t.Helper()
	b, err := json.Marshal(nacoswire.NotifySubscriberRequest{
		Request:   nacoswire.Request{RequestID: id, Module: "naming"},
		Namespace: "public", ServiceName: "svc", GroupName: "DEFAULT_GROUP",
		ServiceInfo: &upstream.ServiceInfo{Name: "svc", GroupName: "DEFAULT_GROUP", Hosts: hosts, Valid: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestScanServerRequestReadsPushes checks the fast path against
// encoding/json on the bodies Herald sends, and that it is taken for
// them (else the load generator silently pays for encoding/json again).
func TestScanServerRequestReadsPushes(t *testing.T) {
	host := func(port uint64, meta map[string]string) upstream.Instance {
		return upstream.Instance{InstanceID: "i", IP: "10.1.0.1", Port: port, Weight: 1, Healthy: true, Enabled: true,
			ClusterName: "DEFAULT", ServiceName: "DEFAULT_GROUP@@svc", Metadata: meta}
	}
	detection, _ := json.Marshal(nacoswire.Request{RequestID: "77", Module: "internal"})
	config, _ := json.Marshal(nacoswire.ConfigChangeNotifyRequest{ConfigRequest: nacoswire.ConfigRequest{
		Request: nacoswire.Request{RequestID: "78", Module: "config"}, DataID: "d", Group: "g"}})
	cases := map[string]struct {
		body []byte
		want serverRequest
	}{
		"no hosts":  {pushBody(t, "12"), serverRequest{RequestID: "12"}},
		"one host":  {pushBody(t, "13", host(1001, nil)), serverRequest{"13", 1001}},
		"three":     {pushBody(t, "14", host(1002, nil), host(7, nil), host(8, nil)), serverRequest{"14", 1002}},
		"metadata":  {pushBody(t, "15", host(1003, map[string]string{"port": "9", "hosts": "[x]", "{": "}"})), serverRequest{"15", 1003}},
		"detection": {detection, serverRequest{RequestID: "77"}},
		"config":    {config, serverRequest{RequestID: "78"}},
		"nulls":     {[]byte(`{"serviceInfo":null,"requestId":"1"}`), serverRequest{RequestID: "1"}},
	}
	for name, c := range cases {
		got, ok := scanServerRequest(c.body)
		if !ok || got != c.want {
			t.Errorf("%s: scan = %+v, %v; want %+v, true", name, got, ok, c.want)
		}
		if j, err := decodeServerRequest(c.body); err != nil || j != c.want {
			t.Errorf("%s: encoding/json reads %+v, %v; the case is wrong", name, j, err)
		}
	}
}

// TestScanServerRequestGivesUp checks bodies the scan must leave to
// encoding/json, and that readServerRequest then answers as it does.
func TestScanServerRequestGivesUp(t *testing.T) {
	for _, body := range []string{
		`{"requestId":"a\"b"}`,              // escapes
		`{"requestId":"1","requestId":"2"}`, // a key twice: the last wins in encoding/json
		`{"RequestID":"1"}`,                 // another case
		`{"requestId":7}`,                   // not a string
		`{"requestId":null}`,                // null
		`{"serviceInfo":{"hosts":[{"port":1.5}]}}`,
		`{"serviceInfo":{"hosts":[{"PORT":3}]}}`,
		`{"serviceInfo":{"hosts":[{"port":"3"}]}}`,
		`{"serviceInfo":{"hosts":[{"port":3,"port":4}]}}`,
		`{"serviceInfo":{"hosts":[],"hosts":[{"port":4}]}}`,
		`{"requestId":"1"`, // truncated
		`""`,               // not an object
		`{"requestId":"1",}`,
		`{"requestId":"1"}x`,
		`{"a":01,"requestId":"1"}`,
		`{"a":tru,"requestId":"1"}`,
		`{"a":[1,],"requestId":"1"}`,
		`{"a" 1,"requestId":"1"}`,
		`{"a":-,"requestId":"1"}`,
		`{"a":1.,"requestId":"1"}`,
		`{"a":"` + "\x01" + `","requestId":"1"}`,
		`{"a":"é","requestId":"1"}`,
		`{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],"requestId":"1"}`,
		``,
	} {
		if r, ok := scanServerRequest([]byte(body)); ok {
			t.Errorf("%s: scan answered %+v; it must give up", body, r)
		}
		got, err := readServerRequest([]byte(body))
		want, wantErr := decodeServerRequest([]byte(body))
		if got != want || (err == nil) != (wantErr == nil) {
			t.Errorf("%s: read %+v, %v; encoding/json %+v, %v", body, got, err, want, wantErr)
		}
	}
}

// FuzzReadServerRequest: whatever the body, the reading is encoding/json's.
func FuzzReadServerRequest(f *testing.F) {
	f.Add([]byte(`{"requestId":"1","serviceInfo":{"hosts":[{"ip":"x","port":1001},{"port":2}]}}`))
	f.Add([]byte(`{"a":[{"requestId":"2"}],"requestId":"3","serviceInfo":{"x":{"hosts":[{"port":5}]},"hosts":[[1],{"port":6}]}}`))
	f.Add([]byte(`{"serviceInfo":{"hosts":[{"port":-0}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := readServerRequest(body)
		want, wantErr := decodeServerRequest(body)
		if (err == nil) != (wantErr == nil) || (err == nil && got != want) {
			t.Fatalf("%q: read %+v, %v; encoding/json %+v, %v", body, got, err, want, wantErr)
		}
	})
}

// TestAckBodyIsEncodingJSONs checks the appended ack against json.Marshal.
func TestAckBodyIsEncodingJSONs(t *testing.T) {
	for _, id := range []string{"", "1", "12345678901234", "a-b_c.d", "<&>", "a\"b", "é", "\x01"} {
		want, _ := json.Marshal(nacoswire.Success(id))
		if got := ackBody(id); string(got) != string(want) {
			t.Errorf("ackBody(%q) = %s, want %s", id, got, want)
		}
	}
}

func BenchmarkReadServerRequest(b *testing.B) {
	t := &testing.T{}
	body := pushBody(t, "123456", upstream.Instance{InstanceID: "10.1.0.1#1001#DEFAULT#DEFAULT_GROUP@@svc", IP: "10.1.0.1", Port: 1001,
		Weight: 1, Healthy: true, Enabled: true, Ephemeral: true, ClusterName: "DEFAULT", ServiceName: "DEFAULT_GROUP@@svc"})
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			if _, err := readServerRequest(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeServerRequest(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
