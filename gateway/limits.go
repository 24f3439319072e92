package gateway

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-gateway/herald/gateway/transport"
	"github.com/herald-gateway/herald/internal/nacoswire"
)

// Limits bound what one client may take of the endpoint (issue 15, abuse
// limits). Zero means no bound.
type Limits struct {
	// MaxConnsPerIP caps the connections open at once from one client IP
	// (the TCP peer): a new one beyond it is refused before it is served.
	MaxConnsPerIP int
	// RequestsPerSecond caps a connection's unary requests, a token
	// bucket of RequestBurst (at least 1) refilled at this rate: Nacos's
	// TPS control. Health checks are exempt: refusing them would make the
	// SDK reconnect, the opposite of slowing down.
	RequestsPerSecond int
	RequestBurst      int
}

// Names of the limits in Refusals (and the metric's limit label).
const (
	LimitConnectionsPerIP = "connections_per_ip"
	LimitRequestRate      = "requests_per_second"
)

// refusals counts what each limit refused.
type refusals struct {
	conns, requests atomic.Uint64
}

// Refusals counts the connections and requests refused by each limit
// since start, by limit name.
func (s *Server) Refusals() map[string]uint64 {
	return map[string]uint64{
		LimitConnectionsPerIP: s.refused.conns.Load(),
		LimitRequestRate:      s.refused.requests.Load(),
	}
}

// refusedGrace is how long a refused connection is kept so the client
// reads why (its ServerCheck is answered with the reason) before the
// sweep closes it. Refused connections are not counted against the
// limit: a client that floods only holds each this long.
const refusedGrace = time.Second

// admitLocked counts c against its IP's connections, or returns why it
// is refused. s.mu must be held.
//
// A refused connection is not closed at once: a transport closed before
// the client has read anything shows the client a reset or a broken pipe,
// not a reason. Instead every request on it, ServerCheck first, is
// answered errorCode 503 with the reason, a ConnectionSetupRequest closes
// it, and the sweep closes it after refusedGrace.
func (s *Server) admitLocked(c *conn) error {
	if max := s.opts.Limits.MaxConnsPerIP; max > 0 && s.perIP[c.remoteIP] >= max {
		s.refused.conns.Add(1)
		return fmt.Errorf("%w: too many connections from %s: %d open, limits.maxConnectionsPerIP is %d",
			transport.ErrRefused, c.remoteIP, s.perIP[c.remoteIP], max)
	}
	s.perIP[c.remoteIP]++
	return nil
}

// leaveLocked uncounts a released connection. s.mu must be held.
func (s *Server) leaveLocked(c *conn) {
	if n := s.perIP[c.remoteIP]; n > 1 {
		s.perIP[c.remoteIP] = n - 1
	} else {
		delete(s.perIP, c.remoteIP)
	}
}

// newBucket is the request bucket of a new connection; nil: no limit.
func (l Limits) newBucket(now time.Time) *bucket {
	if l.RequestsPerSecond <= 0 {
		return nil
	}
	burst := float64(max(l.RequestBurst, 1))
	return &bucket{rate: float64(l.RequestsPerSecond), burst: burst, tokens: burst, last: now}
}

// overRate answers a request beyond the connection's rate with Nacos's
// OVER_THRESHOLD; health checks always pass.
func (s *Server) overRate(c *conn, typ string, now time.Time) error {
	if typ == nacoswire.TypeHealthCheckRequest || c.rate.take(now) {
		return nil
	}
	s.refused.requests.Add(1)
	return errorf(nacoswire.ErrOverThreshold, "over the request rate of this connection: %d per second "+
		"(burst %d; limits.requestsPerSecond), slow down", s.opts.Limits.RequestsPerSecond, max(s.opts.Limits.RequestBurst, 1))
}

// bucket is a token bucket with time passed in.
type bucket struct {
	rate, burst float64 // tokens per second; most tokens held

	// mu protects tokens and last.
	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// take spends one token at now if there is one. A nil bucket always
// allows.
func (b *bucket) take(now time.Time) bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
