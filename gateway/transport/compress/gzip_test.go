package compress

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"testing"
)

// gzipOf compresses n copies of b without holding them in memory.
func gzipOf(t testing.TB, b byte, n int) []byte {
	t.Helper()
	var out bytes.Buffer
	z := gzip.NewWriter(&out)
	chunk := bytes.Repeat([]byte{b}, 64<<10)
	for n > 0 {
		k := min(n, len(chunk))
		if _, err := z.Write(chunk[:k]); err != nil {
			t.Fatal(err)
		}
		n -= k
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// inflate decompresses msg as Kitex does (io.Copy into a buffer).
func inflate(c *GzipCompressor, msg []byte) (int, error) {
	r, err := c.Decompress(bytes.NewReader(msg))
	if err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, r)
	return int(n), err
}

func TestBoundedGzip(t *testing.T) {
	const limit = 1 << 20
	c := newBoundedGzip(limit)
	cases := []struct {
		name    string
		size    int
		wantErr bool
	}{
		{"empty", 0, false},
		{"small", 100, false},
		{"at the limit", limit, false},
		{"one byte over", limit + 1, true},
		{"bomb: 256 MiB of zeros", 256 << 20, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := gzipOf(t, 0, tc.size)
			// Twice: the second run reuses a pooled reader.
			for range 2 {
				n, err := inflate(c, msg)
				var big *InflatedTooLargeError
				if tc.wantErr != errors.As(err, &big) {
					t.Fatalf("%d bytes inflated, err %v; want error %v", n, err, tc.wantErr)
				}
				if !tc.wantErr && n != tc.size {
					t.Fatalf("inflated %d bytes, want %d", n, tc.size)
				}
				if n > limit {
					t.Fatalf("inflated %d bytes, over the %d limit", n, limit)
				}
			}
		})
	}
}

func TestBoundedGzipRoundTripAndBadInput(t *testing.T) {
	c := newBoundedGzip(1 << 20)
	var buf bytes.Buffer
	w, err := c.Compress(&buf)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte(`{"type":"registerInstance"}`)
	if _, err := w.Write(want); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := c.Decompress(&buf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("round trip: %q, %v", got, err)
	}
	if _, err := inflate(c, []byte("not gzip at all")); err == nil {
		t.Fatal("garbage accepted as gzip")
	}
	if _, err := inflate(c, gzipOf(t, 'x', 5000)[:30]); err == nil {
		t.Fatal("truncated gzip accepted")
	}
}

func TestRaiseGzipLimitOnlyRaises(t *testing.T) {
	before := Gzip.limit.Load()
	RaiseGzipLimit(int(before) - 1)
	if got := Gzip.limit.Load(); got != before {
		t.Fatalf("limit lowered to %d", got)
	}
}
