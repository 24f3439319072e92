// Package nacostest is a raw Nacos 2.x gRPC client for tests and load
// generation. It speaks the wire protocol directly (ServerCheck,
// ConnectionSetup, typed JSON requests, stream pushes and acks) through
// grpc-go and the stubs shipped with nacos-sdk-go, so it can send what a
// well-behaved SDK never would: unknown types, broken JSON, oversize bodies.
package nacostest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	anypb "github.com/golang/protobuf/ptypes/any"
	nacosgrpc "github.com/nacos-group/nacos-sdk-go/v2/api/grpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Client is one raw Nacos connection: one HTTP/2 transport.
type Client struct {
	cc     *grpc.ClientConn
	req    nacosgrpc.RequestClient
	stream nacosgrpc.BiRequestStream_RequestBiStreamClient
	cancel context.CancelFunc

	// ConnectionID is what ServerCheck returned.
	ConnectionID string

	// sendMu serialises writes on the stream.
	sendMu sync.Mutex
}

// Message is a decoded payload.
type Message struct {
	Type string
	Body []byte
}

// Decode unmarshals the JSON body into v.
func (m Message) Decode(v any) error { return json.Unmarshal(m.Body, v) }

// Dial opens a transport to addr and runs ServerCheck on it.
func Dial(ctx context.Context, addr string, opts ...grpc.DialOption) (*Client, error) {
	opts = append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(10<<20), grpc.MaxCallSendMsgSize(64<<20)),
	}, opts...)
	cc, err := grpc.NewClient(addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	c := &Client{cc: cc, req: nacosgrpc.NewRequestClient(cc)}
	var check struct {
		ConnectionID string `json:"connectionId"`
		ResultCode   int    `json:"resultCode"`
	}
	m, err := c.Request(ctx, "ServerCheckRequest", map[string]any{"requestId": "", "module": "internal"})
	if err == nil {
		err = m.Decode(&check)
	}
	if err != nil {
		cc.Close()
		return nil, fmt.Errorf("server check: %w", err)
	}
	c.ConnectionID = check.ConnectionID
	return c, nil
}

// Request sends one unary request with a JSON body (any value, or []byte
// sent verbatim) and returns the response.
func (c *Client) Request(ctx context.Context, typ string, body any) (Message, error) {
	return c.RequestWithHeaders(ctx, typ, nil, body)
}

// RequestWithHeaders is Request with metadata headers, where the SDKs put
// their accessToken.
func (c *Client) RequestWithHeaders(ctx context.Context, typ string, headers map[string]string, body any) (Message, error) {
	p, err := payload(typ, body)
	if err != nil {
		return Message{}, err
	}
	p.Metadata.Headers = headers
	resp, err := c.req.Request(ctx, p)
	if err != nil {
		return Message{}, err
	}
	return message(resp), nil
}

// Setup opens the bidi stream and sends ConnectionSetupRequest.
func (c *Client) Setup(ctx context.Context, labels map[string]string) error {
	sctx, cancel := context.WithCancel(context.Background())
	stream, err := nacosgrpc.NewBiRequestStreamClient(c.cc).RequestBiStream(sctx)
	if err != nil {
		cancel()
		return fmt.Errorf("open stream: %w", err)
	}
	c.stream, c.cancel = stream, cancel
	return c.Send("ConnectionSetupRequest", map[string]any{
		"requestId": "", "module": "internal", "clientVersion": "Nacos-Go-Client:v2.2.7",
		"tenant": "", "labels": labels, "clientAbilities": map[string]any{},
	})
}

// Send writes one message on the stream.
func (c *Client) Send(typ string, body any) error {
	if c.stream == nil {
		return errors.New("stream not open: call Setup first")
	}
	p, err := payload(typ, body)
	if err != nil {
		return err
	}
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	return c.stream.Send(p)
}

// Recv reads the next server message from the stream.
func (c *Client) Recv() (Message, error) {
	if c.stream == nil {
		return Message{}, errors.New("stream not open: call Setup first")
	}
	p, err := c.stream.Recv()
	if err != nil {
		return Message{}, err
	}
	return message(p), nil
}

// Ack answers a server request with a success response of type typ.
func (c *Client) Ack(typ, requestID string) error {
	return c.Send(typ, map[string]any{"resultCode": 200, "errorCode": 0, "success": true, "requestId": requestID})
}

// Close closes the stream and the transport.
func (c *Client) Close() error {
	if c.cancel != nil {
		c.cancel()
	}
	return c.cc.Close()
}

func payload(typ string, body any) (*nacosgrpc.Payload, error) {
	raw, ok := body.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("encode %s: %w", typ, err)
		}
	}
	return &nacosgrpc.Payload{
		Metadata: &nacosgrpc.Metadata{Type: typ, ClientIp: "127.0.0.1"},
		Body:     &anypb.Any{Value: raw},
	}, nil
}

func message(p *nacosgrpc.Payload) Message {
	m := Message{}
	if p.GetMetadata() != nil {
		m.Type = p.GetMetadata().GetType()
	}
	if p.GetBody() != nil {
		m.Body = p.GetBody().GetValue()
	}
	return m
}
