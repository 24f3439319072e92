package kitex

import (
	"bytes"
	"errors"
	"testing"

	"github.com/herald-gateway/herald/gateway/transport/h2test"
	"golang.org/x/net/http2"
)

const testLimit = 1000

// newH2 builds a client-to-server HTTP/2 byte stream with x/net's Framer.
func newH2(t testing.TB) *h2test.Builder { return h2test.New(t) }

func grpcMsg(n uint32, body []byte) []byte { return h2test.GRPCMsg(n, body) }

func msgOf(n int) []byte { return h2test.MsgOf(n) }

// scanInChunks feeds stream to a new guard chunk bytes at a time.
func scanInChunks(stream []byte, chunk int) (*frameGuard, error) {
	g := newFrameGuard(testLimit)
	for len(stream) > 0 {
		n := min(chunk, len(stream))
		if err := g.scan(stream[:n]); err != nil {
			return g, err
		}
		stream = stream[n:]
	}
	return g, nil
}

// TestFrameGuard checks every rule against streams built by a real
// HTTP/2 framer, fed whole and split at every chunk size from 1 byte.
func TestFrameGuard(t *testing.T) {
	prefix := grpcMsg(testLimit+1, nil)
	cases := []struct {
		name    string
		stream  func(*h2test.Builder) *h2test.Builder
		tooBig  uint32 // declared size the guard must refuse; 0 = accept
		partial int    // streams left mid-message
	}{
		{"message at the limit", func(b *h2test.Builder) *h2test.Builder { return b.Headers(1, false).Data(1, true, msgOf(testLimit)) }, 0, 0},
		{"declared over the limit", func(b *h2test.Builder) *h2test.Builder { return b.Headers(1, false).Data(1, false, prefix) }, testLimit + 1, 0},
		{"2 GB declared", func(b *h2test.Builder) *h2test.Builder {
			return b.Headers(1, false).Data(1, false, grpcMsg(2<<30, []byte("x")))
		}, 2 << 30, 0},
		{"several messages in one frame, the last too big", func(b *h2test.Builder) *h2test.Builder {
			return b.Headers(1, false).Data(1, false, append(append(msgOf(10), msgOf(0)...), prefix...))
		}, testLimit + 1, 0},
		{"prefix straddling frames", func(b *h2test.Builder) *h2test.Builder {
			return b.Headers(1, false).Data(1, false, prefix[:2]).Ping().Data(1, false, prefix[2:])
		}, testLimit + 1, 0},
		{"body straddling frames, next prefix too big", func(b *h2test.Builder) *h2test.Builder {
			m := msgOf(500)
			return b.Headers(1, false).Data(1, false, m[:100]).Data(1, false, append(m[100:], prefix...))
		}, testLimit + 1, 0},
		{"padding is not a prefix", func(b *h2test.Builder) *h2test.Builder {
			return b.Headers(1, false).Padded(1, msgOf(20), bytes.Repeat([]byte{0xff}, 200)).Data(1, true, msgOf(5))
		}, 0, 0},
		{"padded frame holding a prefix too big", func(b *h2test.Builder) *h2test.Builder {
			return b.Headers(1, false).Padded(1, prefix, make([]byte, 7))
		}, testLimit + 1, 0},
		{"streams interleaved", func(b *h2test.Builder) *h2test.Builder {
			m := msgOf(300)
			return b.Headers(1, false).Headers(3, false).Data(1, false, m[:3]).Data(3, false, msgOf(900)).Data(1, false, m[3:])
		}, 0, 0},
		{"unfinished message is kept", func(b *h2test.Builder) *h2test.Builder { return b.Headers(1, false).Data(1, false, msgOf(300)[:50]) }, 0, 1},
		{"RST_STREAM forgets a half prefix", func(b *h2test.Builder) *h2test.Builder {
			return b.Headers(1, false).Data(1, false, []byte{0, 0x7f}).RST(1).Data(1, false, msgOf(5))
		}, 0, 0},
		{"END_STREAM forgets a half prefix", func(b *h2test.Builder) *h2test.Builder {
			return b.Headers(1, false).Data(1, true, []byte{0, 0x7f}).Data(1, false, msgOf(5))
		}, 0, 0},
		{"trailers with END_STREAM forget a stream", func(b *h2test.Builder) *h2test.Builder {
			return b.Headers(1, false).Data(1, false, []byte{0, 0x7f}).Headers(1, true).Data(1, false, msgOf(5))
		}, 0, 0},
		{"without RST the half prefix continues", func(b *h2test.Builder) *h2test.Builder {
			return b.Headers(1, false).Data(1, false, []byte{0, 0x7f}).Data(1, false, msgOf(5))
		}, 0x7f000000, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stream := tc.stream(newH2(t)).Bytes()
			for chunk := 1; chunk <= len(stream); chunk++ {
				g, err := scanInChunks(stream, chunk)
				checkVerdict(t, chunk, err, tc.tooBig)
				if err == nil && len(g.streams) != tc.partial {
					t.Fatalf("chunk %d: %d streams kept, want %d", chunk, len(g.streams), tc.partial)
				}
			}
		})
	}
}

func checkVerdict(t *testing.T, chunk int, err error, tooBig uint32) {
	t.Helper()
	var big *MessageTooLargeError
	switch {
	case tooBig == 0 && err != nil:
		t.Fatalf("chunk %d: refused: %v", chunk, err)
	case tooBig != 0 && !errors.As(err, &big):
		t.Fatalf("chunk %d: got %v, want MessageTooLargeError", chunk, err)
	case tooBig != 0 && (big.Size != tooBig || big.Limit != testLimit || big.StreamID != 1):
		t.Fatalf("chunk %d: got %+v, want size %d on stream 1", chunk, big, tooBig)
	}
}

// TestFrameGuardProtocolErrors covers input no HTTP/2 client sends.
func TestFrameGuardProtocolErrors(t *testing.T) {
	t.Run("padding longer than the frame", func(t *testing.T) {
		// DATA, length 2, PADDED, stream 1: pad length 5 > 1.
		raw := append([]byte(http2.ClientPreface), 0, 0, 2, frameData, flagPadded, 0, 0, 0, 1, 5, 0)
		if err := newFrameGuard(testLimit).scan(raw); err == nil {
			t.Fatal("bad padding accepted")
		}
	})
	t.Run("too many unfinished messages", func(t *testing.T) {
		b := newH2(t)
		for i := range maxPartialStreams + 1 {
			b.Data(uint32(2*i+1), false, []byte{0})
		}
		if _, err := scanInChunks(b.Bytes(), 1<<20); !errors.Is(err, errTooManyPartialStreams) {
			t.Fatalf("got %v, want errTooManyPartialStreams", err)
		}
	})
}

// TestFrameGuardAllocationFree proves the steady state allocates nothing:
// whole messages, split frames and pings.
func TestFrameGuardAllocationFree(t *testing.T) {
	m := msgOf(200)
	stream := newH2(t).Headers(1, false).Data(1, false, m[:3]).Data(1, false, m[3:]).Ping().Bytes()
	g := newFrameGuard(testLimit)
	if err := g.scan(stream); err != nil {
		t.Fatal(err)
	}
	body := stream[len(http2.ClientPreface):]
	allocs := testing.AllocsPerRun(100, func() {
		if err := g.scan(body); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per scan, want 0", allocs)
	}
}

func BenchmarkFrameGuard(b *testing.B) {
	var stream []byte
	h := newH2(b).Headers(1, false)
	for range 64 {
		h.Data(1, false, msgOf(1000))
	}
	stream = h.Bytes()
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		if err := newFrameGuard(testLimit).scan(stream); err != nil {
			b.Fatal(err)
		}
	}
}
