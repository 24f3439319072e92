package gateway

import (
	"time"

	"github.com/herald-gateway/herald/gateway/kitex_gen/nacospb"
)

// ack resolves the server request with requestID. It reports the request
// and whether it was outstanding.
func (c *conn) ack(requestID string, ok bool, now time.Time) (*pendingAck, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.probe != nil && c.probe.requestID == requestID {
		p := c.probe
		if ok {
			c.probe = nil
		}
		return p, true
	}
	p, found := c.acks[requestID]
	if found {
		delete(c.acks, requestID)
	}
	return p, found
}

// sweepLoop runs sweep every SweepInterval until the server stops.
func (s *Server) sweepLoop() {
	t := time.NewTicker(s.opts.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case now := <-t.C:
			s.sweep(now)
		}
	}
}

// sweep applies the time rules to every connection at time now: expired
// push acks are dropped, a connection idle for IdleTimeout gets a
// ClientDetectionRequest, and one that leaves it unanswered for
// DetectTimeout is closed. A transport that never set up a session is
// closed once it has been idle for IdleTimeout.
func (s *Server) sweep(now time.Time) {
	for _, c := range s.snapshotConns() {
		switch verdict := c.check(now, s.opts.IdleTimeout); verdict {
		case verdictProbe:
			s.probe(c, now)
		case verdictClose:
			s.closeConn(c, "client detection failed")
		case verdictNoSession:
			s.closeConn(c, "no ConnectionSetupRequest in time")
		}
	}
}

type verdict int

const (
	verdictOK verdict = iota
	verdictProbe
	verdictClose
	verdictNoSession
)

// check expires acks and decides what the connection needs at time now.
func (c *conn) check(now time.Time, idleTimeout time.Duration) verdict {
	idle := now.Sub(c.idleSince())
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return verdictOK
	}
	for id, p := range c.acks {
		if now.After(p.deadline) {
			delete(c.acks, id)
		}
	}
	switch {
	case c.client == nil:
		if idle >= idleTimeout {
			return verdictNoSession
		}
	case c.probe != nil:
		if c.idleSince().After(c.probe.sent) {
			c.probe = nil // the client spoke since: it is alive
		} else if now.After(c.probe.deadline) {
			return verdictClose
		}
	case idle >= idleTimeout:
		return verdictProbe
	}
	return verdictOK
}

type clientDetectionRequest struct {
	request
}

// probe sends a ClientDetectionRequest; the answer must come within
// DetectTimeout.
func (s *Server) probe(c *conn, now time.Time) {
	id := s.ids.next()
	p, err := newPayload("ClientDetectionRequest", clientDetectionRequest{request{RequestID: id, Module: "internal"}})
	if err != nil {
		s.log.Error("encode ClientDetectionRequest", "err", err)
		return
	}
	c.mu.Lock()
	out := c.out
	if c.closed || out == nil {
		c.mu.Unlock()
		return
	}
	c.probe = &pendingAck{requestID: id, sent: now, deadline: now.Add(s.opts.DetectTimeout)}
	c.mu.Unlock()
	if err := out.sendPayload(p); err != nil {
		s.log.Debug("probe not queued", "conn", c.id, "err", err)
	}
}

var _ = nacospb.Payload{}
