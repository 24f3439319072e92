package event

import (
	"errors"
	"fmt"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/net/http2"
)

// readFrames parses every whole frame the connection has buffered. A
// partial frame stays in gnet's buffer until the rest arrives. Stream
// errors are answered with RST_STREAM and reading goes on; any other
// error ends the connection.
func (c *h2conn) readFrames(gc gnet.Conn) error {
	c.mu.Lock()
	c.flushQueued = true // the flush after reading covers every write meanwhile
	c.mu.Unlock()
	if !c.prefaceSeen {
		b, err := gc.Peek(len(http2.ClientPreface))
		if err != nil {
			return nil
		}
		if string(b) != http2.ClientPreface {
			return http2.ConnectionError(http2.ErrCodeProtocol)
		}
		if _, err := gc.Discard(len(b)); err != nil {
			return fmt.Errorf("discard preface: %w", err)
		}
		c.prefaceSeen = true
	}
	for {
		hdr, err := gc.Peek(9)
		if err != nil {
			return nil
		}
		c.rd.b = hdr
		fh, err := http2.ReadFrameHeader(&c.rd)
		if err != nil {
			return fmt.Errorf("frame header: %w", err)
		}
		if fh.Length > maxFrameSize {
			return http2.ConnectionError(http2.ErrCodeFrameSize)
		}
		n := 9 + int(fh.Length)
		whole, err := gc.Peek(n)
		if err != nil {
			return nil
		}
		c.rd.b = whole
		f, err := c.fr.ReadFrame()
		if _, derr := gc.Discard(n); derr != nil {
			return fmt.Errorf("discard frame: %w", derr)
		}
		if err == nil {
			err = c.onFrame(f)
		}
		if err != nil {
			var se http2.StreamError
			if !errors.As(err, &se) {
				return err
			}
			c.streamError(se)
		}
	}
}

// streamError resets one stream.
func (c *h2conn) streamError(se http2.StreamError) {
	c.mu.Lock()
	st := c.streams[se.StreamID]
	c.resetLocked(se.StreamID, se.Code)
	c.mu.Unlock()
	if st != nil && st.kind == kindBidi {
		c.bidiEnded()
	}
}

// onFrame applies one frame.
func (c *h2conn) onFrame(f http2.Frame) error {
	switch f := f.(type) {
	case *http2.SettingsFrame:
		return c.onSettings(f)
	case *http2.PingFrame:
		if !f.IsAck() {
			c.mu.Lock()
			c.frame(func(fr *http2.Framer) error { return fr.WritePing(true, f.Data) })
			c.mu.Unlock()
		}
	case *http2.WindowUpdateFrame:
		return c.onWindowUpdate(f)
	case *http2.HeadersFrame:
		return c.onHeaders(f)
	case *http2.ContinuationFrame:
		return c.onFragment(f.HeaderBlockFragment(), f.HeadersEnded())
	case *http2.DataFrame:
		return c.onData(f)
	case *http2.RSTStreamFrame:
		return c.onReset(f)
	case *http2.PriorityFrame:
		if f.StreamDep == f.StreamID {
			return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeProtocol}
		}
	case *http2.GoAwayFrame:
		return nil // the client is leaving: it opens no more streams and closes when done
	case *http2.PushPromiseFrame:
		return http2.ConnectionError(http2.ErrCodeProtocol)
	}
	return nil // unknown frame types are ignored
}

// onSettings applies the client's settings and acknowledges them.
func (c *h2conn) onSettings(f *http2.SettingsFrame) error {
	if f.IsAck() {
		return nil
	}
	if err := f.ForeachSetting(func(s http2.Setting) error { return s.Valid() }); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = f.ForeachSetting(func(s http2.Setting) error {
		switch s.ID {
		case http2.SettingInitialWindowSize:
			delta := int64(s.Val) - c.peerWindow
			c.peerWindow = int64(s.Val)
			for _, st := range c.streams {
				st.sendAvail += delta
			}
		case http2.SettingMaxFrameSize:
			c.peerFrame = int(s.Val)
		}
		return nil
	})
	c.frame(func(fr *http2.Framer) error { return fr.WriteSettingsAck() })
	c.drainAllLocked()
	return nil
}

// onWindowUpdate opens a send window and resumes what waited for it.
func (c *h2conn) onWindowUpdate(f *http2.WindowUpdateFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	inc := int64(f.Increment)
	if f.StreamID == 0 {
		if c.sendAvail+inc > maxWindow {
			return http2.ConnectionError(http2.ErrCodeFlowControl)
		}
		c.sendAvail += inc
		c.drainAllLocked()
		return nil
	}
	st := c.streams[f.StreamID]
	switch {
	case st == nil && f.StreamID > c.lastStream:
		return http2.ConnectionError(http2.ErrCodeProtocol) // idle stream
	case st == nil:
		return nil // closed meanwhile
	case st.sendAvail+inc > maxWindow:
		return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeFlowControl}
	}
	st.sendAvail += inc
	c.drainLocked(st)
	return nil
}

// onReset forgets a stream the client reset.
func (c *h2conn) onReset(f *http2.RSTStreamFrame) error {
	c.mu.Lock()
	if f.StreamID > c.lastStream {
		c.mu.Unlock()
		return http2.ConnectionError(http2.ErrCodeProtocol) // idle stream
	}
	st := c.streams[f.StreamID]
	if st != nil {
		st.localDone, st.remoteDone = true, true
		c.forgetLocked(st)
	}
	c.mu.Unlock()
	if st != nil && st.kind == kindBidi {
		c.bidiEnded()
	}
	return nil
}

// onHeaders starts a header block: a new stream's request headers or an
// open stream's trailers.
func (c *h2conn) onHeaders(f *http2.HeadersFrame) error {
	id := f.StreamID
	if id%2 == 0 {
		return http2.ConnectionError(http2.ErrCodeProtocol)
	}
	c.mu.Lock()
	st := c.streams[id]
	last := c.lastStream
	if st == nil && id > last {
		c.lastStream = id
	}
	c.mu.Unlock()
	c.hb = headerBlock{stream: id, end: f.StreamEnded(), contentLen: -1}
	switch {
	case st == nil && id <= last:
		return http2.ConnectionError(http2.ErrCodeStreamClosed)
	case st != nil && st.remoteDone:
		return http2.ConnectionError(http2.ErrCodeStreamClosed)
	case st != nil:
		c.hb.trailers = true
	}
	if f.HasPriority() && f.Priority.StreamDep == id {
		c.hb.bad = "stream depends on itself"
	}
	return c.onFragment(f.HeaderBlockFragment(), f.HeadersEnded())
}

// onFragment decodes part of a header block; the framer has checked that
// CONTINUATION frames follow their HEADERS.
func (c *h2conn) onFragment(frag []byte, end bool) error {
	if _, err := c.dec.Write(frag); err != nil {
		return http2.ConnectionError(http2.ErrCodeCompression)
	}
	if !end {
		return nil
	}
	if err := c.dec.Close(); err != nil {
		return http2.ConnectionError(http2.ErrCodeCompression)
	}
	var err error
	if c.hb.trailers {
		err = c.onTrailers()
	} else {
		err = c.openStream()
	}
	c.hb = headerBlock{} // an idle connection keeps no strings of its last request
	return err
}

// openStream creates the stream a request header block opened.
func (c *h2conn) openStream() error {
	hb := &c.hb
	kind, why, err := hb.request()
	if err != nil {
		return http2.StreamError{StreamID: hb.stream, Code: http2.ErrCodeProtocol, Cause: err}
	}
	st := &stream{id: hb.stream, kind: kind, why: why, gzip: hb.encoding == "gzip",
		recvAvail: int64(c.t.opts.StreamWindow), contentLen: hb.contentLen}
	c.mu.Lock()
	if len(c.streams) >= maxConcurrent {
		c.mu.Unlock()
		return http2.StreamError{StreamID: hb.stream, Code: http2.ErrCodeRefusedStream}
	}
	if c.streams == nil {
		c.streams = make(map[uint32]*stream, 2)
	}
	st.sendAvail = c.peerWindow
	c.streams[st.id] = st
	if kind == kindBidi {
		st.out = &streamOut{c: c, st: st}
		c.headersLocked(st)
	}
	c.mu.Unlock()
	if hb.end {
		return c.remoteEnd(st)
	}
	return nil
}

// onTrailers ends the client's half of a stream with a trailers block.
func (c *h2conn) onTrailers() error {
	hb := &c.hb
	if hb.bad != "" || !hb.end {
		return http2.StreamError{StreamID: hb.stream, Code: http2.ErrCodeProtocol}
	}
	c.mu.Lock()
	st := c.streams[hb.stream]
	c.mu.Unlock()
	if st == nil {
		return nil
	}
	return c.remoteEnd(st)
}

// onData takes a DATA frame: flow control first (padding included), then
// the gRPC messages in it.
func (c *h2conn) onData(f *http2.DataFrame) error {
	id, length := f.StreamID, int64(f.Header().Length)
	c.recvAvail -= length
	if c.recvAvail < 0 {
		return http2.ConnectionError(http2.ErrCodeFlowControl)
	}
	c.recvUnacked += length
	c.mu.Lock()
	st := c.streams[id]
	last := c.lastStream
	done := st != nil && st.remoteDone
	c.mu.Unlock()
	c.returnConnWindow()
	switch {
	case st == nil && id > last:
		return http2.ConnectionError(http2.ErrCodeProtocol) // idle stream
	case st == nil || done:
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeStreamClosed}
	}
	st.recvAvail -= length
	if st.recvAvail < 0 {
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeFlowControl}
	}
	st.recvUnacked += length
	st.dataLen += int64(len(f.Data()))
	if err := c.consume(st, f.Data()); err != nil {
		return err
	}
	if f.StreamEnded() {
		return c.remoteEnd(st)
	}
	c.returnStreamWindow(st)
	return nil
}

// returnConnWindow sends WINDOW_UPDATE for the connection once half its
// window is consumed: the window stays fixed, never grows.
func (c *h2conn) returnConnWindow() {
	c.returnWindow(0, &c.recvAvail, &c.recvUnacked, c.t.opts.ConnWindow)
}

// returnStreamWindow does the same for a stream.
func (c *h2conn) returnStreamWindow(st *stream) {
	c.returnWindow(st.id, &st.recvAvail, &st.recvUnacked, c.t.opts.StreamWindow)
}

func (c *h2conn) returnWindow(id uint32, avail, unacked *int64, window int) {
	if *unacked < int64(window)/2 {
		return
	}
	n := *unacked
	*avail += n
	*unacked = 0
	c.mu.Lock()
	c.frame(func(fr *http2.Framer) error { return fr.WriteWindowUpdate(id, uint32(n)) })
	c.mu.Unlock()
}

// consume follows the gRPC messages of a stream through one DATA
// payload. A message that fits in the payload is handled in place; one
// that straddles frames is assembled. A declared length over the inbound
// limit drops the connection before anything is allocated for it.
func (c *h2conn) consume(st *stream, data []byte) error {
	if st.kind == kindPlain || st.kind == kindUnimplemented {
		return nil // answered without reading the body
	}
	for len(data) > 0 {
		if len(st.msg) == 0 && len(data) >= grpcPrefix {
			size := be32(data[1:grpcPrefix])
			if err := c.checkSize(st, size); err != nil {
				return err
			}
			if whole := grpcPrefix + int(size); len(data) >= whole {
				if err := c.message(st, data[:whole], true); err != nil {
					return err
				}
				data = data[whole:]
				continue
			}
		}
		need := grpcPrefix - len(st.msg)
		if len(st.msg) >= grpcPrefix {
			need += int(be32(st.msg[1:grpcPrefix]))
		}
		n := min(need, len(data))
		st.msg = append(st.msg, data[:n]...)
		data = data[n:]
		if len(st.msg) == grpcPrefix {
			if err := c.checkSize(st, be32(st.msg[1:grpcPrefix])); err != nil {
				return err
			}
		}
		if len(st.msg) >= grpcPrefix && len(st.msg) == grpcPrefix+int(be32(st.msg[1:grpcPrefix])) {
			m := st.msg
			st.msg = nil
			if err := c.message(st, m, false); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *h2conn) checkSize(st *stream, size uint32) error {
	if int64(size) > int64(c.t.opts.InboundLimit) {
		return &tooLargeError{stream: st.id, size: size, limit: c.t.opts.InboundLimit}
	}
	return nil
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// message handles one whole gRPC message (prefix included). borrowed
// bytes belong to the framer and are valid only during the call.
func (c *h2conn) message(st *stream, m []byte, borrowed bool) error {
	if st.kind == kindUnary {
		if st.req != nil {
			return http2.StreamError{StreamID: st.id, Code: http2.ErrCodeProtocol, Cause: errors.New("unary call with two messages")}
		}
		if borrowed {
			m = append([]byte(nil), m...)
		}
		st.req = m
		return nil
	}
	return c.bidiMessage(st, m)
}

// remoteEnd handles the end of the client's half of a stream.
func (c *h2conn) remoteEnd(st *stream) error {
	if st.contentLen >= 0 && st.contentLen != st.dataLen {
		return http2.StreamError{StreamID: st.id, Code: http2.ErrCodeProtocol, Cause: errors.New("content-length mismatch")}
	}
	c.mu.Lock()
	st.remoteDone = true
	if st.localDone {
		c.forgetLocked(st)
	}
	c.mu.Unlock()
	if len(st.msg) > 0 && st.kind == kindUnary {
		st.msg = nil
		c.finish(st, trailersOnly(codeInternal, "grpc: request ends inside a message"), nil)
		return nil
	}
	switch st.kind {
	case kindUnary:
		c.startUnary(st)
	case kindBidi:
		c.bidiEnded()
	case kindUnimplemented:
		c.finish(st, trailersOnly(codeUnimplemented, st.why), nil)
	case kindPlain:
		c.finish(st, nil, plainBody)
	}
	return nil
}

// finish answers a stream at once: a trailers-only block, or the plain
// 415 response with its body.
func (c *h2conn) finish(st *stream, block []byte, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.streams[st.id] != st || st.localDone {
		return
	}
	if block != nil {
		st.headersSent, st.localDone = true, true
		c.frame(func(fr *http2.Framer) error {
			return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: st.id, BlockFragment: block, EndHeaders: true, EndStream: true})
		})
		if st.remoteDone {
			c.forgetLocked(st)
		}
		return
	}
	st.headersSent = true
	c.frame(func(fr *http2.Framer) error {
		return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: st.id, BlockFragment: blocks.plain, EndHeaders: true})
	})
	if st.pending == nil {
		st.pending = getBuf()
	}
	st.pending = append(st.pending, body...)
	c.pending += len(body)
	st.finishing = true
	c.drainLocked(st)
}
