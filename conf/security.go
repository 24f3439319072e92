package conf

import (
	"net/netip"
	"os"
	"strings"
)

// ListenerTLS turns TLS on for a client-facing listener. Empty CertFile
// and KeyFile (the default) serve plain text. The files are re-read when
// they change, at the next handshake, so certificates rotate without a
// restart.
type ListenerTLS struct {
	// CertFile is the PEM certificate chain the listener serves.
	CertFile string `yaml:"certFile" help:"PEM certificate chain served (with keyFile: TLS on)"`
	// KeyFile is the PEM private key of CertFile.
	KeyFile string `yaml:"keyFile" help:"PEM private key of certFile"`
	// ClientCAFile, when set, makes the listener require a client
	// certificate signed by one of these PEM CAs (mutual TLS).
	ClientCAFile string `yaml:"clientCAFile" help:"PEM CAs client certificates must chain to (set: mutual TLS)"`
}

// Enabled reports whether the listener serves TLS.
func (t ListenerTLS) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

// UpstreamNacosConfig configures the link of upstream kind nacos beyond
// its servers.
type UpstreamNacosConfig struct {
	// TLS configures TLS on the link.
	TLS UpstreamTLS `yaml:"tls"`
}

// UpstreamTLS turns TLS on for the link to the upstream's gRPC port.
type UpstreamTLS struct {
	// Enabled dials the upstream with TLS. Default false (plain text, as
	// Nacos serves by default). Setting CAFile or CertFile implies it.
	Enabled bool `yaml:"enabled" help:"dial the upstream with TLS"`
	// CAFile holds the PEM CAs the upstream's certificate must chain to;
	// empty: the system's roots.
	CAFile string `yaml:"caFile" help:"PEM CAs trusted for the upstream's certificate (empty = system roots)"`
	// CertFile and KeyFile are a client certificate for an upstream that
	// verifies its clients (both or neither).
	CertFile string `yaml:"certFile" help:"PEM client certificate for the upstream (mutual TLS)"`
	KeyFile  string `yaml:"keyFile" help:"PEM private key of certFile"`
	// ServerName is the name checked in the upstream's certificate; empty:
	// the host of each upstream.servers entry.
	ServerName string `yaml:"serverName" help:"name expected in the upstream's certificate (empty = the server's host)"`
}

// On reports whether the link uses TLS.
func (t UpstreamTLS) On() bool { return t.Enabled || t.CAFile != "" || t.CertFile != "" }

// LimitsConfig bounds what one client may take of the gateway.
type LimitsConfig struct {
	// MaxConnectionsPerIP caps the gRPC connections open at once from one
	// client IP (the TCP peer); beyond it a new connection is refused with
	// a GOAWAY that says why. Default 5000 (generous: many clients may
	// share an address behind NAT); 0 = no cap.
	MaxConnectionsPerIP int `yaml:"maxConnectionsPerIP" help:"gRPC connections one client IP may hold (0 = no cap)"`
	// RequestsPerSecond caps the unary requests per second of one gRPC
	// connection (Nacos's TPS control), as a token bucket of
	// RequestBurst; beyond it a request is answered errorCode 503 (Nacos's
	// OVER_THRESHOLD). Default 500; 0 = no cap.
	RequestsPerSecond int `yaml:"requestsPerSecond" help:"unary requests per second one gRPC connection may make (0 = no cap)"`
	// RequestBurst is the bucket size of RequestsPerSecond: requests one
	// connection may make at once after being quiet. Default 1000.
	RequestBurst int `yaml:"requestBurst" help:"burst of requests allowed above requestsPerSecond"`
}

const (
	defaultMaxConnsPerIP = 5000
	defaultRequestRate   = 500
	defaultRequestBurst  = 1000
	maxLimit             = 100000000
)

// defaultLimits are generous: a legitimate client does not meet them.
func defaultLimits() LimitsConfig {
	return LimitsConfig{MaxConnectionsPerIP: defaultMaxConnsPerIP, RequestsPerSecond: defaultRequestRate,
		RequestBurst: defaultRequestBurst}
}

// validateSecurity checks TLS files, trusted proxies and limits.
func (c *Config) validateSecurity(add func(error)) {
	add(checkListenerTLS("grpc.tls", c.GRPC.TLS))
	add(checkListenerTLS("http.tls", c.HTTP.TLS))
	u := c.Upstream.Nacos.TLS
	if (u.CertFile == "") != (u.KeyFile == "") {
		add(fieldErrorf("upstream.nacos.tls.certFile", "a client certificate needs both certFile and keyFile"))
	}
	for _, f := range []struct{ field, path string }{
		{"upstream.nacos.tls.caFile", u.CAFile}, {"upstream.nacos.tls.certFile", u.CertFile},
		{"upstream.nacos.tls.keyFile", u.KeyFile},
	} {
		add(checkReadable(f.field, f.path))
	}
	for i, p := range c.HTTP.TrustedProxies {
		if _, err := ParsePrefix(p); err != nil {
			add(fieldErrorf("http.trustedProxies", "entry %d %q: want an IP or a CIDR network like 10.0.0.0/8", i, p))
		}
	}
	l := c.Limits
	add(intRange("limits.maxConnectionsPerIP", l.MaxConnectionsPerIP, 0, maxLimit))
	add(intRange("limits.requestsPerSecond", l.RequestsPerSecond, 0, maxLimit))
	add(intRange("limits.requestBurst", l.RequestBurst, 1, maxLimit))
}

// checkListenerTLS wants both files or neither, each readable.
func checkListenerTLS(prefix string, t ListenerTLS) error {
	if !t.Enabled() {
		if t.ClientCAFile != "" {
			return fieldErrorf(prefix+".clientCAFile", "needs %s.certFile and %s.keyFile (TLS)", prefix, prefix)
		}
		return nil
	}
	if t.CertFile == "" || t.KeyFile == "" {
		return fieldErrorf(prefix+".certFile", "TLS needs both %s.certFile and %s.keyFile", prefix, prefix)
	}
	for _, f := range []struct{ field, path string }{
		{prefix + ".certFile", t.CertFile}, {prefix + ".keyFile", t.KeyFile}, {prefix + ".clientCAFile", t.ClientCAFile},
	} {
		if err := checkReadable(f.field, f.path); err != nil {
			return err
		}
	}
	return nil
}

// checkReadable reports a set path that cannot be opened.
func checkReadable(field, path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fieldErrorf(field, "%v", err)
	}
	f.Close()
	return nil
}

// ParsePrefix reads a trusted proxy entry: a CIDR network, or one IP.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}
