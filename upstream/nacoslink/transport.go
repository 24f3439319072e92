package nacoslink

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/discovery"
	"github.com/cloudwego/kitex/pkg/proxy"
	"github.com/cloudwego/kitex/pkg/remote"
	"github.com/cloudwego/kitex/pkg/remote/trans/nphttp2"
	"github.com/cloudwego/kitex/pkg/remote/trans/nphttp2/grpc"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/pkg/rpcinfo/remoteinfo"
	"github.com/cloudwego/kitex/transport"

	"github.com/herald-gateway/herald/internal/nacospb/birequeststream"
	"github.com/herald-gateway/herald/internal/nacospb/request"
)

// kitexTransport is one HTTP/2 connection to an upstream server carrying both
// Kitex-generated clients: the unary Request service and the
// BiRequestStream. Nacos ties a connection id to the HTTP/2 transport
// (NACOS_PROTOCOL.md A.4), so the two clients must share it. Kitex gives
// every client its own gRPC connection pool; pinnedPool replaces both with
// one pool of size 1 through Kitex's forward-proxy hook.
type kitexTransport struct {
	unary  request.Client
	stream birequeststream.Client
	pool   remote.ConnPool
}

// newTransport builds the two clients for addr, over TLS when tlsCfg is
// set. No connection is made until the first call.
func newTransport(addr string, connectTimeout time.Duration, tlsCfg *tls.Config) (*kitexTransport, error) {
	var copts grpc.ConnectOptions
	if tlsCfg != nil {
		copts.TLSConfig = grpc.TLSConfig(forServer(tlsCfg, addr))
	}
	pool := nphttp2.NewConnPool("nacos", 1, copts)
	pin := &pinnedPool{addr: addr, pool: pool}
	opts := []client.Option{client.WithProxy(pin), client.WithConnectTimeout(connectTimeout),
		client.WithTransportProtocol(transport.GRPC), client.WithDialer(noSelfConnect{remote.NewDefaultDialer()})}
	unary, err := request.NewClient("Request", opts...)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("kitex request client for %s: %w", addr, err)
	}
	stream, err := birequeststream.NewClient("BiRequestStream", opts...)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("kitex stream client for %s: %w", addr, err)
	}
	return &kitexTransport{unary: unary, stream: stream, pool: pool}, nil
}

// close tears the HTTP/2 connection down.
func (t *kitexTransport) close() { t.pool.Close() }

// forServer is cfg for dialling addr: the name checked in the server's
// certificate is addr's host unless cfg names one.
func forServer(cfg *tls.Config, addr string) *tls.Config {
	c := cfg.Clone()
	if c.ServerName == "" {
		c.ServerName, _, _ = net.SplitHostPort(addr)
	}
	return c
}

// noSelfConnect refuses a TCP self-connection: dialling a loopback port
// in the ephemeral range while nothing listens can connect a socket to
// itself, which would occupy the port the upstream restarts on.
type noSelfConnect struct{ remote.Dialer }

// DialTimeout implements remote.Dialer.
func (d noSelfConnect) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	c, err := d.Dialer.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	if c.LocalAddr().String() == c.RemoteAddr().String() {
		c.Close()
		return nil, fmt.Errorf("dial %s: connected to itself (nothing listens there)", address)
	}
	return c, nil
}

// pinnedPool is a Kitex ForwardProxy that sends every call of a client to
// one address over one shared connection pool.
type pinnedPool struct {
	addr string
	pool remote.ConnPool
}

// Configure implements proxy.ForwardProxy: it swaps in the shared pool.
func (p *pinnedPool) Configure(cfg *proxy.Config) error {
	cfg.Pool = p.pool
	return nil
}

// ResolveProxyInstance implements proxy.ForwardProxy: every call goes to
// addr.
func (p *pinnedPool) ResolveProxyInstance(ctx context.Context) error {
	ri := rpcinfo.GetRPCInfo(ctx)
	if ri == nil {
		return fmt.Errorf("no rpcinfo in context")
	}
	ra := remoteinfo.AsRemoteInfo(ri.To())
	if ra == nil {
		return fmt.Errorf("remote info is not settable")
	}
	ra.SetInstance(discovery.NewInstance("tcp", p.addr, discovery.DefaultWeight, nil))
	return nil
}
