package kitex

import (
	"context"
	"net"

	"github.com/cloudwego/kitex/pkg/remote"

	"github.com/herald-gateway/herald/gateway/transport"
)

// sessionKey is the context key under which each HTTP/2 transport's
// session is stored. Kitex derives every stream's context from the
// transport context that OnActive returns, so unary calls and the bidi
// stream of one transport all find the same session: Nacos's connection
// identity.
type sessionKey struct{}

// sessionFrom returns the transport's session, or nil outside a transport.
func sessionFrom(ctx context.Context) transport.Session {
	s, _ := ctx.Value(sessionKey{}).(transport.Session)
	return s
}

// transportHooks is a Kitex inbound bound handler that sees every
// transport open and close. It adapts Kitex to the session core: a new
// transport becomes a session in the context, a closed one is released.
type transportHooks struct {
	core transport.Core
	wrap func(net.Conn) net.Conn // the connection as the core may close it
}

var _ remote.InboundHandler = (*transportHooks)(nil)

// OnActive implements remote.InboundHandler. A connection the core
// refuses is closed by Kitex (OnActive's error ends it).
func (h *transportHooks) OnActive(ctx context.Context, nc net.Conn) (context.Context, error) {
	s, err := h.core.Opened(h.wrap(nc))
	if err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, sessionKey{}, s), nil
}

// OnInactive implements remote.InboundHandler.
func (h *transportHooks) OnInactive(ctx context.Context, _ net.Conn) context.Context {
	if s := sessionFrom(ctx); s != nil {
		h.core.Closed(s)
	}
	return ctx
}

// OnRead implements remote.InboundHandler.
func (h *transportHooks) OnRead(ctx context.Context, _ net.Conn) (context.Context, error) {
	return ctx, nil
}

// OnMessage implements remote.InboundHandler.
func (h *transportHooks) OnMessage(ctx context.Context, _, _ remote.Message) (context.Context, error) {
	return ctx, nil
}
