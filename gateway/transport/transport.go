// Package transport is the seam between Herald's session core (package
// gateway: connections, sessions, unary dispatch, outbox, acks, idle
// detection) and the transports that carry the Nacos 2.x gRPC wire for it.
//
// The core owns the contract: a transport accepts client connections,
// frames gRPC, and calls the Core for everything Nacos; the core writes
// back only through Conn and Stream. Handlers in the core never see a
// transport type. Implementations live in their own packages:
// gateway/transport/kitex (Kitex nphttp2 on netpoll or gonet) and
// gateway/transport/event (an event loop with golang.org/x/net/http2
// framing, no goroutine per idle connection).
package transport

import (
	"context"
	"errors"
	"log/slog"
	"net"

	"github.com/herald-gateway/herald/internal/nacospb"
)

// Conn is one client transport (one HTTP/2 connection: a Nacos
// connection) as the core sees it.
type Conn interface {
	// RemoteAddr is the client's TCP address.
	RemoteAddr() net.Addr
	// Close closes the transport. It is safe from any goroutine and more
	// than once; the transport then calls Core.Closed (if it has not
	// already).
	Close() error
}

// Session is what Core.Opened returned for a connection; the transport
// hands it back on every later call for that connection.
type Session interface {
	// ID is the Nacos connection id.
	ID() string
}

// Stream is the server-to-client half of a connection's bidi stream
// (/BiRequestStream/requestBiStream).
type Stream interface {
	// Send writes one encoded nacospb.Payload message (protobuf bytes,
	// without the gRPC length prefix). Messages are delivered in the
	// order of the Send calls. The bytes may be shared with other
	// connections: Send must not modify them and must not keep them past
	// its return unless it copies them. An error means the stream is
	// unusable.
	Send(msg []byte) error
}

// NonBlocking is implemented by a Stream whose Send never waits for the
// client (it appends to the connection's write buffer, which its event
// loop flushes, and fails once the buffer passes its bound). The core then
// sends from the caller's goroutine and keeps no writer goroutine or queue
// of its own for that connection.
type NonBlocking interface {
	Stream
	NonBlocking()
}

// ErrRefused is what Core.Opened returns (wrapped) for a connection the
// core does not take, e.g. over a per-client limit. The transport closes
// that connection without serving it.
var ErrRefused = errors.New("connection refused")

// Core is the session core as a transport calls it. Calls for one
// connection are made in this order: Opened once; then any number of
// Unary calls (possibly concurrent) and, on the connection's bidi stream,
// StreamMessage calls one at a time in arrival order; StreamEnded when
// that stream ends; Closed once when the transport is gone. Every method
// must be safe for concurrent use across connections.
type Core interface {
	// Opened is called for every new transport, before anything is read
	// from it: the one place every transport reports a new connection and
	// its remote address. A non-nil error refuses the connection.
	Opened(c Conn) (Session, error)
	// Unary serves one /Request/request call. It always returns a payload
	// (Nacos answers failures in-band); it may block on the registry, so a
	// transport must not call it on an event loop.
	Unary(ctx context.Context, s Session, p *nacospb.Payload) *nacospb.Payload
	// StreamMessage handles one client message on the bidi stream; out
	// writes to that stream. It does not block on the network: a
	// transport may call it on its event loop.
	StreamMessage(s Session, out Stream, p *nacospb.Payload)
	// StreamEnded is called when the bidi stream ends (client half-close,
	// reset, or transport failure). Nacos connections end with their
	// stream: the core closes the transport.
	StreamEnded(s Session)
	// Closed is called once when the transport has closed.
	Closed(s Session)
}

// Transport serves the gRPC listener.
type Transport interface {
	// Start listens and serves in the background, calling core.
	Start(core Core) error
	// Addr is the bound listen address (after Start).
	Addr() net.Addr
	// Stop stops accepting, tells open connections the server is going
	// away where the protocol allows, and returns once the transport's
	// goroutines have ended or ctx is done. It does not call Core.Closed
	// for connections the core closes itself afterwards.
	Stop(ctx context.Context)
}

// Options are what every transport is built with.
type Options struct {
	// Addr is the host:port to listen on.
	Addr string
	// InboundLimit is the largest gRPC message accepted, declared or
	// inflated: a message declaring more drops its connection before
	// anything is allocated for it.
	InboundLimit int
	// Logger logs transport events.
	Logger *slog.Logger
}
