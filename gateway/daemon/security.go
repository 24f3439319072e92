package daemon

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/gateway"
	"github.com/herald-gateway/herald/internal/tlsfiles"
)

// ALPN protocols of the client-facing listeners: gRPC clients insist on
// h2; the 1.x API is HTTP/1.1 only.
var (
	alpnGRPC  = []string{"h2"}
	alpnHTTP1 = []string{"http/1.1"}
)

// listenerTLS is the TLS configuration of a listener, re-reading its files
// on change; nil when t turns no TLS on.
func listenerTLS(field string, t conf.ListenerTLS, alpn []string, log *slog.Logger) (*tls.Config, error) {
	if !t.Enabled() {
		return nil, nil
	}
	cfg, err := tlsfiles.Server(tlsfiles.Files{CertFile: t.CertFile, KeyFile: t.KeyFile, CAFile: t.ClientCAFile},
		alpn, log.With("component", "tls", "listener", field))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return cfg, nil
}

// upstreamTLS is the link's TLS configuration; nil for plain text.
func upstreamTLS(t conf.UpstreamTLS, log *slog.Logger) (*tls.Config, error) {
	if !t.On() {
		return nil, nil
	}
	cfg, err := tlsfiles.Client(tlsfiles.Files{CertFile: t.CertFile, KeyFile: t.KeyFile, CAFile: t.CAFile},
		t.ServerName, log.With("component", "tls", "link", "upstream"))
	if err != nil {
		return nil, fmt.Errorf("upstream.nacos.tls: %w", err)
	}
	return cfg, nil
}

// trustedProxies parses http.trustedProxies (validated already).
func trustedProxies(entries []string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(entries))
	for _, e := range entries {
		if p, err := conf.ParsePrefix(e); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// refusals counts what the abuse limits refused, by limit: the gRPC
// endpoint's connection and rate limits and the Hub's subscription cap.
func (d *Daemon) refusals() map[string]uint64 {
	out := d.grpc.Refusals()
	out["subscriptions_per_client"] = d.hub.RefusedSubscriptions()
	return out
}

// gatewayLimits are the gRPC endpoint's limits from cfg.
func gatewayLimits(l conf.LimitsConfig) gateway.Limits {
	return gateway.Limits{MaxConnsPerIP: l.MaxConnectionsPerIP, RequestsPerSecond: l.RequestsPerSecond,
		RequestBurst: l.RequestBurst}
}
