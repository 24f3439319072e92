package kitex

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"

	"github.com/cloudwego/kitex/pkg/endpoint"
	"github.com/cloudwego/kitex/pkg/remote"
	"github.com/cloudwego/kitex/pkg/remote/trans/detection"
	"github.com/cloudwego/kitex/pkg/remote/trans/nphttp2/grpc"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/netpoll"
)

// guardedStateKey holds a connection's *guardedState in its context.
type guardedStateKey struct{}

// guardedState is one connection's HTTP/2 transport, once opened.
type guardedState struct {
	// mu protects ctx: OnRead opens the transport while a transport
	// server may report the close from another goroutine.
	mu  sync.Mutex
	ctx context.Context // the inner handler's transport context; nil until opened
}

// guardedHandlerFactory builds Kitex's nphttp2 server handler with one
// change: the connection it is given when a transport opens is wrapped,
// so the HTTP/2 server reads every byte through a guardConn. This is the
// hook Kitex 0.16 offers (the handler's codec is fixed, and it has no
// receive limit): nphttp2 reads only from the conn handed to OnActive.
//
// reportClose is for transport servers that never call OnInactive (Kitex's
// gonet): the handler then reports the close through the pipeline itself
// once the transport's read loop ends, so Herald releases the connection
// and nphttp2 forgets the transport.
type guardedHandlerFactory struct {
	inner       remote.ServerTransHandlerFactory
	wrap        func(net.Conn) net.Conn
	reportClose bool
}

// NewTransHandler implements remote.ServerTransHandlerFactory.
func (f *guardedHandlerFactory) NewTransHandler(opt *remote.ServerOption) (remote.ServerTransHandler, error) {
	h, err := f.inner.NewTransHandler(opt)
	if err != nil {
		return nil, err
	}
	inner, ok := h.(detection.DetectableServerTransHandler)
	if !ok {
		return nil, errors.New("guarded handler: inner handler cannot detect its protocol")
	}
	return &guardedHandler{DetectableServerTransHandler: inner, f: f}, nil
}

// guardedHandler is the handler guardedHandlerFactory builds.
type guardedHandler struct {
	detection.DetectableServerTransHandler
	f        *guardedHandlerFactory
	pipeline *remote.TransPipeline // set once by Kitex before serving
}

var (
	_ remote.GracefulShutdown       = (*guardedHandler)(nil)
	_ remote.InvokeHandleFuncSetter = (*guardedHandler)(nil)
)

// SetInvokeHandleFunc implements remote.InvokeHandleFuncSetter: without
// it the inner handler would have no endpoint to call.
func (h *guardedHandler) SetInvokeHandleFunc(ep endpoint.Endpoint) {
	if s, ok := h.DetectableServerTransHandler.(remote.InvokeHandleFuncSetter); ok {
		s.SetInvokeHandleFunc(ep)
	}
}

// SetPipeline implements remote.TransHandler.
func (h *guardedHandler) SetPipeline(p *remote.TransPipeline) {
	h.pipeline = p
	h.DetectableServerTransHandler.SetPipeline(p)
}

// OnActive implements remote.ServerTransHandler. The HTTP/2 transport is
// opened by the first OnRead, once the client has sent bytes: opening it
// reads the client preface, which must neither block the transport server
// nor leave bytes buffered where gonet's idle Peek cannot see them.
func (h *guardedHandler) OnActive(ctx context.Context, _ net.Conn) (context.Context, error) {
	ctx = context.WithValue(ctx, guardedStateKey{}, &guardedState{})
	if h.f.reportClose {
		ctx = rpcinfo.NewCtxWithRPCInfo(ctx, connRPCInfo())
	}
	return ctx, nil
}

// OnRead implements remote.ServerTransHandler. For gRPC it returns only
// when the transport's read loop has ended.
func (h *guardedHandler) OnRead(ctx context.Context, conn net.Conn) error {
	st, _ := ctx.Value(guardedStateKey{}).(*guardedState)
	if st == nil {
		return errors.New("guarded handler: OnRead before OnActive")
	}
	tctx, err := h.open(ctx, st, conn)
	if err == nil {
		err = h.DetectableServerTransHandler.OnRead(tctx, conn)
	}
	if h.f.reportClose {
		h.pipeline.OnInactive(ctx, conn)
		if err == nil {
			// End gonet's loop now: another pass would reset the deadline
			// a soft close set and wait in Peek.
			err = errTransportEnded
		}
	}
	return err
}

// errTransportEnded tells gonet's connection loop the transport is over.
var errTransportEnded = errors.New("grpc transport ended")

// open returns the transport's context, opening the transport on the
// first call with the guarded connection.
func (h *guardedHandler) open(ctx context.Context, st *guardedState, conn net.Conn) (context.Context, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ctx != nil {
		return st.ctx, nil
	}
	// nphttp2 lifts netpoll's per-read timeout (Kitex's 5 s read-write
	// timeout) only on a netpoll.Connection it can see; the guard hides it.
	if npc, ok := conn.(netpoll.Connection); ok {
		if err := npc.SetReadTimeout(grpc.Infinity); err != nil {
			return nil, fmt.Errorf("lift read timeout: %w", err)
		}
	}
	tctx, err := h.DetectableServerTransHandler.OnActive(ctx, h.f.wrap(conn))
	if err != nil {
		return nil, err
	}
	st.ctx = tctx
	return tctx, nil
}

// OnInactive implements remote.TransHandler: only an opened transport
// has anything to release.
func (h *guardedHandler) OnInactive(ctx context.Context, conn net.Conn) {
	st, _ := ctx.Value(guardedStateKey{}).(*guardedState)
	if st == nil {
		return
	}
	st.mu.Lock()
	tctx := st.ctx
	st.mu.Unlock()
	if tctx != nil {
		h.DetectableServerTransHandler.OnInactive(tctx, conn)
	}
}

// connRPCInfo is the connection-level RPCInfo gonet's transport server
// reads its read deadline from. Zero means none: HTTP/2 keepalive, not a
// read deadline, watches a long-lived Nacos connection.
func connRPCInfo() rpcinfo.RPCInfo {
	cfg := rpcinfo.NewRPCConfig()
	_ = rpcinfo.AsMutableRPCConfig(cfg).SetReadWriteTimeout(0)
	return rpcinfo.NewRPCInfo(nil, nil, nil, cfg, nil)
}

// OnError implements remote.TransHandler. A connection the client or
// Herald closed is not an error worth Kitex's error log (gonet reports
// every close this way).
func (h *guardedHandler) OnError(ctx context.Context, err error, conn net.Conn) {
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, errTransportEnded) {
		return
	}
	h.DetectableServerTransHandler.OnError(ctx, err, conn)
}

// GracefulShutdown implements remote.GracefulShutdown.
func (h *guardedHandler) GracefulShutdown(ctx context.Context) error {
	if g, ok := h.DetectableServerTransHandler.(remote.GracefulShutdown); ok {
		return g.GracefulShutdown(ctx)
	}
	return nil
}
