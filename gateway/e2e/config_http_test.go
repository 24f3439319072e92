package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/upstream"
)

// Bad config requests over HTTP each get a clear 400 on one kept-alive
// connection, which then still serves a good request: neither the
// connection nor the server suffers.
func TestHTTPConfigBadInputKeepsConnection(t *testing.T) {
	cfg := testConfig(t)
	cfg.Config.MaxContentBytes = 1024
	d := startHerald(t, cfg)
	conn, err := net.Dial("tcp", d.HTTPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	send := func(method, path string, form url.Values, header map[string]string) (int, string) {
		t.Helper()
		body := form.Encode()
		req := fmt.Sprintf("%s /nacos%s HTTP/1.1\r\nHost: herald\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n", method, path, len(body))
		for k, v := range header {
			req += k + ": " + v + "\r\n"
		}
		if _, err := io.WriteString(conn, req+"\r\n"+body); err != nil {
			t.Fatalf("write: %v", err)
		}
		if err := conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	poll := map[string]string{"Long-Pulling-Timeout": "30000"}
	var many strings.Builder
	for i := range 10001 {
		fmt.Fprintf(&many, "k%d\x02g\x02\x01", i)
	}
	cases := []struct {
		name, method, path string
		form               url.Values
		header             map[string]string
		want               string
	}{
		{"invalid dataId", "POST", "/v1/cs/configs", url.Values{"dataId": {"bad id"}, "content": {"x"}}, nil, "dataId: must not contain ' '"},
		{"invalid group", "POST", "/v1/cs/configs", url.Values{"dataId": {"a"}, "group": {"g*"}, "content": {"x"}}, nil, "group: must not contain '*'"},
		{"oversize content", "POST", "/v1/cs/configs", url.Values{"dataId": {"a"}, "content": {strings.Repeat("x", 1025)}}, nil, "content: must be at most 1024 bytes, got 1025"},
		{"empty content", "POST", "/v1/cs/configs", url.Values{"dataId": {"a"}, "content": {""}}, nil, "content: must not be blank"},
		{"malformed Listening-Configs", "POST", "/v1/cs/configs/listener", url.Values{"Listening-Configs": {"a\x02g\x01"}}, poll, "Listening-Configs record 1 has 2 fields"},
		{"more than 10,000 keys", "POST", "/v1/cs/configs/listener", url.Values{"Listening-Configs": {many.String()}}, poll, "at most 10000 keys in one listen"},
	}
	for _, c := range cases {
		if code, body := send(c.method, c.path, c.form, c.header); code != 400 || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %q, want a 400 containing %q", c.name, code, body, c.want)
		}
	}
	// A listen for keys nobody published, holding nothing: in sync, so
	// held; with no-hangup it answers at once, empty.
	noHang := map[string]string{"Long-Pulling-Timeout": "30000", "Long-Pulling-Timeout-No-Hangup": "true"}
	if code, body := send("POST", "/v1/cs/configs/listener", url.Values{"Listening-Configs": {"nobody\x02g\x02\x01"}}, noHang); code != 200 || body != "" {
		t.Errorf("listen for an unknown key: %d %q, want 200 empty", code, body)
	}
	if code, body := send("POST", "/v1/cs/configs", url.Values{"dataId": {"a"}, "content": {"fine"}}, nil); code != 200 || body != "true" {
		t.Fatalf("a good publish on the same connection: %d %q", code, body)
	}
	if code, body := send("GET", "/v1/cs/configs?dataId=a", url.Values{}, nil); code != 200 || body != "fine" {
		t.Fatalf("get on the same connection: %d %q", code, body)
	}
}

// A Go SDK listener (gRPC) is reported by the 1.x listener queries with
// the md5 it holds, like a held long poll (http1's TestListenerQueries).
func TestHTTPListenerQueriesSeeGRPCListeners(t *testing.T) {
	d := startHerald(t, testConfig(t))
	c := newConfigClient(t, grpcPort(t, d), "")
	mustPublish(t, c, vo.ConfigParam{DataId: "watched", Group: "G", Content: "v1"})
	if got := mustGet(t, c, "G", "watched"); got != "v1" {
		t.Fatalf("get %q", got)
	}
	w := newConfigWatch()
	listen(t, c, "G", "watched", w)
	md5 := upstream.Md5Hex("v1")
	query := func(path string, q url.Values) map[string]string {
		code, body := nacosCall(t, d, http.MethodGet, path, q)
		var st struct {
			CollectStatus int               `json:"collectStatus"`
			Status        map[string]string `json:"lisentersGroupkeyStatus"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &st) != nil || st.CollectStatus != 200 {
			t.Fatalf("GET %s: %d %q", path, code, body)
		}
		return st.Status
	}
	// The IP is the one the SDK reports for itself (its connection's clientIp).
	var ip string
	eventually(t, "the gRPC listener in GET /v1/cs/configs/listener", goListenWait, func() error { // its first listen comes at the SDK's 5 s tick
		got := query("/v1/cs/configs/listener", url.Values{"dataId": {"watched"}, "group": {"G"}})
		for k, v := range got {
			ip = k
			if len(got) == 1 && v == md5 {
				return nil
			}
		}
		return fmt.Errorf("listeners %v, want one IP holding %s", got, md5)
	})
	if got := query("/v1/cs/listener", url.Values{"ip": {ip}}); len(got) != 1 || got["watched+G"] != md5 {
		t.Fatalf("what %s listens to: %v, want watched+G holding %s", ip, got, md5)
	}
}
