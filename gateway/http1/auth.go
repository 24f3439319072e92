package http1

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// authority checks 1.x API credentials. Tokens are stateless:
// base64url("user|expiry") + "." + base64url(HMAC-SHA256), signed with a
// key made at start, so they hold no memory and die with the process.
type authority struct {
	users map[string]string // username -> password; empty = auth off
	ttl   time.Duration
	key   []byte
}

// newAuthority parses "username:password" pairs.
func newAuthority(users []string, ttl time.Duration) (*authority, error) {
	a := &authority{users: make(map[string]string, len(users)), ttl: ttl, key: make([]byte, 32)}
	for i, u := range users {
		name, pass, ok := strings.Cut(u, ":")
		if !ok || name == "" || pass == "" {
			return nil, fmt.Errorf("users entry %d is not username:password", i)
		}
		a.users[name] = pass
	}
	if _, err := rand.Read(a.key); err != nil {
		return nil, fmt.Errorf("token key: %w", err)
	}
	return a, nil
}

// enabled reports whether credentials are required.
func (a *authority) enabled() bool { return len(a.users) > 0 }

// valid reports whether the password is user's.
func (a *authority) valid(user, pass string) bool {
	want, ok := a.users[user]
	return ok && subtle.ConstantTimeCompare([]byte(want), []byte(pass)) == 1
}

// login returns a token for user valid until now+ttl.
func (a *authority) login(user, pass string, now time.Time) (string, error) {
	if !a.enabled() {
		return "", forbidden("authentication is not enabled on this server")
	}
	if !a.valid(user, pass) {
		return "", forbidden("unknown user!")
	}
	body := base64.RawURLEncoding.EncodeToString([]byte(user + "|" + strconv.FormatInt(now.Add(a.ttl).Unix(), 10)))
	return body + "." + base64.RawURLEncoding.EncodeToString(a.sign(body)), nil
}

func (a *authority) sign(body string) []byte {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// checkToken reports whether token is one of ours, unexpired at now.
func (a *authority) checkToken(token string, now time.Time) bool {
	body, sig, ok := strings.Cut(token, ".")
	if !ok {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, a.sign(body)) {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return false
	}
	user, exp, ok := strings.Cut(string(raw), "|")
	if _, known := a.users[user]; !ok || !known {
		return false
	}
	n, err := strconv.ParseInt(exp, 10, 64)
	return err == nil && now.Unix() < n
}

// authorize accepts, as the Nacos auth filter does, an accessToken
// parameter or header, an "Authorization: Bearer" header, or username and
// password parameters (Node sends these on every request).
func (a *authority) authorize(p params, header func(string) string, now time.Time) error {
	if !a.enabled() {
		return nil
	}
	token := p.get("accessToken")
	if token == "" {
		token = header("accessToken")
	}
	if token == "" {
		token = strings.TrimPrefix(header("Authorization"), "Bearer ")
	}
	if token != "" && a.checkToken(token, now) {
		return nil
	}
	if u := p.get("username"); u != "" && a.valid(u, p["password"]) {
		return nil
	}
	if token != "" {
		return forbidden("token invalid!")
	}
	return forbidden("user not found!")
}
