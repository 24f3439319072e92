package conf

import (
	"net"
	"strconv"
	"time"
)

// validate checks the upstream section: a known kind, and for kind nacos
// at least one host:port server.
func (u UpstreamConfig) validate() []error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	switch u.Kind {
	case UpstreamEmbedded:
	case UpstreamNacos:
		if len(u.Servers) == 0 {
			add(fieldErrorf("upstream.servers", "kind %q needs at least one upstream gRPC address host:port", UpstreamNacos))
		}
		for i, s := range u.Servers {
			add(checkServer(i, s))
		}
	default:
		add(fieldErrorf("upstream.kind", "must be %q or %q, got %q", UpstreamEmbedded, UpstreamNacos, u.Kind))
	}
	add(durationRange("upstream.linger", u.Linger, 0, maxLinger))
	add(durationRange("upstream.requestTimeout", u.RequestTimeout, minRequestTimeout, maxRequestTimeout))
	add(durationRange("upstream.resyncGrace", u.ResyncGrace, 0, maxResyncGrace))
	switch {
	case u.Username != "" && u.Password == "":
		add(fieldErrorf("upstream.password", "upstream.username %q needs a password", u.Username))
	case u.Username == "" && u.Password != "":
		add(fieldErrorf("upstream.username", "upstream.password is set without a username"))
	case u.Username != "" && u.AccessToken != "":
		add(fieldErrorf("upstream.accessToken", "set upstream.username and password or upstream.accessToken, not both"))
	}
	for i, s := range u.LoginServers {
		if err := checkServer(i, s); err != nil {
			add(fieldErrorf("upstream.loginServers", "%v", err))
		}
	}
	return errs
}

// checkServer validates servers[i] as host:port with a port in 1..65535.
func checkServer(i int, s string) error {
	field := "upstream.servers[" + strconv.Itoa(i) + "]"
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fieldErrorf(field, "%q is not host:port: %v", s, err)
	}
	if host == "" {
		return fieldErrorf(field, "%q has no host", s)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fieldErrorf(field, "%q: port must be a number in 1..65535", s)
	}
	return nil
}

// durationRange checks lo <= d <= hi.
func durationRange(field string, d, lo, hi time.Duration) error {
	if d < lo || d > hi {
		return fieldErrorf(field, "must be within %v..%v, got %v", lo, hi, d)
	}
	return nil
}
