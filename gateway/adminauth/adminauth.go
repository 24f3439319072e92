// Package adminauth guards Herald's admin listener (tracker API, stats,
// metrics, console) with one bearer token.
//
// A request is let through when it carries the token as
// "Authorization: Bearer <token>", or the session cookie that StartSession
// sets after a person pasted the token into the console's login form
// (browsers cannot add a header to a navigation). Anything else gets 401:
// JSON for the API, or whatever DenyWith registered for a path prefix (the
// console's login page). Paths passed to Allow are served without a token.
// With no token configured the guard lets everything through; the daemon
// refuses to start that way unless the listener is loopback-only.
//
// Tokens are compared in constant time (over SHA-256 digests, so the
// length does not leak either). The cookie holds no token: it is
// "<expiry unix seconds>.<HMAC-SHA256 of the expiry keyed by the token>",
// so changing the token ends every session.
package adminauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/protocol"
)

// CookieName is the session cookie StartSession sets.
const CookieName = "herald_admin"

// DefaultSessionTTL is how long a console session lasts.
const DefaultSessionTTL = 12 * time.Hour

// Guard checks the admin token. Configure it (Allow, DenyWith) before the
// listener serves; afterwards it is read-only and safe for concurrent use.
type Guard struct {
	digest [sha256.Size]byte // SHA-256 of the token
	on     bool              // a token is configured
	open   map[string]bool   // paths served without a token
	deny   []denial          // 401 renderers by path prefix, longest first
	ttl    time.Duration
	now    func() time.Time
}

type denial struct {
	prefix string
	h      app.HandlerFunc
}

// New returns a guard for token; "" lets every request through.
func New(token string) *Guard {
	g := &Guard{on: token != "", open: map[string]bool{}, ttl: DefaultSessionTTL, now: time.Now}
	g.digest = sha256.Sum256([]byte(token))
	return g
}

// Enabled reports whether a token is required.
func (g *Guard) Enabled() bool { return g.on }

// Allow serves the exact paths without a token (probes, the login form).
func (g *Guard) Allow(paths ...string) {
	for _, p := range paths {
		g.open[p] = true
	}
}

// DenyWith answers refused requests whose path starts with prefix with h
// instead of the JSON 401; h must itself answer 401.
func (g *Guard) DenyWith(prefix string, h app.HandlerFunc) {
	g.deny = append(g.deny, denial{prefix, h})
	for i := len(g.deny) - 1; i > 0 && len(g.deny[i].prefix) > len(g.deny[i-1].prefix); i-- {
		g.deny[i], g.deny[i-1] = g.deny[i-1], g.deny[i]
	}
}

// SetClock replaces the clock that session expiry is checked against
// (tests).
func (g *Guard) SetClock(now func() time.Time) { g.now = now }

// Middleware is the Hertz handler to install with Use before any route.
func (g *Guard) Middleware() app.HandlerFunc {
	return func(ctx context.Context, c *app.RequestContext) {
		if !g.on || g.open[string(c.Request.URI().Path())] || g.Authorized(c) {
			c.Next(ctx)
			return
		}
		g.refuse(ctx, c)
	}
}

// Authorized reports whether the request carries the token or a live
// session cookie (always true when no token is configured). Handlers of
// allowed paths use it to decide how much to say.
func (g *Guard) Authorized(c *app.RequestContext) bool {
	if !g.on {
		return true
	}
	if tok, ok := bearer(string(c.GetHeader("Authorization"))); ok {
		return g.matches(tok)
	}
	return g.validSession(string(c.Cookie(CookieName)))
}

// StartSession checks a token a person typed and, when it matches, sets
// the session cookie (HttpOnly, SameSite=Strict, path /) on the response.
func (g *Guard) StartSession(c *app.RequestContext, token string) bool {
	if !g.on || !g.matches(token) {
		return false
	}
	exp := g.now().Add(g.ttl).Unix()
	c.SetCookie(CookieName, g.session(exp), int(g.ttl/time.Second), "/", "",
		protocol.CookieSameSiteStrictMode, false, true)
	return true
}

// EndSession clears the session cookie.
func (g *Guard) EndSession(c *app.RequestContext) {
	c.SetCookie(CookieName, "", -1, "/", "", protocol.CookieSameSiteStrictMode, false, true)
}

// refusal is the JSON body of a 401.
type refusal struct {
	Error string `json:"error"`
}

func (g *Guard) refuse(ctx context.Context, c *app.RequestContext) {
	c.Header("WWW-Authenticate", `Bearer realm="herald admin"`)
	c.Header("Cache-Control", "no-store")
	path := string(c.Request.URI().Path())
	for _, d := range g.deny {
		if strings.HasPrefix(path, d.prefix) {
			d.h(ctx, c)
			c.Abort()
			return
		}
	}
	msg := "admin token required: send Authorization: Bearer <admin.token>"
	if _, ok := bearer(string(c.GetHeader("Authorization"))); ok {
		msg = "admin token not accepted"
	}
	c.AbortWithStatusJSON(http.StatusUnauthorized, refusal{Error: msg})
}

// matches compares a presented token with the configured one in constant
// time.
func (g *Guard) matches(tok string) bool {
	d := sha256.Sum256([]byte(tok))
	return subtle.ConstantTimeCompare(d[:], g.digest[:]) == 1
}

// session is the cookie value for a session that ends at exp.
func (g *Guard) session(exp int64) string {
	s := strconv.FormatInt(exp, 10)
	return s + "." + base64.RawURLEncoding.EncodeToString(g.mac(s))
}

func (g *Guard) mac(exp string) []byte {
	m := hmac.New(sha256.New, g.digest[:])
	m.Write([]byte("herald-admin-session\x00" + exp))
	return m.Sum(nil)
}

// validSession checks a cookie value's MAC and expiry.
func (g *Guard) validSession(v string) bool {
	exp, sig, ok := strings.Cut(v, ".")
	if !ok {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, g.mac(exp)) {
		return false
	}
	t, err := strconv.ParseInt(exp, 10, 64)
	return err == nil && g.now().Unix() < t
}

// bearer extracts the token of an "Authorization: Bearer <token>" header.
func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}
