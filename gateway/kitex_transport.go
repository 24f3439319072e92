package gateway

import (
	"fmt"
	"net"

	"github.com/cloudwego/kitex/pkg/remote"
	"github.com/cloudwego/kitex/pkg/remote/trans/detection"
	"github.com/cloudwego/kitex/pkg/remote/trans/gonet"
	"github.com/cloudwego/kitex/pkg/remote/trans/netpoll"
	"github.com/cloudwego/kitex/pkg/remote/trans/nphttp2"
	"github.com/cloudwego/kitex/server"
	cwnetpoll "github.com/cloudwego/netpoll"
)

// Transports Kitex can serve the gRPC endpoint with (Options.Transport).
const (
	// TransportNetpoll is Kitex's default: netpoll's epoll loop.
	TransportNetpoll = "netpoll"
	// TransportGonet is Kitex's gonet: one goroutine per connection over
	// the standard library's net.Conn.
	TransportGonet = "gonet"
)

// transportOptions selects the Kitex transport server and installs the
// guarded nphttp2 handler on it. Both transports read HTTP/2 through a
// guardConn, so the inbound limit holds whichever is chosen.
func (s *Server) transportOptions() ([]server.Option, error) {
	guarded := &guardedHandlerFactory{inner: nphttp2.NewSvrTransHandlerFactory(), wrap: s.guardConn}
	switch s.opts.Transport {
	case TransportNetpoll:
		// Detection peeks the client preface with netpoll's reader before
		// it opens the HTTP/2 transport, so a silent client never blocks.
		var h remote.ServerTransHandlerFactory = detection.NewSvrTransHandlerFactory(netpoll.NewSvrTransHandlerFactory(), guarded)
		return []server.Option{server.WithTransHandlerFactory(h)}, nil
	case TransportGonet:
		// Detection cannot peek gonet connections (its nphttp2 matcher
		// needs a netpoll reader), and every gonet connection has its own
		// goroutine anyway: serve HTTP/2 directly. gonet never reports a
		// closed connection, so the handler does, once the transport ends;
		// a client that leaves before sending a byte opens no transport
		// and is released by the sweep (no session within IdleTimeout).
		guarded.reportClose = true
		return []server.Option{
			server.WithTransServerFactory(gonet.NewTransServerFactory()),
			server.WithTransHandlerFactory(guarded),
		}, nil
	default:
		return nil, fmt.Errorf("grpc transport %q: want %s or %s", s.opts.Transport, TransportNetpoll, TransportGonet)
	}
}

// metadataSlack is what a gRPC message may carry beyond the request body
// MaxMessageBytes caps: the Payload's type, client IP and headers. A body
// just over the limit is still read and answered in-band (errorCode 400);
// only a message over limit+slack drops the connection.
const metadataSlack = 64 << 10

// inboundLimit is the largest gRPC message accepted, declared or inflated.
func (o *Options) inboundLimit() int { return o.MaxMessageBytes + metadataSlack }

// guardConn wraps a new transport's connection in the inbound guard.
func (s *Server) guardConn(nc net.Conn) net.Conn {
	gc := newGuardConn(s.closable(nc), s.opts.inboundLimit(), s.log)
	if np, ok := nc.(interface{ Reader() cwnetpoll.Reader }); ok {
		return newGuardNetpollConn(gc, np.Reader())
	}
	return gc
}

// closable is nc as it may be closed from any goroutine.
func (s *Server) closable(nc net.Conn) net.Conn {
	if s.opts.Transport == TransportGonet {
		return softCloseConn{nc}
	}
	return nc
}
