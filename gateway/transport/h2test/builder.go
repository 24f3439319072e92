// Package h2test builds and reads raw client-side HTTP/2 for transport
// tests, with golang.org/x/net/http2's Framer and hpack: byte streams a
// well-behaved gRPC client would never send (partial frames, 2 GB
// message prefixes, tiny windows), and a minimal gRPC client over one
// TCP connection that shows every frame the server sends.
package h2test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Builder builds a client-to-server HTTP/2 byte stream.
type Builder struct {
	t   testing.TB
	buf bytes.Buffer
	fr  *http2.Framer
}

// New starts a stream with the client preface and a SETTINGS frame.
func New(t testing.TB) *Builder {
	b := Frames(t)
	b.buf.WriteString(http2.ClientPreface)
	b.check(b.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 20}))
	return b
}

// Frames starts a stream with no preface (more frames on a connection).
func Frames(t testing.TB) *Builder {
	b := &Builder{t: t}
	b.fr = http2.NewFramer(&b.buf, nil)
	b.fr.AllowIllegalWrites = true // non-zero padding, to prove it is skipped
	return b
}

func (b *Builder) check(err error) {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
}

// RequestHeaders is a gRPC request header block for path.
func RequestHeaders(t testing.TB, path string) []byte {
	var blk bytes.Buffer
	enc := hpack.NewEncoder(&blk)
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", path}, {":authority", "herald"}, {"content-type", "application/grpc"}, {"te", "trailers"}} {
		if err := enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]}); err != nil {
			t.Fatal(err)
		}
	}
	return blk.Bytes()
}

// Headers opens a unary stream (/Request/request).
func (b *Builder) Headers(stream uint32, end bool) *Builder {
	return b.HeadersFor(stream, "/Request/request", end)
}

// HeadersFor opens a stream calling path.
func (b *Builder) HeadersFor(stream uint32, path string, end bool) *Builder {
	b.check(b.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: stream, BlockFragment: RequestHeaders(b.t, path), EndHeaders: true, EndStream: end}))
	return b
}

// Data appends a DATA frame.
func (b *Builder) Data(stream uint32, end bool, p []byte) *Builder {
	b.check(b.fr.WriteData(stream, end, p))
	return b
}

// Padded appends a padded DATA frame.
func (b *Builder) Padded(stream uint32, p, pad []byte) *Builder {
	b.check(b.fr.WriteDataPadded(stream, false, p, pad))
	return b
}

// RST appends RST_STREAM(CANCEL).
func (b *Builder) RST(stream uint32) *Builder {
	b.check(b.fr.WriteRSTStream(stream, http2.ErrCodeCancel))
	return b
}

// Ping appends a PING.
func (b *Builder) Ping() *Builder {
	b.check(b.fr.WritePing(false, [8]byte{1}))
	return b
}

// Bytes is the stream built so far.
func (b *Builder) Bytes() []byte { return b.buf.Bytes() }

// GRPCPrefixLen is the length of a gRPC message prefix.
const GRPCPrefixLen = 5

// GRPCMsg is one length-prefixed gRPC message declaring n bytes and
// carrying body (which may be shorter, to leave it unfinished).
func GRPCMsg(n uint32, body []byte) []byte {
	out := make([]byte, GRPCPrefixLen, GRPCPrefixLen+len(body))
	binary.BigEndian.PutUint32(out[1:], n)
	return append(out, body...)
}

// MsgOf is a whole gRPC message of n bytes.
func MsgOf(n int) []byte { return GRPCMsg(uint32(n), bytes.Repeat([]byte{0xff}, n)) }
