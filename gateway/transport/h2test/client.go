package h2test

import (
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Conn is a raw HTTP/2 client connection: frames go out as the test
// writes them and come back one by one, so a test sees exactly what the
// server sent and controls its own flow-control windows.
type Conn struct {
	t   testing.TB
	nc  net.Conn
	fr  *http2.Framer
	dec *hpack.Decoder

	// Fields is the last decoded header block.
	Fields []hpack.HeaderField
	msgs   map[uint32][]byte // partial gRPC messages per stream
}

// Dial connects, sends the preface and SETTINGS (the given ones), and
// reads frames until the server's SETTINGS arrives.
func Dial(t testing.TB, addr string, settings ...http2.Setting) *Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &Conn{t: t, nc: nc, msgs: map[uint32][]byte{}}
	c.fr = http2.NewFramer(nc, nc)
	c.dec = hpack.NewDecoder(4096, func(f hpack.HeaderField) { c.Fields = append(c.Fields, f) })
	if _, err := nc.Write([]byte(http2.ClientPreface)); err != nil {
		t.Fatalf("preface: %v", err)
	}
	c.check(c.fr.WriteSettings(settings...))
	for {
		f := c.Read(10 * time.Second)
		if s, ok := f.(*http2.SettingsFrame); ok && !s.IsAck() {
			c.check(c.fr.WriteSettingsAck())
			return c
		}
	}
}

func (c *Conn) check(err error) {
	c.t.Helper()
	if err != nil {
		c.t.Fatal(err)
	}
}

// Net is the underlying connection.
func (c *Conn) Net() net.Conn { return c.nc }

// Framer writes frames of the test's own.
func (c *Conn) Framer() *http2.Framer { return c.fr }

// Open starts a gRPC call on path.
func (c *Conn) Open(stream uint32, path string) {
	c.t.Helper()
	c.check(c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: stream, BlockFragment: RequestHeaders(c.t, path), EndHeaders: true}))
}

// Send writes one gRPC message on stream, ending the stream if end.
func (c *Conn) Send(stream uint32, msg []byte, end bool) {
	c.t.Helper()
	c.check(c.fr.WriteData(stream, end, GRPCMsg(uint32(len(msg)), msg)))
}

// WindowUpdate grants n bytes on stream (0: the connection).
func (c *Conn) WindowUpdate(stream, n uint32) {
	c.t.Helper()
	c.check(c.fr.WriteWindowUpdate(stream, n))
}

// Read returns the next frame, failing the test after timeout. Header
// blocks are decoded into Fields.
func (c *Conn) Read(timeout time.Duration) http2.Frame {
	c.t.Helper()
	f, err := c.TryRead(timeout)
	if err != nil {
		c.t.Fatalf("read frame: %v", err)
	}
	return f
}

// TryRead is Read returning the error (io.EOF once the server closed).
func (c *Conn) TryRead(timeout time.Duration) (http2.Frame, error) {
	if err := c.nc.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	f, err := c.fr.ReadFrame()
	if err != nil {
		return nil, err
	}
	if h, ok := f.(*http2.HeadersFrame); ok {
		c.Fields = c.Fields[:0]
		if _, err := c.dec.Write(h.HeaderBlockFragment()); err != nil {
			return nil, fmt.Errorf("hpack: %w", err)
		}
	}
	return f, nil
}

// Message feeds a DATA frame's payload into stream's gRPC message and
// returns the whole messages it completed.
func (c *Conn) Message(d *http2.DataFrame) [][]byte {
	buf := append(c.msgs[d.StreamID], d.Data()...)
	var out [][]byte
	for len(buf) >= GRPCPrefixLen {
		n := int(uint32(buf[1])<<24 | uint32(buf[2])<<16 | uint32(buf[3])<<8 | uint32(buf[4]))
		if len(buf) < GRPCPrefixLen+n {
			break
		}
		out = append(out, bytes.Clone(buf[GRPCPrefixLen:GRPCPrefixLen+n]))
		buf = buf[GRPCPrefixLen+n:]
	}
	c.msgs[d.StreamID] = bytes.Clone(buf)
	return out
}

// Field is the value of name in the last header block, or "".
func (c *Conn) Field(name string) string {
	for _, f := range c.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// Call makes one unary call on stream and returns the response message
// and grpc-status, returning every DATA byte to both windows and ignoring
// other frames meanwhile.
func (c *Conn) Call(stream uint32, path string, msg []byte, timeout time.Duration) ([]byte, string) {
	c.t.Helper()
	c.Open(stream, path)
	c.Send(stream, msg, true)
	var resp []byte
	deadline := time.Now().Add(timeout)
	for {
		f := c.Read(time.Until(deadline))
		switch f := f.(type) {
		case *http2.DataFrame:
			if n := uint32(len(f.Data())); n > 0 {
				c.WindowUpdate(0, n)
				if !f.StreamEnded() {
					c.WindowUpdate(f.StreamID, n)
				}
			}
			if f.StreamID == stream {
				if m := c.Message(f); len(m) > 0 {
					resp = m[0]
				}
			}
		case *http2.HeadersFrame:
			if f.StreamID == stream && f.StreamEnded() {
				return resp, c.Field("grpc-status")
			}
		}
	}
}
