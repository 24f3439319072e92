package adminauth

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/common/config"
	"github.com/cloudwego/hertz/pkg/common/hlog"
	"github.com/cloudwego/hertz/pkg/common/ut"
	"github.com/cloudwego/hertz/pkg/route"
)

func init() { hlog.SetLevel(hlog.LevelWarn) }

const token = "s3cret-admin-token-0123"

// engine is a Hertz engine guarded by g with a few routes of each kind.
func engine(g *Guard) *route.Engine {
	e := route.NewEngine(config.NewOptions(nil))
	e.Use(g.Middleware())
	ok := func(_ context.Context, c *app.RequestContext) { c.String(http.StatusOK, "ok") }
	e.GET("/v1/tracks/service", ok)
	e.GET("/livez", ok)
	e.GET("/console/*path", ok)
	e.POST("/console/login", func(_ context.Context, c *app.RequestContext) {
		if g.StartSession(c, c.PostForm("token")) {
			c.String(http.StatusOK, "in")
			return
		}
		c.String(http.StatusUnauthorized, "wrong")
	})
	g.Allow("/livez", "/console/login")
	g.DenyWith("/console/", func(_ context.Context, c *app.RequestContext) {
		c.Data(http.StatusUnauthorized, "text/html", []byte("<form>login</form>"))
	})
	return e
}

func TestGuard(t *testing.T) {
	g := New(token)
	e := engine(g)
	bearerH := func(v string) ut.Header { return ut.Header{Key: "Authorization", Value: v} }
	tests := []struct {
		name     string
		path     string
		headers  []ut.Header
		wantCode int
		wantBody string
	}{
		{"api without token", "/v1/tracks/service", nil, 401, `"error":"admin token required`},
		{"api with token", "/v1/tracks/service", []ut.Header{bearerH("Bearer " + token)}, 200, "ok"},
		{"scheme is case-insensitive", "/v1/tracks/service", []ut.Header{bearerH("bearer " + token)}, 200, "ok"},
		{"api with wrong token", "/v1/tracks/service", []ut.Header{bearerH("Bearer " + token + "x")}, 401, "admin token not accepted"},
		{"api with a prefix of the token", "/v1/tracks/service", []ut.Header{bearerH("Bearer " + token[:10])}, 401, "not accepted"},
		{"basic auth is not a bearer", "/v1/tracks/service", []ut.Header{bearerH("Basic " + token)}, 401, "admin token required"},
		{"unknown path is refused too", "/nothing-here", nil, 401, "admin token required"},
		{"allowed probe", "/livez", nil, 200, "ok"},
		{"console page without token", "/console/", nil, 401, "<form>login</form>"},
		{"console page with token", "/console/", []ut.Header{bearerH("Bearer " + token)}, 200, "ok"},
		{"forged cookie", "/console/", []ut.Header{{Key: "Cookie", Value: CookieName + "=99999999999.AAAA"}}, 401, "login"},
		{"token as cookie", "/console/", []ut.Header{{Key: "Cookie", Value: CookieName + "=" + token}}, 401, "login"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := ut.PerformRequest(e, "GET", tc.path, nil, tc.headers...)
			resp := w.Result()
			if resp.StatusCode() != tc.wantCode || !strings.Contains(string(resp.Body()), tc.wantBody) {
				t.Fatalf("GET %s: %d %s; want %d with %q", tc.path, resp.StatusCode(), resp.Body(), tc.wantCode, tc.wantBody)
			}
			if tc.wantCode == 401 && string(resp.Header.Peek("WWW-Authenticate")) == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
			if tc.wantCode == 401 && strings.HasPrefix(tc.path, "/v1/") {
				var body refusal
				if err := json.Unmarshal(resp.Body(), &body); err != nil || body.Error == "" {
					t.Errorf("401 body is not the JSON refusal: %s", resp.Body())
				}
			}
		})
	}
}

// A pasted token starts a session: the cookie is HttpOnly and
// SameSite=Strict, lets the browser in, holds no token, and expires.
func TestSessionCookie(t *testing.T) {
	g := New(token)
	now := time.Unix(1_700_000_000, 0)
	g.SetClock(func() time.Time { return now })
	e := engine(g)
	form := func(tok string) (*ut.Body, ut.Header) {
		b := "token=" + tok
		return &ut.Body{Body: strings.NewReader(b), Len: len(b)}, ut.Header{Key: "Content-Type", Value: "application/x-www-form-urlencoded"}
	}
	body, ct := form("wrong-token-0123456789")
	if w := ut.PerformRequest(e, "POST", "/console/login", body, ct).Result(); w.StatusCode() != 401 || len(w.Header.Peek("Set-Cookie")) != 0 {
		t.Fatalf("wrong token: %d, cookie %q", w.StatusCode(), w.Header.Peek("Set-Cookie"))
	}
	body, ct = form(token)
	w := ut.PerformRequest(e, "POST", "/console/login", body, ct).Result()
	set := string(w.Header.Peek("Set-Cookie"))
	if w.StatusCode() != 200 || !strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Strict") || strings.Contains(set, token) {
		t.Fatalf("login: %d, Set-Cookie %q", w.StatusCode(), set)
	}
	value := strings.TrimPrefix(strings.Split(set, ";")[0], CookieName+"=")
	cookie := ut.Header{Key: "Cookie", Value: CookieName + "=" + value}
	for _, p := range []string{"/console/", "/v1/tracks/service"} {
		if w := ut.PerformRequest(e, "GET", p, nil, cookie).Result(); w.StatusCode() != 200 {
			t.Fatalf("GET %s with the session cookie: %d %s", p, w.StatusCode(), w.Body())
		}
	}
	if other := New(token + "-rotated"); other.validSession(value) {
		t.Fatal("a session survived a change of token")
	}
	now = now.Add(DefaultSessionTTL + time.Second)
	if w := ut.PerformRequest(e, "GET", "/console/", nil, cookie).Result(); w.StatusCode() != 401 {
		t.Fatalf("expired session let in: %d", w.StatusCode())
	}
}

func TestNoTokenLetsEverythingThrough(t *testing.T) {
	g := New("")
	e := engine(g)
	if g.Enabled() {
		t.Fatal("guard without a token says it is enabled")
	}
	for _, p := range []string{"/v1/tracks/service", "/console/"} {
		if w := ut.PerformRequest(e, "GET", p, nil).Result(); w.StatusCode() != 200 {
			t.Fatalf("GET %s: %d", p, w.StatusCode())
		}
	}
	body := &ut.Body{Body: strings.NewReader("token="), Len: 6}
	if w := ut.PerformRequest(e, "POST", "/console/login", body, ut.Header{Key: "Content-Type", Value: "application/x-www-form-urlencoded"}).Result(); w.StatusCode() != 401 {
		t.Fatalf("a session started with no token configured: %d", w.StatusCode())
	}
}
