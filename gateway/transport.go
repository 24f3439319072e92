package gateway

import (
	"context"
	"net"

	"github.com/cloudwego/kitex/pkg/remote"
)

// connKey is the context key under which each HTTP/2 transport's *conn is
// stored. Kitex derives every stream's context from the transport context
// that OnActive returns, so unary calls and the bidi stream of one
// transport all find the same *conn: Nacos's connection identity.
type connKey struct{}

// connFrom returns the transport's connection, or nil outside a transport.
func connFrom(ctx context.Context) *conn {
	c, _ := ctx.Value(connKey{}).(*conn)
	return c
}

// transportHooks is a Kitex inbound bound handler that sees every
// transport open and close. It adapts Kitex to the gateway: a new
// transport becomes a *conn in the context, a closed one is released.
type transportHooks struct {
	opened func(nc net.Conn) *conn
	closed func(c *conn)
}

var _ remote.InboundHandler = (*transportHooks)(nil)

// OnActive implements remote.InboundHandler.
func (h *transportHooks) OnActive(ctx context.Context, nc net.Conn) (context.Context, error) {
	return context.WithValue(ctx, connKey{}, h.opened(nc)), nil
}

// OnInactive implements remote.InboundHandler.
func (h *transportHooks) OnInactive(ctx context.Context, _ net.Conn) context.Context {
	if c := connFrom(ctx); c != nil {
		h.closed(c)
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
