package gateway

import (
	"time"

	"github.com/herald-gateway/herald/internal/nacoswire"
)

// probeAnswered resolves the outstanding ClientDetectionRequest if
// requestID is its id; it reports whether it was.
func (c *conn) probeAnswered(requestID string, ok bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.probe == nil || c.probe.requestID != requestID {
		return false
	}
	if ok {
		c.probe = nil
	}
	return true
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

// sweep applies the time rules to every connection at time now: a
// connection idle for IdleTimeout gets a
// ClientDetectionRequest, and one that leaves it unanswered for
// DetectTimeout is closed. A transport that never set up a session is
// closed once it has been idle for IdleTimeout.
func (s *Server) sweep(now time.Time) {
	for _, c := range s.snapshotConns() {
		switch verdict := c.check(now, s.opts.IdleTimeout, s.opts.ResetTimeout); verdict {
		case verdictProbe:
			s.probe(c, now)
		case verdictClose:
			s.closeConn(c, "client detection failed")
		case verdictNoSession:
			s.closeConn(c, "no ConnectionSetupRequest in time")
		case verdictRefused:
			s.closeConn(c, "refused: "+c.refused.Error())
		case verdictMoved:
			s.closeConn(c, "told to move and still here after the reset timeout")
		}
	}
}

type verdict int

const (
	verdictOK verdict = iota
	verdictProbe
	verdictClose
	verdictNoSession
	verdictRefused
	verdictMoved
)

// check decides what the connection needs at time now.
func (c *conn) check(now time.Time, idleTimeout, resetTimeout time.Duration) verdict {
	idle := now.Sub(c.idleSince())
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return verdictOK
	}
	switch {
	case c.refused != nil:
		if now.Sub(c.opened) >= refusedGrace {
			return verdictRefused
		}
	case c.moving && now.Sub(c.movedAt) >= resetTimeout:
		return verdictMoved
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

// probe sends a ClientDetectionRequest; the answer must come within
// DetectTimeout.
func (s *Server) probe(c *conn, now time.Time) {
	id := s.enc.ids.next()
	p, err := nacoswire.NewPayload(nacoswire.TypeClientDetectionRequest, nacoswire.Internal(id))
	if err != nil {
		s.log.Error("encode ClientDetectionRequest", "err", err)
		return
	}
	c.mu.Lock()
	out := c.out.Load()
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
