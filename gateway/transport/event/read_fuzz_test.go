package event

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/net/http2"

	"github.com/herald-gateway/herald/gateway/transport"
	"github.com/herald-gateway/herald/gateway/transport/h2test"
	"github.com/herald-gateway/herald/internal/nacospb"
	"github.com/herald-gateway/herald/internal/nacoswire"
)

// bufConn is the part of a gnet.Conn the read path uses, over a byte
// buffer the test fills: bytes stay buffered until discarded, as in gnet.
type bufConn struct {
	gnet.Conn // the methods the read path never calls: nil
	buf       []byte
}

func (b *bufConn) Peek(n int) ([]byte, error) {
	if n > len(b.buf) {
		return nil, io.ErrShortBuffer
	}
	return b.buf[:n], nil
}

func (b *bufConn) Discard(n int) (int, error) {
	n = min(n, len(b.buf))
	b.buf = b.buf[n:]
	return n, nil
}

func (b *bufConn) RemoteAddr() net.Addr                        { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (b *bufConn) Wake(gnet.AsyncCallback) error               { return nil }
func (b *bufConn) AsyncWrite([]byte, gnet.AsyncCallback) error { return nil }
func (b *bufConn) Close() error                                { return nil }

// recordingCore records what the transport hands the session core and
// answers every unary call with a fixed payload.
type recordingCore struct {
	mu   sync.Mutex
	msgs []string // types of stream messages, in order
	ends int
}

type session struct{}

func (session) ID() string { return "fuzz" }

func (r *recordingCore) Opened(transport.Conn) (transport.Session, error) { return session{}, nil }
func (r *recordingCore) Closed(transport.Session)                         {}
func (r *recordingCore) Unary(context.Context, transport.Session, *nacospb.Payload) *nacospb.Payload {
	p, _ := nacoswire.NewPayload(nacoswire.TypeHealthCheckResponse, nacoswire.Success(""))
	return p
}
func (r *recordingCore) StreamMessage(_ transport.Session, _ transport.Stream, p *nacospb.Payload) {
	r.mu.Lock()
	r.msgs = append(r.msgs, nacoswire.Type(p))
	r.mu.Unlock()
}
func (r *recordingCore) StreamEnded(transport.Session) {
	r.mu.Lock()
	r.ends++
	r.mu.Unlock()
}

// feed runs stream through a new connection's read path chunk bytes at
// a time and reports the first error and what reached the core.
func feed(stream []byte, chunk int) (msgs []string, ends int, err error) {
	core := &recordingCore{}
	tr := New(Options{Options: transport.Options{InboundLimit: 1 << 16, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}})
	tr.core = core
	gc := &bufConn{}
	c := newH2conn(tr, gc)
	c.sess = session{}
	for len(stream) > 0 && err == nil {
		n := min(chunk, len(stream))
		gc.buf = append(gc.buf, stream[:n]...)
		stream = stream[n:]
		err = c.readFrames(gc)
	}
	tr.calls.Wait(context.Background())
	return core.msgs, core.ends, err
}

// payloadOf is one encoded Nacos payload.
func payloadOf(tb testing.TB, typ string, body any) []byte {
	p, err := nacoswire.NewPayload(typ, body)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := p.Marshal(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzReadFrames feeds arbitrary client bytes to the frame decoder: it
// must never panic, and must reach the same verdict and hand the core
// the same stream messages however the bytes are split across reads.
func FuzzReadFrames(f *testing.F) {
	setup := payloadOf(f, "ConnectionSetupRequest", map[string]any{"clientVersion": "fuzz"})
	ackMsg := payloadOf(f, "NotifySubscriberResponse", nacoswire.Success("1"))
	check := payloadOf(f, "ServerCheckRequest", nacoswire.Internal(""))
	msg := func(b []byte) []byte { return h2test.GRPCMsg(uint32(len(b)), b) }
	both := append(msg(setup), msg(ackMsg)...)
	f.Add(h2test.New(f).HeadersFor(1, pathBidi, false).Data(1, false, both).RST(1).Bytes(), uint(1))
	f.Add(h2test.New(f).HeadersFor(1, pathBidi, false).Data(1, false, both[:7]).Data(1, false, both[7:]).Bytes(), uint(3))
	f.Add(h2test.New(f).Headers(1, false).Data(1, true, msg(check)).Ping().Bytes(), uint(5))
	f.Add(h2test.New(f).Headers(1, false).Padded(1, msg(check), []byte{0, 0, 0}).Data(1, true, nil).Bytes(), uint(9))
	f.Add(h2test.New(f).Headers(3, false).Data(3, false, h2test.GRPCMsg(1<<30, nil)).Bytes(), uint(2))
	f.Add(h2test.New(f).HeadersFor(1, "/x", true).HeadersFor(3, pathUnary, true).Bytes(), uint(11))
	f.Add([]byte(http2.ClientPreface), uint(0))
	f.Fuzz(func(t *testing.T, stream []byte, split uint) {
		msgsWhole, endsWhole, errWhole := feed(stream, len(stream)+1)
		chunk := int(split%64) + 1
		msgsSplit, endsSplit, errSplit := feed(stream, chunk)
		if (errWhole == nil) != (errSplit == nil) {
			t.Fatalf("whole: %v; in %d-byte chunks: %v", errWhole, chunk, errSplit)
		}
		if len(msgsWhole) != len(msgsSplit) || endsWhole != endsSplit {
			t.Fatalf("whole gave %v (%d ends); chunks of %d gave %v (%d ends)", msgsWhole, endsWhole, chunk, msgsSplit, endsSplit)
		}
		for i := range msgsWhole {
			if msgsWhole[i] != msgsSplit[i] {
				t.Fatalf("message %d: %s whole, %s split", i, msgsWhole[i], msgsSplit[i])
			}
		}
	})
}

// TestReadFramesRefusesOversize: a message prefix declaring more than the
// inbound limit ends the connection with a tooLargeError, before the body.
func TestReadFramesRefusesOversize(t *testing.T) {
	stream := h2test.New(t).Headers(1, false).Data(1, false, h2test.GRPCMsg(2<<30, []byte("x"))).Bytes()
	_, _, err := feed(stream, len(stream))
	var big *tooLargeError
	if !errors.As(err, &big) || big.size != 2<<30 {
		t.Fatalf("got %v, want a tooLargeError for 2 GiB", err)
	}
}
