package event

import (
	"bytes"
	"fmt"
	"io"

	"golang.org/x/net/http2"

	"github.com/herald-gateway/herald/gateway/transport/compress"
	"github.com/herald-gateway/herald/internal/nacospb"
)

// gRPC status codes Herald answers with.
const (
	codeInternal      = 13
	codeUnimplemented = 12
)

// decode turns one gRPC message (prefix included) into a Payload,
// inflating a compressed one with the bounded gzip.
func decode(st *stream, m []byte) (*nacospb.Payload, error) {
	body := m[grpcPrefix:]
	if m[0] == 1 {
		if !st.gzip {
			return nil, fmt.Errorf("grpc: compressed message without grpc-encoding")
		}
		r, err := compress.Gzip.Decompress(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		if body, err = io.ReadAll(r); err != nil {
			return nil, err
		}
	}
	p := &nacospb.Payload{}
	if err := p.Unmarshal(body); err != nil {
		return nil, fmt.Errorf("grpc: error unmarshalling request: %w", err)
	}
	return p, nil
}

// startUnary serves a whole unary request on its own goroutine: the core
// may block on the registry, and the loop must not.
func (c *h2conn) startUnary(st *stream) {
	req := st.req
	st.req = nil
	if req == nil {
		c.finish(st, trailersOnly(codeInternal, "grpc: no request message"), nil)
		return
	}
	c.t.calls.Go(func() { c.serveUnary(st, req) })
}

// serveUnary answers one unary call: the response message, then status 0.
func (c *h2conn) serveUnary(st *stream, req []byte) {
	p, err := decode(st, req)
	if err != nil {
		c.respond(st, nil, statusTrailers(codeInternal, err.Error()))
		return
	}
	resp := c.t.core.Unary(c.t.ctx, c.sess, p)
	b, err := resp.Marshal(nil)
	if err != nil {
		c.respond(st, nil, statusTrailers(codeInternal, "encode response: "+err.Error()))
		return
	}
	c.respond(st, b, blocks.trailersOK)
}

// bidiMessage hands one stream message (setup, an ack) to the core on
// the loop, with no goroutine hop.
func (c *h2conn) bidiMessage(st *stream, m []byte) error {
	p, err := decode(st, m)
	if err != nil {
		c.t.log.Warn("undecodable stream message; ending the stream", "remote", c.remote.String(), "err", err)
		c.mu.Lock()
		c.resetLocked(st.id, http2.ErrCodeInternal)
		c.mu.Unlock()
		c.bidiEnded()
		return nil
	}
	c.t.core.StreamMessage(c.sess, st.out, p)
	return nil
}

// bidiEnded tells the core the stream is over. The core then closes the
// connection and releases what it holds, which may wait on the registry:
// off the loop.
func (c *h2conn) bidiEnded() {
	t := c.t
	t.calls.Go(func() { t.core.StreamEnded(c.sess) })
}
