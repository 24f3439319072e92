package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/herald-gateway/herald/gateway/transport"
	"github.com/herald-gateway/herald/internal/nacospb"
	"github.com/herald-gateway/herald/internal/nacoswire"
)

// core is the Server as its transport calls it (transport.Core). It only
// translates: sessions are *conn, and every rule lives in the Server's
// own methods.
type core struct{ s *Server }

var _ transport.Core = core{}

// asConn is the *conn behind a session the core made; nil for none.
func asConn(sess transport.Session) *conn {
	c, _ := sess.(*conn)
	return c
}

// Opened implements transport.Core.
func (k core) Opened(nc transport.Conn) (transport.Session, error) {
	c, err := k.s.opened(nc)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Closed implements transport.Core.
func (k core) Closed(sess transport.Session) {
	if c := asConn(sess); c != nil {
		k.s.release(c)
	}
}

// Unary implements transport.Core. Every failure is answered in-band with
// a Nacos ErrorResponse, so a bad request never costs the client its
// connection.
func (k core) Unary(ctx context.Context, sess transport.Session, p *nacospb.Payload) *nacospb.Payload {
	s := k.s
	start := time.Now()
	resp, err := s.unary(ctx, asConn(sess), p)
	if err != nil {
		var ne *nacosError
		if !errors.As(err, &ne) {
			s.log.Error("request failed", "type", nacoswire.Type(p), "err", err)
			ne = errorf(nacoswire.ErrServer, "%s failed: %v", nacoswire.Type(p), err)
		}
		s.observeRequest(nacoswire.Type(p), start, ne.code)
		return errorPayload(ne)
	}
	s.observeRequest(nacoswire.Type(p), start, 200)
	return resp
}

// StreamMessage implements transport.Core.
func (k core) StreamMessage(sess transport.Session, out transport.Stream, p *nacospb.Payload) {
	c := asConn(sess)
	if c == nil {
		return
	}
	c.touch(time.Now())
	if c.refused != nil {
		k.s.closeConn(c, "refused: "+c.refused.Error())
		return
	}
	k.s.onStreamMessage(c, out, p)
}

// StreamEnded implements transport.Core: when the stream ends, the
// connection ends, and everything it held is released.
func (k core) StreamEnded(sess transport.Session) {
	if c := asConn(sess); c != nil {
		k.s.closeConn(c, "stream ended")
	}
}
