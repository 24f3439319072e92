package http1

import (
	"net/netip"
)

// udpTarget is the IP a list request's UDP pushes go to (issue 15, no
// reflection): the address the request came from, so that no request
// can aim pushes at a third party. Only a request from a trusted proxy
// (Options.TrustedProxies) speaks for another client, and then its
// clientIP parameter is honoured. A clientIP that is not an IP is bad
// input whoever sends it.
func (s *Server) udpTarget(r *request) (string, error) {
	named := r.p.get("clientIP")
	if named != "" {
		if _, err := netip.ParseAddr(named); err != nil {
			return "", badRequest("clientIP", "clientIP %q is not an IP address", named)
		}
	}
	if named != "" && s.trustedProxy(r.peerIP) {
		return named, nil
	}
	if named != "" && named != r.peerIP {
		s.log.Debug("udp subscription goes to the request's address, not clientIP",
			"peer", r.peerIP, "clientIP", named)
	}
	return r.peerIP, nil
}

// trustedProxy reports whether ip is in a trusted proxy network.
func (s *Server) trustedProxy(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
