package kitex

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/cloudwego/netpoll"
	"golang.org/x/net/http2"
)

// TestGuardReaderScansConsumedBytes reads frames as nphttp2's framer does
// (Next of the header, Next of the payload) through the guarded netpoll
// reader: frames within the limit come through intact, the frame carrying
// an oversize prefix fails, and the connection is closed.
func TestGuardReaderScansConsumedBytes(t *testing.T) {
	ok := newH2(t).Headers(1, false).Data(1, false, msgOf(10)).Bytes()
	stream := append(bytes.Clone(ok), newH2(t).Data(1, false, grpcMsg(testLimit+1, nil)).Bytes()[len(http2.ClientPreface):]...)
	local, remote := net.Pipe()
	defer remote.Close()
	gc := newGuardConn(local, testLimit, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r := newGuardNetpollConn(gc, netpoll.NewReader(bytes.NewReader(stream))).Reader()

	if _, err := r.Next(len(http2.ClientPreface)); err != nil {
		t.Fatalf("preface: %v", err)
	}
	var frames int
	var err error
	for err == nil {
		var hdr []byte
		if hdr, err = r.Next(frameHeaderLen); err == nil {
			_, err = r.Next(int(hdr[0])<<16 | int(hdr[1])<<8 | int(hdr[2]))
			frames++
		}
	}
	var big *MessageTooLargeError
	if !errors.As(err, &big) || big.Size != testLimit+1 {
		t.Fatalf("after %d frames: %v, want MessageTooLargeError", frames, err)
	}
	if frames != 5 { // SETTINGS, HEADERS, DATA, SETTINGS, then the oversize DATA
		t.Fatalf("failed at frame %d, want 5", frames)
	}
	if _, err := remote.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open")
	}
	if _, err := r.Next(1); err == nil {
		t.Fatal("read after rejection succeeded")
	}
}
