package event

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/herald-gateway/herald/gateway/transport"
)

// HTTP/2 values Herald uses (RFC 9113).
const (
	initialWindow     = 65535 // the protocol's initial windows
	maxWindow         = 1<<31 - 1
	maxFrameSize      = 16384 // SETTINGS_MAX_FRAME_SIZE Herald accepts (the default)
	maxConcurrent     = 100   // SETTINGS_MAX_CONCURRENT_STREAMS Herald advertises
	maxHeaderListSize = 64 << 10
)

// h2conn is one client HTTP/2 connection. Fields marked "loop" are used
// only on the connection's event loop; the rest are guarded by mu.
type h2conn struct {
	t      *Transport
	gc     gnet.Conn
	remote net.Addr
	sess   transport.Session // set in OnOpen before any read

	// loop: the read side.
	prefaceSeen bool
	rd          sliceReader
	fr          *http2.Framer
	dec         *hpack.Decoder
	hb          headerBlock // the header block being decoded
	recvAvail   int64       // connection receive window left
	recvUnacked int64       // consumed connection bytes not yet returned

	// mu protects everything below, and the write-side fields of every
	// stream in streams.
	mu          sync.Mutex
	out         []byte // frames to write; nil while empty (pooled)
	flushQueued bool   // a Wake is pending, or the loop is reading
	closed      bool
	streams     map[uint32]*stream
	lastStream  uint32 // highest client stream id seen
	sendAvail   int64  // connection send window
	peerWindow  int64  // the client's SETTINGS_INITIAL_WINDOW_SIZE
	peerFrame   int    // the client's SETTINGS_MAX_FRAME_SIZE
	pending     int    // bytes waiting for a window, over all streams
}

func newH2conn(t *Transport, gc gnet.Conn) *h2conn {
	c := &h2conn{
		t: t, gc: gc, remote: gc.RemoteAddr(),
		recvAvail: int64(t.opts.ConnWindow),
		sendAvail: initialWindow, peerWindow: initialWindow, peerFrame: maxFrameSize,
	}
	c.fr = http2.NewFramer(io.Discard, &c.rd)
	c.fr.SetMaxReadFrameSize(maxFrameSize)
	c.fr.SetReuseFrames() // a frame is applied before the next is read
	c.dec = hpack.NewDecoder(4096, c.onField)
	c.dec.SetMaxStringLength(maxHeaderListSize)
	return c
}

// RemoteAddr implements transport.Conn.
func (c *h2conn) RemoteAddr() net.Addr { return c.remote }

// Close implements transport.Conn: what is buffered is written, then the
// connection closes (on its loop, which then reports it to the core).
func (c *h2conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	out := c.takeOutLocked()
	c.mu.Unlock()
	if len(out) == 0 {
		return c.gc.Close()
	}
	return c.gc.AsyncWrite(out, func(gc gnet.Conn, _ error) error {
		putBuf(out)
		return gc.Close()
	})
}

// closedByLoop marks the connection closed once its loop closed it.
func (c *h2conn) closedByLoop() {
	c.mu.Lock()
	c.closed = true
	out := c.takeOutLocked()
	for _, st := range c.streams {
		st.releaseLocked(c)
	}
	c.streams = nil
	c.mu.Unlock()
	putBuf(out)
}

// serverPreface is the server's first frame: its SETTINGS.
func (c *h2conn) serverPreface() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frame(func(fr *http2.Framer) error {
		return fr.WriteSettings(
			http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: maxConcurrent},
			http2.Setting{ID: http2.SettingInitialWindowSize, Val: uint32(c.t.opts.StreamWindow)},
			http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: maxHeaderListSize},
		)
	})
	if extra := int64(c.t.opts.ConnWindow) - initialWindow; extra > 0 {
		c.frame(func(fr *http2.Framer) error { return fr.WriteWindowUpdate(0, uint32(extra)) })
	}
	// gnet copies what it cannot send at once: the buffer goes back now.
	out := append([]byte(nil), c.out...)
	putBuf(c.takeOutLocked())
	return out
}

// goAway tells the client the server is going away (NO_ERROR) and writes
// it at once, ahead of the loops' shutdown.
func (c *h2conn) goAway() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	last := c.lastStream
	c.frame(func(fr *http2.Framer) error { return fr.WriteGoAway(last, http2.ErrCodeNo, nil) })
	out := c.takeOutLocked()
	c.mu.Unlock()
	if err := c.gc.AsyncWrite(out, func(gnet.Conn, error) error { putBuf(out); return nil }); err != nil {
		putBuf(out)
	}
}

// fail handles a read error on the loop: a connection error is answered
// with GOAWAY carrying its code; the connection is closed after the
// flush.
func (c *h2conn) fail(err error) {
	var ce http2.ConnectionError
	var tooBig *tooLargeError
	switch {
	case errors.As(err, &ce):
		detail := c.fr.ErrorDetail()
		c.t.log.Debug("HTTP/2 connection error", "remote", c.remote.String(), "code", http2.ErrCode(ce).String(), "detail", detail)
		c.mu.Lock()
		last := c.lastStream
		c.frame(func(fr *http2.Framer) error {
			var debug []byte
			if detail != nil {
				debug = []byte(detail.Error())
			}
			return fr.WriteGoAway(last, http2.ErrCode(ce), debug)
		})
		c.mu.Unlock()
	case errors.As(err, &tooBig):
		c.t.log.Warn("dropping gRPC connection: inbound message refused",
			"remote", c.remote.String(), "err", err, "size", tooBig.size, "limit", tooBig.limit, "stream", tooBig.stream)
	default:
		c.t.log.Debug("closing HTTP/2 connection", "remote", c.remote.String(), "err", err)
	}
}

// tooLargeError is a gRPC message declaring more than the inbound limit.
type tooLargeError struct {
	stream uint32
	size   uint32
	limit  int
}

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("gRPC message of %d bytes on stream %d is over the %d-byte limit", e.size, e.stream, e.limit)
}

// sliceReader hands the read framer one whole frame at a time.
type sliceReader struct{ b []byte }

func (r *sliceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}
