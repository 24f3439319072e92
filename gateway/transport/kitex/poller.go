package kitex

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

// Pollers Kitex can serve the gRPC endpoint with (Options.Poller).
const (
	// PollerNetpoll is Kitex's default: netpoll's epoll loop.
	PollerNetpoll = "netpoll"
	// PollerGonet is Kitex's gonet: one goroutine per connection over
	// the standard library's net.Conn.
	PollerGonet = "gonet"
)

// transportOptions selects the Kitex transport server and installs the
// guarded nphttp2 handler on it. Both transports read HTTP/2 through a
// guardConn, so the inbound limit holds whichever is chosen.
func (s *Transport) transportOptions() ([]server.Option, error) {
	guarded := &guardedHandlerFactory{inner: nphttp2.NewSvrTransHandlerFactory(), wrap: s.guardConn}
	switch s.opts.Poller {
	case PollerNetpoll:
		// Detection peeks the client preface with netpoll's reader before
		// it opens the HTTP/2 transport, so a silent client never blocks.
		var h remote.ServerTransHandlerFactory = detection.NewSvrTransHandlerFactory(netpoll.NewSvrTransHandlerFactory(), guarded)
		return []server.Option{server.WithTransHandlerFactory(h)}, nil
	case PollerGonet:
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
		return nil, fmt.Errorf("kitex poller %q: want %s or %s", s.opts.Poller, PollerNetpoll, PollerGonet)
	}
}

// guardConn wraps a new transport's connection in the inbound guard.
func (s *Transport) guardConn(nc net.Conn) net.Conn {
	gc := newGuardConn(s.closable(nc), s.opts.InboundLimit, s.log)
	if np, ok := nc.(interface{ Reader() cwnetpoll.Reader }); ok {
		return newGuardNetpollConn(gc, np.Reader())
	}
	return gc
}

// closable is nc as it may be closed from any goroutine.
func (s *Transport) closable(nc net.Conn) net.Conn {
	if s.opts.Poller == PollerGonet {
		return softCloseConn{nc}
	}
	return nc
}
