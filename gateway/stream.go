package gateway

import (
	"strings"

	"github.com/herald-gateway/herald/gateway/transport"
	"github.com/herald-gateway/herald/internal/nacospb"
	"github.com/herald-gateway/herald/internal/nacoswire"
)

// onStreamMessage handles one client message on the stream.
func (s *Server) onStreamMessage(c *conn, stream transport.Stream, p *nacospb.Payload) {
	typ := nacoswire.Type(p)
	switch {
	case typ == nacoswire.TypeConnectionSetupRequest:
		s.setUp(c, stream, p)
	case strings.HasSuffix(typ, "Response"):
		s.onAck(c, p)
	default:
		// Clients send only setup and responses on the stream; anything
		// else is logged and dropped, as the reference server does.
		s.log.Warn("unexpected stream message", "conn", c.id, "type", typ)
	}
}

// setUp registers the session synchronously, before the next message is
// read: the Go SDK starts sending requests 100 ms after the setup without
// waiting for any reply, and a 301 would make it reconnect. No reply is
// sent.
func (s *Server) setUp(c *conn, stream transport.Stream, p *nacospb.Payload) {
	var req nacoswire.ConnectionSetupRequest
	if err := decodeBody(p, &req); err != nil {
		s.log.Warn("bad ConnectionSetupRequest; closing", "conn", c.id, "err", err)
		go s.closeConn(c, "bad ConnectionSetupRequest")
		return
	}
	info := &clientInfo{
		IP:        c.remoteIP,
		Version:   req.ClientVersion,
		Namespace: req.Tenant,
		Labels:    req.Labels,
		AppName:   req.Labels["AppName"],
	}
	if ip := p.GetMetadata().GetClientIp(); ip != "" {
		info.IP = ip
	}
	out := newOutbox(stream, s.opts.PushQueue, func(err error) {
		go s.closeConn(c, "stream write failed: "+err.Error())
	}, s.log)
	if err := c.setUp(info, out); err != nil {
		s.log.Warn("ConnectionSetupRequest ignored", "conn", c.id, "why", err)
		return
	}
	s.log.Debug("session set up", "conn", c.id, "client", info.IP, "version", info.Version)
}

// onAck matches a client response to the server request it answers, by
// requestId only (the type name is not reliable: Go acks config pushes
// with NotifySubscriberResponse).
func (s *Server) onAck(c *conn, p *nacospb.Payload) {
	id, ok, err := ackFields(nacoswire.Body(p))
	if err != nil {
		s.log.Warn("undecodable ack", "conn", c.id, "type", nacoswire.Type(p), "err", err)
		return
	}
	if !c.probeAnswered(id, ok) {
		s.hub.Ack(c.id, id, ok)
	}
}
