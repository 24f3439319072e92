package loadgen

import (
	"context"
	"fmt"

	"github.com/herald-gateway/herald/benchmarks/loadgen/h2c"
	"github.com/herald-gateway/herald/gateway/nacostest"
)

// The HTTP/2 clients a load connection can use (Config.Client).
const (
	// ClientGRPC is grpc-go with nacos-sdk-go's stubs, as the Go SDK is
	// built: what the earlier figures were measured with.
	ClientGRPC = "grpc"
	// ClientLean is package h2c: Framer and hpack over one TCP connection,
	// one goroutine per connection, acks written in place. It costs the
	// load generator far less per push, so Herald is what is measured.
	ClientLean = "lean"
)

// wire is one raw Nacos connection as a load connection drives it.
type wire interface {
	Request(ctx context.Context, typ string, body any) (nacostest.Message, error)
	Setup(ctx context.Context, labels map[string]string) error
	Send(typ string, body any) error
	// Serve hands every stream message to handle, on one goroutine, until
	// the stream ends or handle fails, and returns why.
	Serve(handle func(nacostest.Message) error) error
	Close() error
}

type clientKey struct{}

// withClient makes the connections opened under ctx use client.
func withClient(ctx context.Context, client string) context.Context {
	return context.WithValue(ctx, clientKey{}, client)
}

// dialWire opens the client ctx names (grpc-go by default).
func dialWire(ctx context.Context, addr string) (wire, error) {
	if ctx.Value(clientKey{}) == ClientLean {
		c, err := h2c.Dial(ctx, addr)
		if err != nil {
			return nil, err
		}
		if _, err := c.Request(ctx, "ServerCheckRequest", []byte(`{"requestId":"","module":"internal"}`)); err != nil {
			c.Close()
			return nil, fmt.Errorf("server check: %w", err)
		}
		return c, nil
	}
	c, err := nacostest.Dial(ctx, addr, clientDialOptions()...)
	if err != nil {
		return nil, err
	}
	return grpcWire{c}, nil
}

type grpcWire struct{ *nacostest.Client }

func (w grpcWire) Serve(handle func(nacostest.Message) error) error {
	for {
		m, err := w.Recv()
		if err != nil {
			return fmt.Errorf("stream ended: %w", err)
		}
		if err := handle(m); err != nil {
			return err
		}
	}
}
