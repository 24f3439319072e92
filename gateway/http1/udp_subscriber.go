package http1

import (
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// subRef names one subscription of a UDP subscriber.
type subRef struct {
	key      upstream.ServiceKey
	clusters string
}

// udpSubscriber is one 1.x client's UDP endpoint (clientIP:udpPort) as the
// Hub sees it. Its subscriptions are renewed by instance list queries.
type udpSubscriber struct {
	u    *udpPusher
	id   string
	addr *net.UDPAddr

	// mu protects client and renewed.
	mu      sync.Mutex
	client  fanout.ClientInfo
	renewed map[subRef]time.Time
}

// renew records that ref was asked for at now.
func (s *udpSubscriber) renew(ref subRef, client fanout.ClientInfo, now time.Time) {
	s.mu.Lock()
	s.client = client
	s.renewed[ref] = now
	s.mu.Unlock()
}

// stale removes and returns the subscriptions last renewed before cutoff,
// and whether none remain.
func (s *udpSubscriber) stale(cutoff time.Time) ([]subRef, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []subRef
	for ref, at := range s.renewed {
		if at.Before(cutoff) {
			out = append(out, ref)
			delete(s.renewed, ref)
		}
	}
	return out, len(s.renewed) == 0
}

// ID implements fanout.Subscriber: "udp:<ip>:<port>".
func (s *udpSubscriber) ID() string { return s.id }

// Client implements fanout.Subscriber.
func (s *udpSubscriber) Client() fanout.ClientInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client
}

// Encoder implements fanout.Subscriber: the shared UDP encoder.
func (s *udpSubscriber) Encoder() fanout.Encoder { return s.u.enc }

// maxDatagram is the largest UDP payload over IPv4 (65535 less the IP
// and UDP headers).
const maxDatagram = 65507

// Send implements fanout.Subscriber: one datagram to the client. UDP
// writes do not wait for the peer. A push too large for one datagram,
// even gzipped, is not sent: the Hub records it dropped with the error as
// its reason, and the client keeps its cacheMillis polling.
func (s *udpSubscriber) Send(p *fanout.Push) error {
	if len(p.Frame) > maxDatagram {
		return fmt.Errorf("push of %d bytes (gzipped) exceeds one UDP datagram (%d bytes); not sent, the client keeps polling",
			len(p.Frame), maxDatagram)
	}
	if _, err := s.u.conn.WriteToUDP(p.Frame, s.addr); err != nil {
		return fmt.Errorf("udp push to %s: %w", s.addr, err)
	}
	return nil
}

// Close implements fanout.Subscriber: the subscriber is forgotten; the
// client subscribes again with its next list query.
func (s *udpSubscriber) Close(reason string) {
	s.u.log.Info("dropping udp subscriber", "addr", s.addr.String(), "reason", reason)
	s.u.drop(s)
}
