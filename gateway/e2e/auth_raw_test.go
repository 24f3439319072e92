package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway/daemon"
	"github.com/herald-gateway/herald/gateway/nacostest"
	"github.com/herald-gateway/herald/upstream"
)

// rawTokenKey signs the tokens of the raw auth tests, so a test can mint
// one that has already expired.
const rawTokenKey = "raw-auth-test-key-0123456789abcdef"

// rawAuthHerald is Herald with the auth test users and a known key, and
// tokens for them: writer's good one, writer's expired one, prodonly's.
func rawAuthHerald(t *testing.T) (d *daemon.Daemon, good, expired, outsider string) {
	t.Helper()
	cfg := authConfig(t)
	cfg.Auth.TokenKey = rawTokenKey
	d = startHerald(t, cfg)
	a, err := cfg.Authority() // the same users and key: its tokens are Herald's
	if err != nil {
		t.Fatal(err)
	}
	login := func(user string, at time.Time) string {
		tok, err := a.Login(user, "pw-"+user, at)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	return d, login("writer", time.Now()), login("writer", time.Now().Add(-cfg.HTTP.TokenTTL-time.Minute)), login("prodonly", time.Now())
}

// forge is good with its signature's first byte changed.
func forge(good string) string {
	i := strings.IndexByte(good, '.') + 1
	b := []byte(good)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func callAs(t *testing.T, c *nacostest.Client, token, typ string, body any) (nacostest.Message, errorReply) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	var headers map[string]string
	if token != "" {
		headers = map[string]string{"accessToken": token}
	}
	m, err := c.RequestWithHeaders(ctx, typ, headers, body)
	if err != nil {
		t.Fatalf("%s: transport error %v (a refusal must be answered in-band)", typ, err)
	}
	var r errorReply
	if err := m.Decode(&r); err != nil {
		t.Fatalf("%s: reply %s is not JSON: %v", typ, m.Body, err)
	}
	return m, r
}

// TestAuthRawGRPC: a request with no token, a forged token, an expired
// token, or a token of a user without rights on the namespace is refused
// with errorCode 403 and Nacos's message before it has any effect, and the
// same connection then serves a good request.
func TestAuthRawGRPC(t *testing.T) {
	d, good, expired, outsider := rawAuthHerald(t)
	c := dialSetUp(t, d.GRPCAddr().String())
	devSvc := upstream.ServiceKey{Namespace: "dev", Name: "raw"}.Normalize()
	devCfg := upstream.ConfigKey{Namespace: "dev", Group: "G", DataID: "raw.yaml"}.Normalize()
	register := with(naming("raw", ""), "namespace", "dev", "type", "registerInstance", "instance", goodInstance())
	subscribe := with(naming("raw", ""), "namespace", "dev", "subscribe", true)
	publish := with(cfgBody("raw.yaml", "G"), "tenant", "dev", "content", "x")
	listen := listenBody(map[string]any{"dataId": "raw.yaml", "group": "G", "tenant": "dev", "md5": ""})
	tokens := []struct{ name, token, msg string }{
		{"no token", "", "user not found!"},
		{"forged token", forge(good), "token invalid!"},
		{"garbage token", "not.a\x00token", "token invalid!"},
		{"expired token", expired, "token expired!"},
		{"another user's namespace", outsider, "authorization failed!"},
	}
	// Naming refusals are ErrorResponses (the Go SDK's naming calls fail
	// only on those); config refusals come in the request's own response
	// type, as every config failure.
	requests := []struct {
		typ       string
		body      map[string]any
		refusedAs string
	}{
		{"InstanceRequest", register, "ErrorResponse"}, {"SubscribeServiceRequest", subscribe, "ErrorResponse"},
		{"ServiceQueryRequest", naming("raw", ""), "ErrorResponse"},
		{"ConfigPublishRequest", publish, "ConfigPublishResponse"}, {"ConfigBatchListenRequest", listen, "ConfigChangeBatchListenResponse"},
		{"ConfigQueryRequest", cfgBody("raw.yaml", "G"), "ConfigQueryResponse"},
	}
	for _, tc := range tokens {
		for _, rq := range requests {
			body := rq.body
			if rq.typ == "ServiceQueryRequest" || rq.typ == "ConfigQueryRequest" {
				body = with(body, "namespace", "dev", "tenant", "dev")
			}
			m, r := callAs(t, c, tc.token, rq.typ, with(body, "requestId", "r-1"))
			if m.Type != rq.refusedAs || r.ErrorCode != 403 || r.ResultCode != 500 || r.Success || r.Message != tc.msg {
				t.Errorf("%s, %s: got %s %s; want %s 403 %q", tc.name, rq.typ, m.Type, m.Body, rq.refusedAs, tc.msg)
			}
			if rq.refusedAs != "ErrorResponse" && !strings.Contains(string(m.Body), `"requestId":"r-1"`) {
				t.Errorf("%s, %s: %s does not echo the requestId", tc.name, rq.typ, m.Body)
			}
		}
	}
	// Nothing took effect: no instance, no subscriber, no config, no listener.
	if snap, err := d.Gateway().Registry().Query(t.Context(), devSvc); err != nil || len(snap.Instances) != 0 {
		t.Fatalf("registry after refusals: %d instances, err %v", len(snap.Instances), err)
	}
	if n := len(d.Hub().Status(fanout.NamingTopic(devSvc)).Subscribers); n != 0 {
		t.Fatalf("%d subscribers after refused subscriptions", n)
	}
	if n := len(d.Hub().Status(fanout.ConfigTopic(devCfg)).Subscribers); n != 0 {
		t.Fatalf("%d listeners after refused listens", n)
	}
	if m, r := callAs(t, c, good, "ConfigQueryRequest", with(cfgBody("raw.yaml", "G"), "tenant", "dev")); r.ErrorCode != 300 {
		t.Fatalf("config after refused publishes: %s %s, want not found (300)", m.Type, m.Body)
	}
	// The same connection serves the good token, and the user is on record.
	for _, rq := range []struct {
		typ  string
		body map[string]any
	}{{"InstanceRequest", register}, {"SubscribeServiceRequest", subscribe}, {"ConfigPublishRequest", publish}} {
		if m, r := callAs(t, c, good, rq.typ, rq.body); !r.Success {
			t.Fatalf("%s with a good token after refusals: %s %s", rq.typ, m.Type, m.Body)
		}
	}
	subs := d.Hub().Status(fanout.NamingTopic(devSvc)).Subscribers
	if len(subs) != 1 || subs[0].Client.User != "writer" {
		t.Fatalf("subscribers = %+v, want one of user writer", subs)
	}
}

// TestAuthRawHTTP: the same four refusals on the 1.x HTTP API (403 with
// Nacos's message) and no effect; the good token then works.
func TestAuthRawHTTP(t *testing.T) {
	d, good, expired, outsider := rawAuthHerald(t)
	devSvc := upstream.ServiceKey{Namespace: "dev", Name: "rawhttp"}.Normalize()
	reg := url.Values{"namespaceId": {"dev"}, "serviceName": {"rawhttp"}, "ip": {"10.9.0.7"}, "port": {"80"}}
	pub := url.Values{"tenant": {"dev"}, "group": {"G"}, "dataId": {"rawhttp.yaml"}, "content": {"x"}}
	get := url.Values{"tenant": {"dev"}, "group": {"G"}, "dataId": {"rawhttp.yaml"}}
	poll := url.Values{"Listening-Configs": {"rawhttp.yaml\x02G\x02\x02dev\x01"}}
	withToken := func(v url.Values, tok string) url.Values {
		out := url.Values{}
		for k, vs := range v {
			out[k] = vs
		}
		if tok != "" {
			out.Set("accessToken", tok)
		}
		return out
	}
	for _, tc := range []struct{ name, token, msg string }{
		{"no token", "", "user not found!"},
		{"forged token", forge(good), "token invalid!"},
		{"expired token", expired, "token expired!"},
		{"another user's namespace", outsider, "authorization failed!"},
	} {
		for _, rq := range []struct {
			method, path string
			form         url.Values
		}{
			{http.MethodPost, "/v1/ns/instance", reg}, {http.MethodGet, "/v1/ns/instance/list", reg},
			{http.MethodPost, "/v1/cs/configs", pub}, {http.MethodGet, "/v1/cs/configs", get},
			{http.MethodPost, "/v1/cs/configs/listener", poll},
		} {
			code, body := nacosForm(t, d, rq.method, rq.path, withToken(rq.form, tc.token))
			if code != http.StatusForbidden || body != tc.msg {
				t.Errorf("%s, %s %s: %d %q; want 403 %q", tc.name, rq.method, rq.path, code, body, tc.msg)
			}
		}
	}
	if snap, err := d.Gateway().Registry().Query(t.Context(), devSvc); err != nil || len(snap.Instances) != 0 {
		t.Fatalf("registry after refusals: %d instances, err %v", len(snap.Instances), err)
	}
	if code, body := nacosForm(t, d, http.MethodGet, "/v1/cs/configs", withToken(get, good)); code != http.StatusNotFound {
		t.Fatalf("config after refused publishes: %d %q, want 404", code, body)
	}
	if code, body := nacosForm(t, d, http.MethodPost, "/v1/ns/instance", withToken(reg, good)); code != 200 {
		t.Fatalf("register with the good token: %d %q", code, body)
	}
	// A UDP subscriber's push records carry the user too.
	sub := withToken(url.Values{"namespaceId": {"dev"}, "serviceName": {"rawhttp"}, "udpPort": {"9"}, "clientIP": {"127.0.0.1"}}, good)
	if code, body := nacosCall(t, d, http.MethodGet, "/v1/ns/instance/list", sub); code != 200 {
		t.Fatalf("UDP subscription with the good token: %d %q", code, body)
	}
	if subs := d.Hub().Status(fanout.NamingTopic(devSvc)).Subscribers; len(subs) != 1 || subs[0].Client.User != "writer" {
		t.Fatalf("UDP subscribers = %+v, want one of user writer", subs)
	}
	// A Bearer header is a token too.
	req, err := http.NewRequest(http.MethodGet, "http://"+d.HTTPAddr().String()+"/nacos/v1/ns/instance/list?"+reg.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+good)
	if code, body := doHTTP(t, req); code != 200 || !strings.Contains(body, "10.9.0.7") {
		t.Fatalf("list with a Bearer token: %d %q", code, body)
	}
	// Login answers as Nacos: globalAdmin only for administrators.
	code, body := nacosForm(t, d, http.MethodPost, "/v1/auth/login", url.Values{"username": {"reader"}, "password": {"pw-reader"}})
	if code != 200 || !strings.Contains(body, `"globalAdmin":false`) || !strings.Contains(body, `"username":"reader"`) {
		t.Fatalf("reader login: %d %q", code, body)
	}
}

// TestAuthTokenSurvivesRestart: with auth.tokenKey a token issued before a
// restart is still good after it; without a key it is not (the client
// logs in again).
func TestAuthTokenSurvivesRestart(t *testing.T) {
	for _, tc := range []struct {
		name, key string
		want      int
	}{{"configured key", rawTokenKey, http.StatusOK}, {"random key", "", http.StatusForbidden}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := authConfig(t)
			cfg.Auth.TokenKey = tc.key
			first := startDaemon(t, cfg)
			code, body := nacosForm(t, first, http.MethodPost, "/v1/auth/login", url.Values{"username": {"reader"}, "password": {"pw-reader"}})
			var login struct {
				AccessToken string `json:"accessToken"`
			}
			if err := json.Unmarshal([]byte(body), &login); code != 200 || err != nil || login.AccessToken == "" {
				t.Fatalf("login: %d %q (%v)", code, body, err)
			}
			first.Stop()
			second := startDaemon(t, cfg)
			q := url.Values{"namespaceId": {"dev"}, "serviceName": {"any"}, "accessToken": {login.AccessToken}}
			if code, body := nacosCall(t, second, http.MethodGet, "/v1/ns/instance/list", q); code != tc.want {
				t.Fatalf("the old token after a restart: %d %q, want %d", code, body, tc.want)
			}
		})
	}
}
