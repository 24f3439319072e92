package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/herald-gateway/herald/gateway/transport"
	"github.com/herald-gateway/herald/internal/nacoswire"
)

// Moving clients elsewhere. A drain (before a restart) and a shed (to
// rebalance) both send ConnectResetRequest to gRPC clients, spread over a
// window so the rest of the fleet is not hit all at once; a Nacos SDK
// answers by reconnecting to the next server of its list and redoing its
// subscriptions and registrations there (NACOS_PROTOCOL.md A.5, A.10).
// The registrations of a connection told to move outlive it for the
// registration grace (grace.go). A client that has not left
// ResetTimeout after its reset is closed by the sweep.

// errDraining refuses new connections while the gateway drains.
var errDraining = fmt.Errorf("%w: gateway draining", transport.ErrRefused)

// DrainReport says what a drain did.
type DrainReport struct {
	Connections int           `json:"connections"` // gRPC connections when the drain began
	Moved       int           `json:"moved"`       // told to move (ConnectResetRequest)
	Left        int           `json:"left"`        // closed by their clients (or the sweep) before the end
	Closed      int           `json:"closed"`      // still open at the end and closed by the drain
	Released    int64         `json:"released"`    // held registrations released as registered again elsewhere
	Expired     int64         `json:"expired"`     // held registrations released at the end of their grace
	Took        time.Duration `json:"tookNanos"`
}

// Draining reports whether Drain has begun.
func (s *Server) Draining() bool { return s.draining.Load() }

// DrainOptions shape a drain.
type DrainOptions struct {
	// Window spreads the ConnectResetRequests over this long.
	Window time.Duration
	// AwaitHeld waits until every held registration is released (at most
	// the registration grace). A gateway whose registry ends with it
	// (embedded) has nothing to wait for: its clients register elsewhere.
	AwaitHeld bool
	// Timeout ends the wait for room among the moves under way
	// (Options.MaxMoving): past it, the clients left are told at once.
	// 0: no limit.
	Timeout time.Duration
}

// Drain empties the gateway before it stops: it refuses new connections,
// tells every client to move, spread over the window, waits until the
// clients have left (at most ResetTimeout after the last reset, then up
// to AckTimeout more for the pushes still owed an acknowledgement),
// closes what is left and, with AwaitHeld, waits for the held
// registrations. ctx bounds it all. Stop is still needed afterwards.
func (s *Server) Drain(ctx context.Context, o DrainOptions) DrainReport {
	start := time.Now()
	s.draining.Store(true)
	var released0, expired0 int64 // earlier sheds' releases are not this drain's
	if s.grace != nil {
		released0, expired0 = s.grace.released.Load(), s.grace.expired.Load()
	}
	conns := s.snapshotConns()
	rep := DrainReport{Connections: len(conns)}
	s.log.Info("drain started", "connections", len(conns), "window", o.Window)
	var hurry time.Time
	if o.Timeout > 0 {
		hurry = start.Add(o.Timeout)
	}
	rep.Moved = s.spread(ctx, conns, o.Window, hurry)
	s.awaitEmpty(ctx, time.Now().Add(s.opts.ResetTimeout))
	rep.Closed = s.closeStragglers(ctx)
	rep.Left = rep.Connections - rep.Closed
	if s.grace != nil && o.AwaitHeld {
		if err := s.grace.wait(ctx); err != nil {
			s.log.Warn("drain: registrations still held", "held", s.grace.count(), "err", err)
		}
		rep.Released, rep.Expired = s.grace.released.Load()-released0, s.grace.expired.Load()-expired0
	}
	rep.Took = time.Since(start)
	s.log.Info("drain done", "moved", rep.Moved, "closed", rep.Closed, "released", rep.Released,
		"expired", rep.Expired, "took", rep.Took)
	return rep
}

// Shed tells n clients to move, spread over window, in the background;
// it returns how many it picked. n larger than the connections held moves
// them all.
func (s *Server) Shed(n int, window time.Duration) int {
	select {
	case <-s.done:
		return 0 // stopped
	default:
	}
	conns := s.snapshotConns()
	conns = conns[:min(max(n, 0), len(conns))]
	if len(conns) == 0 {
		return 0
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-s.done:
				cancel()
			case <-ctx.Done():
			}
		}()
		moved := s.spread(ctx, conns, window, time.Time{})
		s.log.Info("shed done", "moved", moved, "window", window)
	}()
	return len(conns)
}

// spread tells conns to move, one after another, evenly over window and
// never more than Options.MaxMoving moving at once (until hurry, if not
// zero); it returns how many were told. A connection that has closed
// meanwhile is skipped without waiting for its turn, so a drain whose
// clients are already gone does not wait out the window.
func (s *Server) spread(ctx context.Context, conns []*conn, window time.Duration, hurry time.Time) int {
	start := time.Now()
	t := time.NewTimer(0)
	defer t.Stop()
	moved := 0
	for i, c := range conns {
		if c.isClosed() {
			continue
		}
		at := start.Add(window * time.Duration(i) / time.Duration(len(conns)))
		if d := time.Until(at); d > 0 {
			t.Reset(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				return moved
			}
		}
		if !s.moves.room(ctx, hurry) {
			return moved
		}
		if s.move(c) {
			moved++
		}
	}
	return moved
}

// move sends c a ConnectResetRequest; a transport without a session
// (nothing set up, nothing held) is closed instead. It reports whether
// the client was told.
func (s *Server) move(c *conn) bool {
	c.mu.Lock()
	out, told := c.out.Load(), c.closed || c.moving
	if !told && out != nil {
		c.moving, c.movedAt = true, time.Now()
		s.moves.begin(c.id) // with moving: a release from now on ends it
	}
	c.mu.Unlock()
	switch {
	case told:
		return false
	case out == nil:
		s.closeConn(c, "draining: no session")
		return false
	}
	p, err := nacoswire.NewPayload(nacoswire.TypeConnectResetRequest, nacoswire.ConnectResetRequest{
		Request: nacoswire.Internal(s.enc.ids.next()), ConnectionID: c.id})
	if err == nil {
		err = out.sendPayload(p)
	}
	if err != nil {
		s.moves.end(c.id)
	}
	if err != nil && !errors.Is(err, errConnClosed) {
		s.log.Debug("ConnectResetRequest not queued", "conn", c.id, "err", err)
	}
	return err == nil
}

// awaitEmpty waits until no connection is left, deadline passes or ctx
// is done.
func (s *Server) awaitEmpty(ctx context.Context, deadline time.Time) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for s.connCount() > 0 && time.Now().Before(deadline) {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// closeStragglers closes the connections left, each once its owed acks
// have come (or AckTimeout passed); it returns how many it closed.
func (s *Server) closeStragglers(ctx context.Context) int {
	left := s.snapshotConns()
	deadline := time.Now().Add(s.hub.AckTimeout())
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for _, c := range left {
		for s.hub.PendingAcks(c.id) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
		}
		s.closeConn(c, "draining: client did not move")
	}
	return len(left)
}

func (s *Server) connCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// MoveStats counts connections told to move and the registrations held
// for them.
type MoveStats struct {
	Moving   int   `json:"moving"`   // connections told to move and still open
	UnderWay int   `json:"underWay"` // moves not yet arrived elsewhere (counted against fleet.maxMoving)
	Held     int   `json:"held"`     // registration slots held for the grace now
	Released int64 `json:"released"` // held slots released as registered again elsewhere
	Expired  int64 `json:"expired"`  // held slots released at the end of their grace
}

// MoveStats reports the moves under way.
func (s *Server) MoveStats() MoveStats {
	var st MoveStats
	for _, c := range s.snapshotConns() {
		c.mu.Lock()
		if c.moving && !c.closed {
			st.Moving++
		}
		c.mu.Unlock()
	}
	st.UnderWay = s.moves.underWay()
	if s.grace != nil {
		st.Held, st.Released, st.Expired = s.grace.count(), s.grace.released.Load(), s.grace.expired.Load()
	}
	return st
}
