package http1

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/herald-gateway/herald/upstream"
)

// Publish, get and remove over /v1/cs/configs: the content comes back byte
// for byte with the headers Nacos sends; an absent config is 404 "config
// data not exist"; parameters are read from query and form alike.
func TestConfigPublishGetRemove(t *testing.T) {
	cs := startConfigServer(t, nil)
	q := url.Values{"dataId": {"app.json"}, "group": {"G1"}, "tenant": {"ns1"}}
	if a := cs.do(t, "GET", "/cs/configs", q, nil, nil); a.status != 404 || a.body != "config data not exist\n" {
		t.Fatalf("absent: %d %q", a.status, a.body)
	}
	content := "  {\"a\": \"名\"}\r\n\t\n"
	form := url.Values{"content": {content}, "type": {"json"}, "appName": {"shop"}, "encryptedDataKey": {"k1"}}
	// dataId, group and tenant in the query, the rest in the form, as clients mix them.
	if a := cs.do(t, "POST", "/cs/configs", q, form, nil); a.status != 200 || a.body != "true" {
		t.Fatalf("publish: %d %q", a.status, a.body)
	}
	a := cs.do(t, "GET", "/cs/configs", q, nil, nil)
	want := map[string]string{
		"Content-Type": "application/json;charset=UTF-8", "Config-Type": "json",
		"Content-Md5": upstream.Md5Hex(content), "Encrypted-Data-Key": "k1",
		"Pragma": "no-cache", "Cache-Control": "no-cache,no-store", "Expires": "Thu, 01 Jan 1970 00:00:00 GMT",
	}
	if a.status != 200 || a.body != content {
		t.Fatalf("get: %d %q, want %q", a.status, a.body, content)
	}
	for k, v := range want {
		if got := a.header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if _, err := http.ParseTime(a.header.Get("Last-Modified")); err != nil {
		t.Errorf("Last-Modified %q: %v", a.header.Get("Last-Modified"), err)
	}
	// Another namespace and the public one do not see it.
	for _, other := range []url.Values{{"dataId": {"app.json"}, "group": {"G1"}}, {"dataId": {"app.json"}, "group": {"G1"}, "tenant": {"ns2"}}} {
		if a := cs.do(t, "GET", "/cs/configs", other, nil, nil); a.status != 404 {
			t.Errorf("GET %v: %d, want 404", other, a.status)
		}
	}
	if a := cs.do(t, "DELETE", "/cs/configs", q, nil, nil); a.status != 200 || a.body != "true" {
		t.Fatalf("delete: %d %q", a.status, a.body)
	}
	if a := cs.do(t, "GET", "/cs/configs", q, nil, nil); a.status != 404 {
		t.Fatalf("after delete: %d %q", a.status, a.body)
	}
	if a := cs.do(t, "DELETE", "/cs/configs", q, nil, nil); a.status != 200 {
		t.Fatalf("deleting what is absent: %d %q", a.status, a.body)
	}
}

// The Node client declares charset=GBK (or utf8) on its forms; the body is
// UTF-8 and is read as such. A blank group and tenant are DEFAULT_GROUP
// and public.
func TestConfigFormCharsetIgnored(t *testing.T) {
	cs := startConfigServer(t, nil)
	content := "名字: 张三 🚀\n"
	body := url.Values{"dataId": {"gbk"}, "group": {""}, "content": {content}}.Encode()
	req, err := http.NewRequest("POST", cs.base+"/cs/configs", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=GBK")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("publish: %v %v", resp, err)
	}
	resp.Body.Close()
	a := cs.do(t, "GET", "/cs/configs", url.Values{"dataId": {"gbk"}, "group": {"DEFAULT_GROUP"}, "tenant": {"public"}}, nil, nil)
	if a.status != 200 || a.body != content {
		t.Fatalf("get: %d %q, want %q", a.status, a.body, content)
	}
}

// Beta content (betaIps header or parameter) is served only to the listed
// IPs, with isBeta; DELETE beta=true stops the beta and keeps the config.
func TestConfigBetaByClientIP(t *testing.T) {
	cs := startConfigServer(t, nil)
	q := url.Values{"dataId": {"gray"}}
	cs.publish(t, "gray", "normal")
	beta := url.Values{"dataId": {"gray"}, "content": {"beta"}}
	if a := cs.do(t, "POST", "/cs/configs", nil, beta, map[string]string{"betaIps": "10.9.9.9"}); a.status != 200 {
		t.Fatalf("beta for another IP: %d %q", a.status, a.body)
	}
	if a := cs.do(t, "GET", "/cs/configs", q, nil, nil); a.body != "normal" || a.header.Get("isBeta") != "" {
		t.Fatalf("127.0.0.1 is not a beta IP: got %q isBeta=%q", a.body, a.header.Get("isBeta"))
	}
	beta.Set("betaIps", "10.9.9.9,127.0.0.1")
	if a := cs.do(t, "POST", "/cs/configs", nil, beta, nil); a.status != 200 {
		t.Fatalf("beta for us: %d %q", a.status, a.body)
	}
	if a := cs.do(t, "GET", "/cs/configs", q, nil, nil); a.body != "beta" || a.header.Get("isBeta") != "true" {
		t.Fatalf("beta IP: got %q isBeta=%q", a.body, a.header.Get("isBeta"))
	}
	q.Set("beta", "true")
	a := cs.do(t, "DELETE", "/cs/configs", q, nil, nil)
	if a.status != 200 || a.body != `{"code":200,"message":"stop beta ok","data":true}` {
		t.Fatalf("stop beta: %d %q", a.status, a.body)
	}
	q.Del("beta")
	if a := cs.do(t, "GET", "/cs/configs", q, nil, nil); a.body != "normal" {
		t.Fatalf("after stopping the beta: %q", a.body)
	}
}

// casMd5 (header, as Nacos, or parameter) publishes only over that md5;
// a stale one is refused with 500, as Nacos and the gRPC wire refuse it.
func TestConfigCasPublish(t *testing.T) {
	cs := startConfigServer(t, nil)
	cs.publish(t, "cas", "v1")
	form := url.Values{"dataId": {"cas"}, "content": {"v2"}}
	a := cs.do(t, "POST", "/cs/configs", nil, form, map[string]string{"casMd5": upstream.Md5Hex("other")})
	if a.status != 500 || !strings.Contains(a.body, "cas publish failed") {
		t.Fatalf("stale casMd5: %d %q", a.status, a.body)
	}
	form.Set("casMd5", upstream.Md5Hex("v1"))
	if a := cs.do(t, "POST", "/cs/configs", nil, form, nil); a.status != 200 {
		t.Fatalf("current casMd5: %d %q", a.status, a.body)
	}
	if a := cs.do(t, "GET", "/cs/configs", url.Values{"dataId": {"cas"}}, nil, nil); a.body != "v2" {
		t.Fatalf("after the CAS publish: %q", a.body)
	}
}

// Bad input gets a 400 naming the problem and changes nothing; the server
// keeps serving.
func TestConfigBadInput(t *testing.T) {
	cs := startConfigServer(t, func(tu *tuning) { tu.store.MaxContentBytes = 64 })
	cases := []struct {
		name   string
		method string
		q      url.Values
		form   url.Values
		want   string
	}{
		{"no dataId", "GET", url.Values{"group": {"g"}}, nil, "Param 'dataId' is required."},
		{"bad dataId", "POST", nil, url.Values{"dataId": {"a b"}, "content": {"x"}}, "dataId: must not contain ' '"},
		{"bad group", "POST", nil, url.Values{"dataId": {"a"}, "group": {"g/h"}, "content": {"x"}}, "group: must not contain '/'"},
		{"bad tenant", "DELETE", url.Values{"dataId": {"a"}, "tenant": {"n s"}}, nil, "tenant: must not contain ' '"},
		{"empty content", "POST", nil, url.Values{"dataId": {"a"}, "content": {""}}, "content: must not be blank"},
		{"blank content", "POST", nil, url.Values{"dataId": {"a"}, "content": {" \n"}}, "content: must not be blank"},
		{"oversize content", "POST", nil, url.Values{"dataId": {"a"}, "content": {strings.Repeat("x", 65)}}, "content: must be at most 64 bytes, got 65"},
		{"bad betaIps", "POST", nil, url.Values{"dataId": {"a"}, "content": {"x"}, "betaIps": {"nope"}}, `betaIps: "nope" is not an IP address`},
		{"tag publish", "POST", nil, url.Values{"dataId": {"a"}, "content": {"x"}, "tag": {"t1"}}, "tagged configurations are not supported"},
		{"tag remove", "DELETE", url.Values{"dataId": {"a"}, "tag": {"t1"}}, nil, "tagged configurations are not supported"},
		{"bad beta flag", "DELETE", url.Values{"dataId": {"a"}, "beta": {"maybe"}}, nil, "beta must be true or false"},
		{"malformed form", "POST", url.Values{"dataId": {"a"}}, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var a answer
			if c.name == "malformed form" {
				a = rawForm(t, cs, "/cs/configs?dataId=a", "content=%zz")
				c.want = "malformed form body"
			} else {
				a = cs.do(t, c.method, "/cs/configs", c.q, c.form, nil)
			}
			if a.status != 400 || !strings.Contains(a.body, c.want) {
				t.Fatalf("%d %q, want a 400 containing %q", a.status, a.body, c.want)
			}
		})
	}
	if a := cs.do(t, "GET", "/cs/configs", url.Values{"dataId": {"a"}}, nil, nil); a.status != 404 {
		t.Fatalf("a refused publish stored something: %d %q", a.status, a.body)
	}
	cs.publish(t, "a", "still serving")
}

func rawForm(t *testing.T, cs *configServer, path, body string) answer {
	t.Helper()
	req, err := http.NewRequest("POST", cs.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// Without a config store (an edge before its upstream serves config) every
// /v1/cs endpoint answers 501.
func TestConfigWithoutStore(t *testing.T) {
	cs := startConfigServer(t, func(tu *tuning) { tu.noStore = true })
	for _, c := range []struct{ method, path string }{
		{"GET", "/cs/configs"}, {"POST", "/cs/configs"}, {"DELETE", "/cs/configs"},
		{"POST", "/cs/configs/listener"}, {"GET", "/cs/configs/listener"}, {"GET", "/cs/listener"}, {"GET", "/cs/history"},
	} {
		a := cs.do(t, c.method, c.path, url.Values{"dataId": {"a"}, "ip": {"1.1.1.1"}}, url.Values{}, nil)
		if a.status != 501 || a.body != "this gateway serves no configuration\n" {
			t.Errorf("%s %s: %d %q, want 501", c.method, c.path, a.status, a.body)
		}
	}
}

// With http.users set, /v1/cs needs credentials like /v1/ns.
func TestConfigAuth(t *testing.T) {
	cs := startConfigServer(t, func(tu *tuning) { tu.opts.Users = []string{"nacos:secret"} })
	q := url.Values{"dataId": {"a"}}
	for _, path := range []string{"/cs/configs", "/cs/history", "/cs/configs/listener", "/cs/listener"} {
		if a := cs.do(t, "GET", path, q, nil, nil); a.status != 403 {
			t.Errorf("GET %s without credentials: %d %q, want 403", path, a.status, a.body)
		}
	}
	if a := cs.do(t, "POST", "/cs/configs/listener", nil, url.Values{listeningParam: {record("a", "g", "")}}, nil); a.status != 403 {
		t.Errorf("long poll without credentials: %d %q, want 403", a.status, a.body)
	}
	q.Set("username", "nacos")
	q.Set("password", "secret")
	if a := cs.do(t, "GET", "/cs/configs", q, nil, nil); a.status != 404 {
		t.Errorf("with credentials: %d %q, want 404 (absent)", a.status, a.body)
	}
}
