package conf

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
)

// ConsoleConfig configures the push-track console (tracker/console).
type ConsoleConfig struct {
	// TraceURL turns the trace ids the console shows into links: an
	// http:// or https:// URL with the placeholder {traceId}, e.g.
	// "http://jaeger:16686/trace/{traceId}". Empty (the default) shows
	// trace ids as text.
	TraceURL string `yaml:"traceURL" help:"trace UI URL with {traceId}, for links from the console"`
}

// minAdminToken is the shortest admin token accepted.
const minAdminToken = 16

// TraceIDPlaceholder is what Console.TraceURL must contain.
const TraceIDPlaceholder = "{traceId}"

// validateAdmin checks the admin token settings and the console: a token
// that can travel in a header and a cookie, at most one of token and
// tokenFile, and one of them whenever the admin listener is reachable from
// other hosts.
func (c *Config) validateAdmin(add func(error)) {
	a := c.Admin
	if a.Token != "" {
		add(checkAdminToken("admin.token", a.Token))
	}
	if a.Token != "" && a.TokenFile != "" {
		add(fieldErrorf("admin.tokenFile", "set admin.token or admin.tokenFile, not both"))
	}
	if a.Token == "" && a.TokenFile == "" && !loopbackOnly(a.Addr) {
		add(fieldErrorf("admin.token", "admin.addr %q is not loopback-only, so the admin API (push records, stats, "+
			"metrics, console) would be open to the network without a token; set admin.token or admin.tokenFile "+
			"(at least %d characters, e.g. the output of: openssl rand -hex 32), or bind admin.addr to 127.0.0.1",
			a.Addr, minAdminToken))
	}
	if u := c.Console.TraceURL; u != "" {
		add(checkTraceURL(u))
	}
}

// ReadToken returns the admin token: Token, or the contents of TokenFile
// with trailing newlines trimmed, checked as Validate checks Token. ""
// means no token is required.
func (a AdminConfig) ReadToken() (string, error) {
	if a.TokenFile == "" {
		return a.Token, nil
	}
	data, err := os.ReadFile(a.TokenFile)
	if err != nil {
		return "", fmt.Errorf("admin.tokenFile: %w", err)
	}
	tok := strings.TrimRight(string(data), "\r\n")
	if err := checkAdminToken("admin.tokenFile", tok); err != nil {
		return "", fmt.Errorf("%w (in %s)", err, a.TokenFile)
	}
	return tok, nil
}

// checkAdminToken accepts minAdminToken or more visible ASCII characters,
// which travel unchanged in an Authorization header and a cookie.
func checkAdminToken(field, tok string) error {
	if len(tok) < minAdminToken {
		return fieldErrorf(field, "the token must be at least %d characters, got %d", minAdminToken, len(tok))
	}
	for i := range len(tok) {
		if b := tok[i]; b < 0x21 || b > 0x7e || b == '"' || b == ';' || b == ',' || b == '\\' {
			return fieldErrorf(field, "the token may hold only visible ASCII characters other than \" ; , \\ (byte %d is %q)", i, b)
		}
	}
	return nil
}

// loopbackOnly reports whether a listen address accepts loopback
// connections only: host localhost or a loopback IP. A wildcard or any
// other host name counts as reachable from other hosts.
func loopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false // validateAddrs reports the syntax
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkTraceURL accepts an http:// or https:// URL holding {traceId}.
func checkTraceURL(raw string) error {
	u, err := url.Parse(strings.ReplaceAll(raw, TraceIDPlaceholder, "x"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fieldErrorf("console.traceURL", "must be an http:// or https:// URL with a host, got %q", raw)
	}
	if !strings.Contains(raw, TraceIDPlaceholder) {
		return fieldErrorf("console.traceURL", "must contain %s where the trace id goes, got %q", TraceIDPlaceholder, raw)
	}
	return nil
}
