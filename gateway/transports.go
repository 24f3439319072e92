package gateway

import (
	"fmt"

	"github.com/herald-gateway/herald/gateway/transport"
	"github.com/herald-gateway/herald/gateway/transport/event"
	"github.com/herald-gateway/herald/gateway/transport/kitex"
)

// Transports the gRPC endpoint can be served with (Options.Transport).
const (
	// TransportNetpoll is Kitex on netpoll's epoll loop.
	TransportNetpoll = kitex.PollerNetpoll
	// TransportGonet is Kitex on gonet: one goroutine per connection over
	// the standard library's net.Conn.
	TransportGonet = kitex.PollerGonet
	// TransportEvent is Herald's event transport (the default): gnet event
	// loops with x/net/http2 framing, no goroutine per idle connection. It
	// serves no TLS: a TLS listener is served by Kitex on gonet.
	TransportEvent = "event"
)

// metadataSlack is what a gRPC message may carry beyond the request body
// MaxMessageBytes caps: the Payload's type, client IP and headers. A body
// just over the limit is still read and answered in-band (errorCode 400);
// only a message over limit+slack drops the connection.
const metadataSlack = 64 << 10

// inboundLimit is the largest gRPC message accepted, declared or inflated.
func (o *Options) inboundLimit() int { return o.MaxMessageBytes + metadataSlack }

// newTransport builds the transport Options.Transport names.
func (s *Server) newTransport() (transport.Transport, error) {
	base := transport.Options{Addr: s.opts.Addr, InboundLimit: s.opts.inboundLimit(), Logger: s.log}
	kitexOn := func(poller string) transport.Transport {
		return kitex.New(kitex.Options{Options: base, Poller: poller, ExitWait: s.opts.ExitWait,
			Tuning: s.opts.Kitex, TLS: s.opts.TLS})
	}
	switch s.opts.Transport {
	case TransportNetpoll, TransportGonet:
		return kitexOn(s.opts.Transport), nil
	case TransportEvent:
		if s.opts.TLS != nil {
			s.log.Info("grpc TLS is served on Kitex gonet (the event transport serves no TLS)")
			return kitexOn(TransportGonet), nil
		}
		return event.New(event.Options{Options: base, MaxPending: s.opts.PushQueue * 16 << 10}), nil
	default:
		return nil, fmt.Errorf("grpc transport %q: want %s, %s or %s", s.opts.Transport, TransportNetpoll, TransportGonet, TransportEvent)
	}
}
