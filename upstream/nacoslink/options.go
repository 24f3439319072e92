package nacoslink

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/herald-gateway/herald/upstream"
)

// Options configures a Link. Zero durations take the defaults below; a
// negative Linger or ResyncGrace means none.
type Options struct {
	// Servers are the upstream's gRPC addresses (host:port; Nacos's gRPC
	// port is its HTTP port + 1000, 9848 by default). Tried in order,
	// round-robin on reconnect. At least one is required.
	Servers []string
	// RequestTimeout bounds every unary request. Default 3s.
	RequestTimeout time.Duration
	// Linger keeps an upstream subscription this long after its last local
	// subscriber left, so a quick re-subscribe costs nothing. Default 30s.
	Linger time.Duration
	// ResyncGrace is how long after the redo of a reconnect a service may
	// not drop to zero instances (see the package doc). Default 5s.
	ResyncGrace time.Duration
	// HealthInterval is the period of HealthCheckRequests; three failures
	// in a row end the session. Default 5s, as the Nacos SDKs.
	HealthInterval time.Duration
	// BackoffMax caps the delay between reconnect attempts. Default 5s.
	BackoffMax time.Duration
	// ClientVersion is sent in ConnectionSetupRequest. Default "Herald".
	ClientVersion string
	// AppName is the AppName label of the connection. Default "herald".
	AppName string
	// Credentials log the link in to an upstream with auth on; none by
	// default.
	Credentials Credentials
	// MaxConfigBytes bounds a forwarded publish's content. Default
	// upstream.DefaultMaxConfigBytes.
	MaxConfigBytes int
	// TLS, when set, dials every server with TLS (tlsfiles.Client builds
	// one that re-reads its files); the name checked is each server's host
	// unless TLS.ServerName is set. Nil: plain text.
	TLS *tls.Config
	// Logger receives connection events. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock (tests inject one). Default time.Now.
	Now func() time.Time
}

// Defaults.
const (
	DefaultRequestTimeout = 3 * time.Second
	DefaultLinger         = 30 * time.Second
	DefaultResyncGrace    = 5 * time.Second
	DefaultHealthInterval = 5 * time.Second
	DefaultBackoffMax     = 5 * time.Second
	backoffBase           = 100 * time.Millisecond
	healthFailures        = 3
)

// withDefaults validates o and fills in the defaults.
func (o Options) withDefaults() (Options, error) {
	if len(o.Servers) == 0 {
		return o, fmt.Errorf("servers: at least one upstream host:port is required")
	}
	for i, s := range o.Servers {
		if err := CheckServer(s); err != nil {
			return o, fmt.Errorf("servers[%d]: %w", i, err)
		}
	}
	if err := o.Credentials.check(); err != nil {
		return o, err
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.RequestTimeout, DefaultRequestTimeout)
	def(&o.Linger, DefaultLinger)
	def(&o.ResyncGrace, DefaultResyncGrace)
	def(&o.HealthInterval, DefaultHealthInterval)
	def(&o.BackoffMax, DefaultBackoffMax)
	for name, d := range map[string]time.Duration{"requestTimeout": o.RequestTimeout,
		"healthInterval": o.HealthInterval, "backoffMax": o.BackoffMax} {
		if d < 0 {
			return o, fmt.Errorf("%s: must not be negative, got %v", name, d)
		}
	}
	if o.ClientVersion == "" {
		o.ClientVersion = "Herald"
	}
	if o.AppName == "" {
		o.AppName = "herald"
	}
	if o.MaxConfigBytes <= 0 {
		o.MaxConfigBytes = upstream.DefaultMaxConfigBytes
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// CheckServer reports whether s is a usable host:port.
func CheckServer(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %w", s, err)
	}
	if host == "" {
		return fmt.Errorf("%q has no host", s)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("%q: port must be 1..65535", s)
	}
	return nil
}

// backoff is the delay before reconnect attempt n (0-based) after
// failures: 100ms doubling, capped at max.
func backoff(n int, max time.Duration) time.Duration {
	d := backoffBase
	for i := 0; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}
