package kitex

import (
	"errors"
	"testing"
)

// FuzzFrameGuard feeds arbitrary bytes to the guard: it must never panic,
// must give the same verdict however the bytes are split across reads,
// and must never keep more than maxPartialStreams streams.
func FuzzFrameGuard(f *testing.F) {
	m := msgOf(300)
	f.Add(newH2(f).Headers(1, false).Data(1, true, msgOf(testLimit)).Bytes(), uint(7))
	f.Add(newH2(f).Headers(1, false).Data(1, false, grpcMsg(2<<30, nil)).Bytes(), uint(30))
	f.Add(newH2(f).Headers(1, false).Padded(1, m[:4], []byte{9, 9}).Data(1, false, m[4:]).RST(1).Bytes(), uint(40))
	f.Add(newH2(f).Headers(3, false).Data(3, false, m[:2]).Ping().Headers(3, true).Bytes(), uint(1))
	f.Add([]byte{}, uint(0))
	f.Fuzz(func(t *testing.T, stream []byte, split uint) {
		whole := newFrameGuard(testLimit)
		wantErr := whole.scan(stream)
		if len(whole.streams) > maxPartialStreams {
			t.Fatalf("%d streams kept", len(whole.streams))
		}
		at := int(split % uint(len(stream)+1))
		two := newFrameGuard(testLimit)
		err := two.scan(stream[:at])
		if err == nil {
			err = two.scan(stream[at:])
		}
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("split at %d: %v, whole: %v", at, err, wantErr)
		}
		var a, b *MessageTooLargeError
		if errors.As(err, &a) != errors.As(wantErr, &b) || (a != nil && *a != *b) {
			t.Fatalf("split at %d: %v, whole: %v", at, err, wantErr)
		}
	})
}
