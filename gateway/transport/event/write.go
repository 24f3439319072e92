package event

import (
	"errors"
	"fmt"
	"sync"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/net/http2"
)

// writeFramer is a pooled Framer whose writes append to one connection's
// write buffer. The write half of a Framer keeps no connection state, so
// connections share them and an idle connection holds none.
type writeFramer struct {
	fr *http2.Framer
	w  appendWriter
}

// appendWriter appends to the write buffer of the connection it points at.
type appendWriter struct{ c *h2conn }

func (w *appendWriter) Write(p []byte) (int, error) {
	if w.c.out == nil {
		w.c.out = getBuf()
	}
	w.c.out = append(w.c.out, p...)
	return len(p), nil
}

var framers = sync.Pool{New: func() any {
	wf := &writeFramer{}
	wf.fr = http2.NewFramer(&wf.w, nil)
	return wf
}}

// frame runs one Framer write into the connection's buffer, unless the
// connection is closing. The caller holds c.mu. Framer writes fail only for arguments Herald never passes
// (an invalid stream id, an oversize header block): those are bugs,
// logged.
func (c *h2conn) frame(write func(*http2.Framer) error) {
	if c.closed {
		return // Close took the buffer: later frames would overtake it
	}
	wf := framers.Get().(*writeFramer)
	wf.w.c = c
	err := write(wf.fr)
	wf.w.c = nil
	framers.Put(wf)
	if err != nil {
		c.t.log.Error("write HTTP/2 frame", "remote", c.remote.String(), "err", err)
	}
}

// Write buffers are pooled: a connection holds one only while it has
// something to write. The pool holds them in boxes (a sync.Pool takes
// pointers), and the empty boxes are pooled too, so that getting and
// putting a buffer allocates nothing.
var (
	bufs  = sync.Pool{New: func() any { return &bufBox{b: make([]byte, 0, 4096)} }}
	boxes = sync.Pool{New: func() any { return &bufBox{} }}
)

type bufBox struct{ b []byte }

func getBuf() []byte {
	box := bufs.Get().(*bufBox)
	b := box.b[:0]
	box.b = nil
	boxes.Put(box)
	return b
}

func putBuf(b []byte) {
	if b == nil || cap(b) > 1<<20 {
		return
	}
	box := boxes.Get().(*bufBox)
	box.b = b[:0]
	bufs.Put(box)
}

// takeOutLocked detaches the write buffer.
func (c *h2conn) takeOutLocked() []byte {
	out := c.out
	c.out = nil
	return out
}

// wakeLocked asks the loop to flush; the caller holds c.mu and calls
// the returned function, if any, after unlocking. Writes made while the
// loop is reading, or before a pending wake runs, share one flush.
func (c *h2conn) wakeLocked() (wake bool) {
	if c.flushQueued || c.closed || len(c.out) == 0 {
		return false
	}
	c.flushQueued = true
	return true
}

// wake triggers the loop's flush. A loop that cannot be woken would hold
// the bytes until the client next sends something: the connection is
// closed instead, so the client reconnects.
func (c *h2conn) wake() {
	if err := c.gc.Wake(nil); err != nil {
		c.t.log.Warn("cannot wake the event loop; closing the connection", "remote", c.remote.String(), "err", err)
		if cerr := c.gc.Close(); cerr != nil {
			c.t.log.Debug("close connection", "remote", c.remote.String(), "err", cerr)
		}
	}
}

// errBacklog closes a connection whose client stopped taking data.
var errBacklog = errors.New("client is not reading: write backlog over the limit")

// flush writes the buffer on the loop. gnet sends what the socket takes
// and keeps the rest; a connection whose backlog passes MaxPending is
// closed.
func (c *h2conn) flush(gc gnet.Conn) error {
	c.mu.Lock()
	out := c.takeOutLocked()
	c.flushQueued = false
	c.mu.Unlock()
	if len(out) > 0 {
		_, err := gc.Write(out)
		putBuf(out)
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	if gc.OutboundBuffered() > c.t.opts.MaxPending {
		return errBacklog
	}
	return nil
}

// sendLocked queues one gRPC message (prefix + msg) on st and writes as
// much as the windows allow. The caller holds c.mu.
func (c *h2conn) sendLocked(st *stream, msg []byte) error {
	if c.closed || st.localDone {
		return errStreamClosed
	}
	if c.pending+len(msg) > c.t.opts.MaxPending {
		return errBacklog
	}
	if st.pending == nil {
		st.pending = getBuf()
	}
	n := len(msg)
	st.pending = append(st.pending, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	st.pending = append(st.pending, msg...)
	c.pending += grpcPrefix + n
	c.drainLocked(st)
	return nil
}

// drainLocked writes st's pending data in DATA frames while both windows
// are open, then, once nothing is pending, its end (trailers or an empty
// END_STREAM DATA frame) if it is finishing.
func (c *h2conn) drainLocked(st *stream) {
	for len(st.pending) > st.sent {
		n := min(int64(len(st.pending)-st.sent), st.sendAvail, c.sendAvail, int64(c.peerFrame))
		if n <= 0 {
			return
		}
		chunk := st.pending[st.sent : st.sent+int(n)]
		c.frame(func(fr *http2.Framer) error { return fr.WriteData(st.id, false, chunk) })
		st.sent += int(n)
		st.sendAvail -= n
		c.sendAvail -= n
		c.pending -= int(n)
	}
	if st.pending != nil {
		putBuf(st.pending)
		st.pending, st.sent = nil, 0
	}
	if st.finishing && !st.localDone {
		c.endLocked(st)
	}
}

// endLocked ends the server's half of st and forgets the stream once the
// client's half has ended too.
func (c *h2conn) endLocked(st *stream) {
	st.localDone = true
	if st.trailers != nil {
		blk := st.trailers
		c.frame(func(fr *http2.Framer) error {
			return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: st.id, BlockFragment: blk, EndHeaders: true, EndStream: true})
		})
	} else {
		c.frame(func(fr *http2.Framer) error { return fr.WriteData(st.id, true, nil) })
	}
	if st.remoteDone {
		c.forgetLocked(st)
	}
}

// forgetLocked removes a stream whose both halves are over.
func (c *h2conn) forgetLocked(st *stream) {
	st.releaseLocked(c)
	delete(c.streams, st.id)
}

// drainAllLocked resumes every stream after a window grew.
func (c *h2conn) drainAllLocked() {
	for _, st := range c.streams {
		if len(st.pending) > st.sent || (st.finishing && !st.localDone) {
			c.drainLocked(st)
		}
	}
}

// resetLocked sends RST_STREAM for id and forgets the stream.
func (c *h2conn) resetLocked(id uint32, code http2.ErrCode) {
	c.frame(func(fr *http2.Framer) error { return fr.WriteRSTStream(id, code) })
	if st := c.streams[id]; st != nil {
		st.localDone = true
		c.forgetLocked(st)
	}
}

// respond writes a whole response on st from any goroutine: headers
// (unless sent), an optional gRPC message, then the trailers.
func (c *h2conn) respond(st *stream, msg []byte, trailers []byte) {
	c.mu.Lock()
	if c.closed || st.localDone || c.streams[st.id] != st {
		c.mu.Unlock()
		return
	}
	c.headersLocked(st)
	if msg != nil {
		if err := c.sendLocked(st, msg); err != nil {
			c.mu.Unlock()
			c.t.log.Debug("unary response dropped", "remote", c.remote.String(), "err", err)
			return
		}
	}
	st.trailers, st.finishing = trailers, true
	c.drainLocked(st)
	wake := c.wakeLocked()
	c.mu.Unlock()
	if wake {
		c.wake()
	}
}

// headersLocked sends the gRPC response headers once.
func (c *h2conn) headersLocked(st *stream) {
	if st.headersSent {
		return
	}
	st.headersSent = true
	c.frame(func(fr *http2.Framer) error {
		return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: st.id, BlockFragment: blocks.response, EndHeaders: true})
	})
}
