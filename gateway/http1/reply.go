package http1

import (
	"fmt"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/network"
	"github.com/cloudwego/hertz/pkg/protocol/http1/resp"
)

// reply is an answer a handler composes itself: status, headers and a raw
// body (the config endpoints answer raw content with headers of their
// own). With written set, the reply is written and flushed before the
// handler returns and written is told whether that worked: a long poll's
// push is acknowledged to the Hub only once it is on the wire.
type reply struct {
	status      int
	contentType string
	headers     [][2]string
	body        []byte
	written     func(err error)
}

// header adds a response header.
func (r *reply) header(name, value string) *reply {
	r.headers = append(r.headers, [2]string{name, value})
	return r
}

// send puts the reply into c's response and, with written set, writes it
// to the connection at once.
func (r *reply) send(c *app.RequestContext) {
	for _, h := range r.headers {
		c.Response.Header.Set(h[0], h[1])
	}
	c.Data(r.status, r.contentType, r.body)
	if r.written == nil {
		return
	}
	err := resp.Write(&c.Response, c.GetWriter())
	if err == nil {
		err = c.GetWriter().Flush()
	}
	// The response is out (or the connection broken): Hertz must not
	// write it again when the handler returns.
	c.Response.HijackWriter(writtenAlready{})
	if err != nil {
		err = fmt.Errorf("write response: %w", err)
	}
	r.written(err)
}

// writtenAlready is the hijacked writer of a response the handler wrote
// itself: Hertz's own write of the response does nothing.
type writtenAlready struct{}

var _ network.ExtWriter = writtenAlready{}

func (writtenAlready) Write(p []byte) (int, error) { return len(p), nil }
func (writtenAlready) Flush() error                { return nil }
func (writtenAlready) Finalize() error             { return nil }
