package event

import (
	"bytes"
	"errors"
	"strconv"
	"strings"

	"golang.org/x/net/http2/hpack"
)

// The gRPC paths Nacos clients call.
const (
	pathUnary = "/Request/request"
	pathBidi  = "/BiRequestStream/requestBiStream"
)

const grpcPrefix = 5 // compressed flag + 4-byte length

// streamKind is what a stream is served as.
type streamKind uint8

const (
	kindUnary         streamKind = iota // /Request/request
	kindBidi                            // /BiRequestStream/requestBiStream
	kindUnimplemented                   // another gRPC path, or an unknown grpc-encoding
	kindPlain                           // not gRPC (content-type): 415 with a short body
)

var errStreamClosed = errors.New("stream closed")

// stream is one client-initiated HTTP/2 stream. Fields marked "loop" are
// used only on the event loop; the rest are guarded by the connection's
// mu.
type stream struct {
	id   uint32
	kind streamKind
	gzip bool   // loop: grpc-encoding gzip
	why  string // loop: for kindUnimplemented, the grpc-message

	// loop: the read side.
	msg         []byte // a gRPC message being assembled (prefix included)
	req         []byte // unary: the whole request message
	recvAvail   int64  // receive window left
	recvUnacked int64  // consumed bytes not yet returned
	contentLen  int64  // declared content-length, or -1
	dataLen     int64
	out         *streamOut // bidi: what the core writes to

	// mu: the write side and the stream's state.
	remoteDone  bool // the client ended its half
	localDone   bool // Herald ended its half
	headersSent bool
	finishing   bool   // end once pending data is written
	trailers    []byte // the trailers block to end with; nil = empty DATA
	pending     []byte // DATA payload waiting for a window (pooled)
	sent        int    // bytes of pending already written
	sendAvail   int64  // send window
}

// releaseLocked returns the stream's pooled buffers; the caller holds
// the connection's mu.
func (st *stream) releaseLocked(c *h2conn) {
	if st.pending != nil {
		c.pending -= len(st.pending) - st.sent
		putBuf(st.pending)
		st.pending, st.sent = nil, 0
	}
}

// streamOut is a bidi stream as the core writes to it.
type streamOut struct {
	c  *h2conn
	st *stream
}

// NonBlocking implements transport.NonBlocking: Send only appends.
func (o *streamOut) NonBlocking() {}

// Send implements transport.Stream: the message is framed into the
// connection's buffer (as far as the windows allow; the rest waits for
// WINDOW_UPDATE) and the loop is woken to write it.
func (o *streamOut) Send(msg []byte) error {
	c := o.c
	c.mu.Lock()
	err := c.sendLocked(o.st, msg)
	wake := err == nil && c.wakeLocked()
	c.mu.Unlock()
	if wake {
		c.wake()
	}
	return err
}

// headerBlock is the state of one header block while it is decoded.
type headerBlock struct {
	stream   uint32
	trailers bool // a second block on an open stream
	end      bool // END_STREAM was set
	bad      string

	method, scheme, path, authority bool
	pathValue                       string
	regular                         bool // a regular field was seen
	contentType, encoding           string
	contentLen                      int64
	size                            int
}

// onField checks and records one decoded header field (RFC 9113 8.2,
// 8.3): a malformed block makes the stream fail with PROTOCOL_ERROR.
func (c *h2conn) onField(f hpack.HeaderField) {
	hb := &c.hb
	hb.size += len(f.Name) + len(f.Value) + 32
	switch {
	case hb.bad != "":
		return
	case hb.size > maxHeaderListSize:
		hb.bad = "header list too large"
	case strings.ToLower(f.Name) != f.Name:
		hb.bad = "uppercase header name"
	case f.IsPseudo():
		hb.pseudo(f)
	default:
		hb.regularField(f)
	}
}

func (hb *headerBlock) pseudo(f hpack.HeaderField) {
	if hb.regular || hb.trailers {
		hb.bad = "pseudo-header after regular header or in trailers"
		return
	}
	var seen *bool
	switch f.Name {
	case ":method":
		seen = &hb.method
	case ":scheme":
		seen = &hb.scheme
	case ":path":
		seen = &hb.path
	case ":authority":
		seen = &hb.authority
	}
	switch {
	case seen == nil:
		hb.bad = "unknown pseudo-header " + f.Name
	case *seen:
		hb.bad = "duplicate " + f.Name
	default:
		*seen = true
		if f.Name == ":path" {
			hb.pathValue = f.Value
		}
	}
}

func (hb *headerBlock) regularField(f hpack.HeaderField) {
	hb.regular = true
	switch f.Name {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		hb.bad = "connection-specific header " + f.Name
	case "te":
		if f.Value != "trailers" {
			hb.bad = "te other than trailers"
		}
	case "content-type":
		hb.contentType = f.Value
	case "grpc-encoding":
		hb.encoding = f.Value
	case "content-length":
		n, err := strconv.ParseInt(f.Value, 10, 64)
		if err != nil || n < 0 {
			hb.bad = "invalid content-length"
		}
		hb.contentLen = n
	}
}

// request checks a request block and says how the stream is served.
func (hb *headerBlock) request() (streamKind, string, error) {
	switch {
	case hb.bad != "":
		return 0, "", errors.New(hb.bad)
	case !hb.method || !hb.scheme || !hb.path || hb.pathValue == "":
		return 0, "", errors.New("missing :method, :scheme or :path")
	case !strings.HasPrefix(hb.contentType, "application/grpc"):
		return kindPlain, "", nil
	case hb.encoding != "" && hb.encoding != "identity" && hb.encoding != "gzip":
		return kindUnimplemented, "grpc: Decompressor is not installed for grpc-encoding " + strconv.Quote(hb.encoding), nil
	}
	switch hb.pathValue {
	case pathUnary:
		return kindUnary, "", nil
	case pathBidi:
		return kindBidi, "", nil
	}
	return kindUnimplemented, "unknown method " + hb.pathValue, nil
}

// blocks are the header blocks every response uses, encoded once with
// hpack. The encoder's dynamic table is set to 0 first, so each block
// starts with that table size update and indexes nothing: the client's
// decoder table stays empty and the same bytes fit every connection.
var blocks = struct {
	response, trailersOK, plain []byte
}{
	response:   encodeBlock(":status", "200", "content-type", "application/grpc"),
	trailersOK: encodeBlock("grpc-status", "0"),
	plain:      encodeBlock(":status", "415", "content-type", "text/plain; charset=utf-8"),
}

// plainBody answers a request that is not gRPC.
var plainBody = []byte("Herald serves the Nacos gRPC API (content-type application/grpc) on this port.\n")

// encodeBlock encodes name/value pairs as one header block.
func encodeBlock(kv ...string) []byte {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	enc.SetMaxDynamicTableSizeLimit(0)
	for i := 0; i+1 < len(kv); i += 2 {
		if err := enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]}); err != nil {
			panic("hpack: " + err.Error()) // writes to a bytes.Buffer cannot fail
		}
	}
	return buf.Bytes()
}

// statusTrailers is the trailers block of a failed call.
func statusTrailers(code int, msg string) []byte {
	return encodeBlock("grpc-status", strconv.Itoa(code), "grpc-message", encodeGrpcMessage(msg))
}

// trailersOnly is a whole response in one block: headers and status.
func trailersOnly(code int, msg string) []byte {
	return encodeBlock(":status", "200", "content-type", "application/grpc",
		"grpc-status", strconv.Itoa(code), "grpc-message", encodeGrpcMessage(msg))
}

// encodeGrpcMessage percent-encodes grpc-message as gRPC requires.
func encodeGrpcMessage(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		ch := msg[i]
		if ch >= 0x20 && ch <= 0x7e && ch != '%' {
			b.WriteByte(ch)
			continue
		}
		b.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(ch)|0x100, 16)[1:]))
	}
	return b.String()
}
