package e2e

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/gateway/daemon"
)

// TestHTTPBadParams: missing or malformed parameters get 400 with a body
// naming the parameter, and Herald keeps serving.
func TestHTTPBadParams(t *testing.T) {
	d := startHerald(t, testConfig(t))
	svc := "DEFAULT_GROUP@@bad"
	cases := []struct {
		name, method, path string
		q                  url.Values
		want               string
	}{
		{"no serviceName", http.MethodPost, "/v1/ns/instance", url.Values{"ip": {"1.1.1.1"}, "port": {"80"}}, "serviceName"},
		{"no ip", http.MethodPost, "/v1/ns/instance", url.Values{"serviceName": {svc}, "port": {"80"}}, "'ip'"},
		{"no port", http.MethodDelete, "/v1/ns/instance", url.Values{"serviceName": {svc}, "ip": {"1.1.1.1"}}, "'port'"},
		{"port not a number", http.MethodPost, "/v1/ns/instance", url.Values{"serviceName": {svc}, "ip": {"1.1.1.1"}, "port": {"http"}}, "port must be"},
		{"port out of range", http.MethodPost, "/v1/ns/instance", url.Values{"serviceName": {svc}, "ip": {"1.1.1.1"}, "port": {"70000"}}, "port must be"},
		{"weight", http.MethodPost, "/v1/ns/instance", url.Values{"serviceName": {svc}, "ip": {"1.1.1.1"}, "port": {"80"}, "weight": {"heavy"}}, "weight"},
		{"healthy", http.MethodPost, "/v1/ns/instance", url.Values{"serviceName": {svc}, "ip": {"1.1.1.1"}, "port": {"80"}, "healthy": {"maybe"}}, "healthy"},
		{"metadata", http.MethodPost, "/v1/ns/instance", url.Values{"serviceName": {svc}, "ip": {"1.1.1.1"}, "port": {"80"}, "metadata": {`{"a":`}}, "metadata"},
		{"bad service name", http.MethodPost, "/v1/ns/instance", url.Values{"serviceName": {"G@@has space"}, "ip": {"1.1.1.1"}, "port": {"80"}}, "serviceName"},
		{"beat not JSON", http.MethodPut, "/v1/ns/instance/beat", url.Values{"serviceName": {svc}, "beat": {"{"}}, "beat"},
		{"beat without port", http.MethodPut, "/v1/ns/instance/beat", url.Values{"serviceName": {svc}, "beat": {`{"ip":"1.1.1.1"}`}}, "beat"},
		{"udpPort", http.MethodGet, "/v1/ns/instance/list", url.Values{"serviceName": {svc}, "udpPort": {"-1"}}, "udpPort"},
		{"clientIP", http.MethodGet, "/v1/ns/instance/list", url.Values{"serviceName": {svc}, "udpPort": {"5000"}, "clientIP": {"nowhere"}}, "clientIP"},
		{"healthyOnly", http.MethodGet, "/v1/ns/instance/list", url.Values{"serviceName": {svc}, "healthyOnly": {"yes"}}, "healthyOnly"},
		{"pageNo", http.MethodGet, "/v1/ns/service/list", url.Values{"pageNo": {"0"}}, "pageNo"},
	}
	for _, c := range cases {
		code, body := nacosCall(t, d, c.method, c.path, c.q)
		if code != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %q, want 400 mentioning %q", c.name, code, body, c.want)
		}
	}
	if status := announceHugeBody(t, d); !strings.Contains(status, "413") {
		t.Errorf("a 2 MiB body: %q, want 413", status)
	}
	code, body := nacosCall(t, d, http.MethodGet, "/v1/ns/instance", url.Values{"serviceName": {svc}, "ip": {"1.1.1.1"}, "port": {"80"}})
	if code != http.StatusNotFound {
		t.Errorf("detail of an unknown instance: %d %q, want 404", code, body)
	}
	code, body = nacosCall(t, d, http.MethodGet, "/v1/ns/operator/metrics", nil)
	if code != http.StatusOK || !strings.Contains(body, `"status":"UP"`) {
		t.Errorf("metrics after bad requests: %d %q, want status UP", code, body)
	}
}

// announceHugeBody sends only the headers of a request announcing a 2 MiB
// body (so the server's early refusal cannot race the client's writes)
// and returns the response's status line.
func announceHugeBody(t *testing.T, d *daemon.Daemon) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", d.HTTPAddr().String(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(15 * time.Second)); err != nil {
		t.Fatal(err)
	}
	req := "POST /nacos/v1/ns/instance HTTP/1.1\r\nHost: herald\r\n" +
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 2097152\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("no answer to a 2 MiB body: %v", err)
	}
	return line
}

// TestHTTPFormAndQueryMerged: a Go-style form body and a Node-style query
// string both register (persistent instances both: a service holds one
// kind); list, service list and detail see the result.
func TestHTTPFormAndQueryMerged(t *testing.T) {
	d := startHerald(t, testConfig(t))
	form := url.Values{"serviceName": {"DEFAULT_GROUP@@merge"}, "ip": {"10.0.0.1"}, "port": {"1"}, "ephemeral": {"false"},
		"metadata": {"k=v,k2=v2"}, "enable": {"true"}, "clusterName": {"c1"}}
	if code, body := nacosForm(t, d, http.MethodPost, "/v1/ns/instance", form); code != 200 {
		t.Fatalf("form register: %d %q", code, body)
	}
	q := url.Values{"serviceName": {"merge"}, "groupName": {"DEFAULT_GROUP"}, "ip": {"10.0.0.2"}, "port": {"2"}, "clusterName": {"c1"}, "ephemeral": {"false"}}
	if code, body := nacosCall(t, d, http.MethodPost, "/v1/ns/instance", q); code != 200 {
		t.Fatalf("query register: %d %q", code, body)
	}
	_, body := nacosCall(t, d, http.MethodGet, "/v1/ns/instance/list", url.Values{"serviceName": {"DEFAULT_GROUP@@merge"}, "clusters": {"c1"}})
	var info struct {
		Hosts []struct {
			IP       string            `json:"ip"`
			Metadata map[string]string `json:"metadata"`
		} `json:"hosts"`
		CacheMillis int `json:"cacheMillis"`
	}
	if err := json.Unmarshal([]byte(body), &info); err != nil || len(info.Hosts) != 2 || info.CacheMillis != 10000 {
		t.Fatalf("list = %s (%v), want two hosts and cacheMillis 10000", body, err)
	}
	_, body = nacosCall(t, d, http.MethodGet, "/v1/ns/service/list", url.Values{"pageNo": {"1"}, "pageSize": {"10"}})
	if body != `{"count":1,"doms":["merge"]}` {
		t.Errorf("service list = %s", body)
	}
	code, body := nacosCall(t, d, http.MethodGet, "/v1/ns/instance", url.Values{"serviceName": {"DEFAULT_GROUP@@merge"}, "ip": {"10.0.0.1"}, "port": {"1"}, "clusterName": {"c1"}})
	if code != 200 || !strings.Contains(body, `"k2":"v2"`) || !strings.Contains(body, `"service":"DEFAULT_GROUP@@merge"`) {
		t.Errorf("detail = %d %s", code, body)
	}
}

// TestHTTPAuth: with users configured, login returns a token and a numeric
// tokenTtl; naming endpoints refuse requests without credentials (403) and
// accept the token or username+password parameters.
func TestHTTPAuth(t *testing.T) {
	cfg := testConfig(t)
	cfg.HTTP.Users = []string{"nacos:secret"}
	d := startHerald(t, cfg)
	code, body := nacosForm(t, d, http.MethodPost, "/v1/auth/users/login", url.Values{"username": {"nacos"}, "password": {"wrong"}})
	if code != http.StatusForbidden {
		t.Errorf("login with a wrong password: %d %q, want 403", code, body)
	}
	code, body = nacosForm(t, d, http.MethodPost, "/v1/auth/login", url.Values{"username": {"nacos"}, "password": {"secret"}})
	var login struct {
		AccessToken string      `json:"accessToken"`
		TokenTTL    json.Number `json:"tokenTtl"`
	}
	if err := json.Unmarshal([]byte(body), &login); code != 200 || err != nil || login.AccessToken == "" {
		t.Fatalf("login: %d %q (%v)", code, body, err)
	}
	if n, err := login.TokenTTL.Int64(); err != nil || n != 18000 {
		t.Errorf("tokenTtl = %q, want the number 18000", login.TokenTTL)
	}
	list := url.Values{"serviceName": {"DEFAULT_GROUP@@auth"}}
	if code, _ := nacosCall(t, d, http.MethodGet, "/v1/ns/instance/list", list); code != http.StatusForbidden {
		t.Errorf("list without credentials: %d, want 403", code)
	}
	withToken := url.Values{"serviceName": {"DEFAULT_GROUP@@auth"}, "accessToken": {login.AccessToken}}
	if code, body := nacosCall(t, d, http.MethodGet, "/v1/ns/instance/list", withToken); code != 200 {
		t.Errorf("list with the token: %d %q", code, body)
	}
	forged := url.Values{"serviceName": {"DEFAULT_GROUP@@auth"}, "accessToken": {login.AccessToken + "x"}}
	if code, _ := nacosCall(t, d, http.MethodGet, "/v1/ns/instance/list", forged); code != http.StatusForbidden {
		t.Errorf("list with a forged token: %d, want 403", code)
	}
	withUser := url.Values{"serviceName": {"DEFAULT_GROUP@@auth"}, "username": {"nacos"}, "password": {"secret"}}
	if code, body := nacosCall(t, d, http.MethodGet, "/v1/ns/instance/list", withUser); code != 200 {
		t.Errorf("list with username and password: %d %q", code, body)
	}
}

// TestHTTPAuthGoSDK: the Go SDK with a username logs in (it panics on a
// non-numeric tokenTtl), and its persistent registration carries the token;
// a client with a wrong password is refused. http.users guards the gRPC
// wire too, so the subscriber logs in as well.
func TestHTTPAuthGoSDK(t *testing.T) {
	cfg := testConfig(t)
	cfg.HTTP.Users = []string{"nacos:secret"}
	cfg.Fanout.MergeWindow = 0
	d := startHerald(t, cfg)
	sub := newHTTPClientAs(t, d, "nacos", "secret")
	w := newWatcher()
	subscribe(t, sub, w, vo.SubscribeParam{ServiceName: "secured"})

	p := vo.RegisterInstanceParam{ServiceName: "secured", Ip: "10.9.9.9", Port: 80, Weight: 1, Enable: true, Healthy: true}
	bad := newHTTPClientAs(t, d, "nacos", "wrong")
	if ok, err := bad.RegisterInstance(p); err == nil && ok {
		t.Error("a client with a wrong password registered")
	}
	good := newHTTPClientAs(t, d, "nacos", "secret")
	mustRegister(t, good, p)
	w.waitFor(t, "the authenticated registration", 15*time.Second, hasAddrs("10.9.9.9:80"))
}
