package h2c

import (
	"errors"
	"fmt"

	"golang.org/x/net/http2"

	"github.com/herald-gateway/herald/gateway/nacostest"
)

// readLoop reads frames until the connection fails, writing what they
// cause once no whole frame is left buffered.
func (c *Client) readLoop() {
	err := c.readFrames()
	c.mu.Lock()
	c.err = err
	for id, st := range c.streams {
		delete(c.streams, id)
		st.resp <- result{err: err}
	}
	c.mu.Unlock()
	c.nc.Close()
	close(c.done)
}

func (c *Client) readFrames() error {
	for {
		c.mu.Lock()
		if !c.frameBuffered() {
			c.reading = false
			if err := c.flushLocked(); err != nil {
				c.mu.Unlock()
				return err
			}
		}
		c.mu.Unlock()
		f, err := c.fr.ReadFrame()
		if err != nil {
			return err
		}
		c.mu.Lock()
		c.reading = true
		err = c.onFrame(f)
		msgs, h := c.ready, c.handler
		c.ready = c.ready[:0]
		c.mu.Unlock()
		if err != nil {
			return err
		}
		if len(msgs) > 0 && h == nil {
			<-c.served // Serve is called right after Setup
			h = c.handler
		}
		for _, m := range msgs {
			if err := h(m); err != nil {
				return err
			}
		}
	}
}

// frameBuffered reports whether a whole frame is already read.
func (c *Client) frameBuffered() bool {
	n := c.br.Buffered()
	if n < 9 {
		return false
	}
	h, _ := c.br.Peek(3) // buffered
	return n >= 9+int(h[0])<<16|int(h[1])<<8|int(h[2])
}

// onFrame handles one frame, with c.mu held.
func (c *Client) onFrame(f http2.Frame) error {
	switch f := f.(type) {
	case *http2.DataFrame:
		return c.onData(f)
	case *http2.MetaHeadersFrame:
		return c.onHeaders(f)
	case *http2.SettingsFrame:
		if f.IsAck() {
			return nil
		}
		if err := f.ForeachSetting(c.onSetting); err != nil {
			return err
		}
		c.sendPendingLocked()
		return c.fr.WriteSettingsAck()
	case *http2.WindowUpdateFrame:
		if f.StreamID == 0 {
			c.connWin += int64(f.Increment)
		} else if st := c.streams[f.StreamID]; st != nil {
			st.sendWin += int64(f.Increment)
		}
		c.sendPendingLocked()
	case *http2.PingFrame:
		if !f.IsAck() {
			return c.fr.WritePing(true, f.Data)
		}
	case *http2.RSTStreamFrame:
		return c.end(f.StreamID, fmt.Errorf("h2c: stream reset: %v", f.ErrCode))
	case *http2.GoAwayFrame:
		c.goAway = true
	}
	return nil
}

func (c *Client) onSetting(s http2.Setting) error {
	switch s.ID {
	case http2.SettingInitialWindowSize:
		for _, st := range c.streams {
			st.sendWin += int64(s.Val) - c.initWin
		}
		c.initWin = int64(s.Val)
	case http2.SettingMaxFrameSize:
		c.maxFrame = int(s.Val)
	}
	return nil
}

// onData collects a stream's messages and returns the windows.
func (c *Client) onData(f *http2.DataFrame) error {
	n := int64(f.Length)
	if c.unacked += n; c.unacked >= recvWindow/4 {
		if err := c.fr.WriteWindowUpdate(0, uint32(c.unacked)); err != nil {
			return err
		}
		c.unacked = 0
	}
	st := c.streams[f.StreamID]
	if st == nil {
		return nil // a call given up on
	}
	if st.unacked += n; st.unacked >= recvWindow/4 && !f.StreamEnded() {
		if err := c.fr.WriteWindowUpdate(st.id, uint32(st.unacked)); err != nil {
			return err
		}
		st.unacked = 0
	}
	if err := c.messages(st, f.Data()); err != nil {
		return err
	}
	if f.StreamEnded() {
		return c.end(st.id, errors.New("h2c: stream ended without trailers"))
	}
	return nil
}

// messages decodes the whole messages data completes; a message that
// arrived in one frame is decoded where it lies, one assembled from
// several is copied out (st.partial is reused below, before the handler
// runs).
func (c *Client) messages(st *stream, data []byte) error {
	buf, assembled := data, len(st.partial) > 0
	if assembled {
		buf = append(st.partial, data...)
	}
	for len(buf) >= grpcPrefix {
		size := int(be32(buf[1:]))
		if size > maxMessage {
			return fmt.Errorf("h2c: message of %d bytes", size)
		}
		if len(buf) < grpcPrefix+size {
			break
		}
		if buf[0] != 0 {
			return errors.New("h2c: compressed message (none was asked for)")
		}
		m, err := decodePayload(buf[grpcPrefix : grpcPrefix+size])
		if err != nil {
			return err
		}
		c.deliver(st, m, assembled)
		buf = buf[grpcPrefix+size:]
	}
	st.partial = append(st.partial[:0], buf...)
	return nil
}

// deliver hands a bidi message to the handler (after the frame) and keeps
// a unary response for its trailers. The frame's buffer lasts until the
// next frame is read, long enough for the handler; a unary response, or
// a message assembled in st.partial, is copied.
func (c *Client) deliver(st *stream, m nacostest.Message, assembled bool) {
	if assembled || st != c.bidi {
		m.Body = append([]byte(nil), m.Body...)
	}
	if st == c.bidi {
		c.ready = append(c.ready, m)
		return
	}
	st.got = &m
}

// onHeaders ends a stream on its trailers.
func (c *Client) onHeaders(f *http2.MetaHeadersFrame) error {
	if !f.StreamEnded() {
		return nil
	}
	st := c.streams[f.StreamID]
	if st == nil {
		return nil
	}
	if status := f.PseudoValue("status"); status != "" && status != "200" {
		return c.end(st.id, fmt.Errorf("h2c: HTTP status %s", status))
	}
	var code, msg string
	for _, hf := range f.RegularFields() {
		switch hf.Name {
		case "grpc-status":
			code = hf.Value
		case "grpc-message":
			msg = hf.Value
		}
	}
	switch {
	case code != "0":
		return c.end(st.id, fmt.Errorf("h2c: grpc-status %s: %s", code, msg))
	case st == c.bidi:
		return c.end(st.id, errors.New("h2c: server ended the stream"))
	case st.got == nil:
		return c.end(st.id, errors.New("h2c: no response message"))
	}
	delete(c.streams, st.id)
	st.resp <- result{m: *st.got}
	return nil
}

// end finishes stream id with err: a unary call fails; the bidi stream's
// end ends the connection.
func (c *Client) end(id uint32, err error) error {
	st := c.streams[id]
	if st == nil {
		return nil
	}
	delete(c.streams, id)
	if st == c.bidi {
		return err
	}
	st.resp <- result{err: err}
	return nil
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
