package nacoslink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Credentials are how the link proves itself to an upstream with auth on,
// as a Nacos SDK does: it logs in over HTTP with Username and Password
// (POST /nacos/v1/auth/users/login) and sends the token it gets as the
// accessToken header of every request, or sends a configured AccessToken.
type Credentials struct {
	Username, Password string
	// AccessToken is a token issued beforehand (e.g. with a shared signing
	// key); used as is when Username is empty.
	AccessToken string
	// LoginServers are the upstream's HTTP host:port for logins, tried in
	// order. Default: each gRPC server's host at its port − 1000 (Nacos's
	// convention: 9848 → 8848).
	LoginServers []string
}

// enabled reports whether any credential is set.
func (c Credentials) enabled() bool { return c.Username != "" || c.AccessToken != "" }

// check validates c against servers.
func (c Credentials) check() error {
	switch {
	case c.Username != "" && c.Password == "":
		return errors.New("credentials: a username needs a password")
	case c.Username == "" && c.Password != "":
		return errors.New("credentials: a password needs a username")
	case c.Username != "" && c.AccessToken != "":
		return errors.New("credentials: set a username and password or an access token, not both")
	}
	for i, s := range c.LoginServers {
		if err := CheckServer(s); err != nil {
			return fmt.Errorf("credentials: loginServers[%d]: %w", i, err)
		}
	}
	return nil
}

// loginServers are the HTTP addresses logins go to.
func (c Credentials) loginServers(grpcServers []string) []string {
	if len(c.LoginServers) > 0 {
		return c.LoginServers
	}
	out := make([]string, 0, len(grpcServers))
	for _, s := range grpcServers {
		host, port, _ := net.SplitHostPort(s) // checked by withDefaults
		if p, _ := strconv.Atoi(port); p > 1000 {
			out = append(out, net.JoinHostPort(host, strconv.Itoa(p-1000)))
		}
	}
	return out
}

// renewShare is the share of a token's lifetime after which it is renewed:
// well before it expires, as the SDKs renew at 9/10.
const renewShare = 0.75

// tokens holds the link's current token and renews it before it expires.
// Its methods are safe for concurrent use.
type tokens struct {
	creds   Credentials
	servers []string // HTTP login addresses
	client  *http.Client
	scheme  string // http, or https when the link uses TLS
	now     func() time.Time

	// mu serialises logins and protects the fields below, so many requests
	// meeting an old token cause one login.
	mu      sync.Mutex
	token   string
	renewAt time.Time // log in again from then on
	lastErr error     // why the last login failed; nil after a success
}

// loginRetry spaces failed logins, as the SDKs' 5 s refresh loop.
const loginRetry = 5 * time.Second

// newTokens logs in over https when the link dials its upstream with TLS
// (the same CAs, client certificate and server name), else over http.
func newTokens(o Options) *tokens {
	t := &tokens{creds: o.Credentials, servers: o.Credentials.loginServers(o.Servers),
		client: &http.Client{Timeout: o.RequestTimeout}, scheme: "http", now: o.Now, token: o.Credentials.AccessToken}
	if o.TLS != nil {
		t.scheme = "https"
		t.client.Transport = &http.Transport{TLSClientConfig: o.TLS.Clone(), Proxy: nil}
	}
	return t
}

// get returns the token to send: "" without credentials; the configured
// token; or the login token, renewed once renewAt has passed. A failed
// login is returned with the old token (or "").
func (t *tokens) get(ctx context.Context) (string, error) {
	if t == nil || t.creds.Username == "" {
		return t.static(), nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.now().Before(t.renewAt) {
		return t.token, t.lastErr
	}
	tok, ttl, err := t.login(ctx)
	if err != nil {
		// An old token may still be good: the upstream's 403 says when
		// not. Logins are retried no more often than the SDKs do.
		t.lastErr, t.renewAt = err, t.now().Add(loginRetry)
		return t.token, err
	}
	t.token, t.lastErr, t.renewAt = tok, nil, t.now().Add(time.Duration(float64(ttl)*renewShare))
	return tok, nil
}

func (t *tokens) static() string {
	if t == nil {
		return ""
	}
	return t.creds.AccessToken
}

// refused forgets token after the upstream refused it (403), so the next
// get logs in again. A configured token cannot be renewed.
func (t *tokens) refused(token string) bool {
	if t == nil || t.creds.Username == "" {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if token == "" || t.token != token {
		return false // no token to renew, or renewed already
	}
	t.renewAt = time.Time{}
	return true
}

// loginReply is the part of Nacos's login answer the link reads.
type loginReply struct {
	AccessToken string `json:"accessToken"`
	TokenTTL    int64  `json:"tokenTtl"` // seconds
}

// login tries each login server in turn.
func (t *tokens) login(ctx context.Context) (string, time.Duration, error) {
	if len(t.servers) == 0 {
		return "", 0, errors.New("login: no login server (set the upstream's loginServers)")
	}
	var errs []error
	for _, s := range t.servers {
		tok, ttl, err := t.loginAt(ctx, s)
		if err == nil {
			return tok, ttl, nil
		}
		errs = append(errs, err)
	}
	return "", 0, errors.Join(errs...)
}

// maxLoginReply bounds what is read of a login answer.
const maxLoginReply = 64 << 10

func (t *tokens) loginAt(ctx context.Context, server string) (string, time.Duration, error) {
	form := url.Values{"username": {t.creds.Username}, "password": {t.creds.Password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.scheme+"://"+server+"/nacos/v1/auth/users/login", strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := t.client.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("login at %s: %w", server, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxLoginReply))
	if err != nil {
		return "", 0, fmt.Errorf("login at %s: %w", server, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", 0, fmt.Errorf("login at %s as %s: status %d: %.200s", server, t.creds.Username, resp.StatusCode, body)
	}
	var r loginReply
	if err := json.Unmarshal(body, &r); err != nil || r.AccessToken == "" || r.TokenTTL <= 0 {
		return "", 0, fmt.Errorf("login at %s: answer has no accessToken and tokenTtl", server)
	}
	return r.AccessToken, time.Duration(r.TokenTTL) * time.Second, nil
}
