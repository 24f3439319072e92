package kitex

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// HTTP/2 constants the guard needs (RFC 9113).
const (
	clientPrefaceLen = 24 // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
	frameHeaderLen   = 9
	frameData        = 0x0
	frameHeaders     = 0x1
	frameRSTStream   = 0x3
	flagEndStream    = 0x1
	flagPadded       = 0x8
	grpcPrefixLen    = 5
	// maxPartialStreams bounds the streams one connection may leave in
	// the middle of a gRPC message; Nacos clients have one or two.
	maxPartialStreams = 1024
)

// errTooManyPartialStreams is returned by frameGuard.scan when a client
// leaves more than maxPartialStreams messages unfinished at once.
var errTooManyPartialStreams = errors.New("too many streams with unfinished gRPC messages")

// MessageTooLargeError is returned by frameGuard.scan when a client
// declares a gRPC message longer than the limit.
type MessageTooLargeError struct {
	StreamID uint32
	Size     uint32 // the length the message prefix declares
	Limit    int
}

func (e *MessageTooLargeError) Error() string {
	return fmt.Sprintf("gRPC message of %d bytes on stream %d is over the %d-byte limit", e.Size, e.StreamID, e.Limit)
}

// msgState is where one stream is inside its gRPC message framing.
type msgState struct {
	prefixN  uint8  // prefix bytes seen of the current message (0..5)
	declared uint32 // length accumulated from the prefix
	bodyLeft uint32 // body bytes still to come
}

func (m msgState) idle() bool { return m.prefixN == 0 && m.bodyLeft == 0 }

// frameGuard follows the client-to-server HTTP/2 byte stream of one
// connection just far enough to see every gRPC message prefix: the client
// preface, 9-byte frame headers, DATA payloads without their padding, and
// per-stream 5-byte prefixes that may straddle frames. It rejects a
// declared length above limit before Kitex allocates it. It never buffers
// payloads; state is a few counters plus one map entry per stream that is
// in the middle of a message. Not safe for concurrent use: one reader.
type frameGuard struct {
	limit int

	prefaceLeft int                  // client preface bytes still to skip
	hdr         [frameHeaderLen]byte // frame header being assembled
	hdrN        int
	frameLeft   uint32 // payload bytes of the current frame still to come
	ftype       byte
	flags       byte
	stream      uint32
	needPad     bool   // DATA: the pad length byte is still to come
	msgLeft     uint32 // DATA: message bytes (not padding) still to come
	streams     map[uint32]msgState
}

// newFrameGuard returns a guard for one new connection.
func newFrameGuard(limit int) *frameGuard {
	return &frameGuard{limit: limit, prefaceLeft: clientPrefaceLen}
}

// scan consumes the next bytes the client sent. A non-nil error means the
// connection must be dropped; the guard is then unusable.
func (g *frameGuard) scan(p []byte) error {
	if g.prefaceLeft > 0 {
		n := min(g.prefaceLeft, len(p))
		g.prefaceLeft -= n
		p = p[n:]
	}
	for len(p) > 0 {
		if g.hdrN < frameHeaderLen {
			n := copy(g.hdr[g.hdrN:], p)
			g.hdrN += n
			p = p[n:]
			if g.hdrN == frameHeaderLen {
				if err := g.startFrame(); err != nil {
					return err
				}
			}
			continue
		}
		n, err := g.payload(p)
		if err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// startFrame decodes the assembled header. Frames with an empty payload
// finish at once.
func (g *frameGuard) startFrame() error {
	h := g.hdr[:]
	g.frameLeft = uint32(h[0])<<16 | uint32(h[1])<<8 | uint32(h[2])
	g.ftype, g.flags = h[3], h[4]
	g.stream = binary.BigEndian.Uint32(h[5:]) & 0x7fffffff
	g.needPad = g.ftype == frameData && g.flags&flagPadded != 0
	g.msgLeft = 0
	if g.ftype == frameData && !g.needPad {
		g.msgLeft = g.frameLeft
	}
	if g.frameLeft == 0 {
		g.endFrame()
	}
	return nil
}

// payload consumes up to the rest of the current frame's payload from p
// and reports how many bytes it used.
func (g *frameGuard) payload(p []byte) (int, error) {
	n := int(min(uint32(len(p)), g.frameLeft))
	if g.ftype == frameData {
		if err := g.data(p[:n]); err != nil {
			return 0, err
		}
	}
	g.frameLeft -= uint32(n)
	if g.frameLeft == 0 {
		g.endFrame()
	}
	return n, nil
}

// data handles a piece of a DATA frame's payload (g.frameLeft still
// counts it): the pad length byte, message bytes, then padding, ignored.
func (g *frameGuard) data(chunk []byte) error {
	if g.needPad {
		pad := uint32(chunk[0])
		if pad > g.frameLeft-1 {
			return fmt.Errorf("DATA frame on stream %d: padding of %d bytes is longer than its payload", g.stream, pad)
		}
		g.needPad = false
		g.msgLeft = g.frameLeft - 1 - pad
		chunk = chunk[1:]
	}
	n := min(uint32(len(chunk)), g.msgLeft)
	g.msgLeft -= n
	if n == 0 {
		return nil
	}
	return g.message(chunk[:n])
}

// message follows the gRPC length-prefixed messages of the current
// stream through chunk: 1 flag byte, a 4-byte big-endian length, the body.
func (g *frameGuard) message(chunk []byte) error {
	st := g.streams[g.stream]
	for len(chunk) > 0 {
		if st.bodyLeft > 0 {
			n := min(uint32(len(chunk)), st.bodyLeft)
			st.bodyLeft -= n
			chunk = chunk[n:]
			continue
		}
		if st.prefixN > 0 { // byte 0 is the compressed flag
			st.declared = st.declared<<8 | uint32(chunk[0])
		}
		st.prefixN++
		chunk = chunk[1:]
		if st.prefixN < grpcPrefixLen {
			continue
		}
		if int64(st.declared) > int64(g.limit) {
			return &MessageTooLargeError{StreamID: g.stream, Size: st.declared, Limit: g.limit}
		}
		st = msgState{bodyLeft: st.declared}
	}
	return g.keep(st)
}

// keep records a stream's state; streams between messages are forgotten,
// so only streams in the middle of a message take an entry.
func (g *frameGuard) keep(st msgState) error {
	if st.idle() {
		delete(g.streams, g.stream)
		return nil
	}
	if _, ok := g.streams[g.stream]; !ok {
		if len(g.streams) >= maxPartialStreams {
			return errTooManyPartialStreams
		}
		if g.streams == nil {
			g.streams = make(map[uint32]msgState, 4)
		}
	}
	g.streams[g.stream] = st
	return nil
}

// endFrame readies the guard for the next frame header and forgets a
// stream the client ended or reset.
func (g *frameGuard) endFrame() {
	g.hdrN = 0
	end := (g.ftype == frameData || g.ftype == frameHeaders) && g.flags&flagEndStream != 0
	if end || g.ftype == frameRSTStream {
		delete(g.streams, g.stream)
	}
}
