// Package compress holds the gRPC message compressors every transport
// shares: gzip with bounded inflation.
package compress

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// Clients whose process registers grpc-go's gzip (any app using the OTLP
// gRPC exporter, for one) use it on the wire, so every transport must know
// "gzip". This one stops inflating at the inbound limit. Kitex's
// compressor registry is process-wide and only safe to write during init,
// so one compressor serves every server, allowing the largest inbound
// limit among them (see RaiseGzipLimit).

// Gzip is the shared "gzip" compressor (it implements Kitex's
// encoding.Compressor). Its limit starts at zero and is raised by every
// gateway.New.
var Gzip = newBoundedGzip(0)

// RaiseGzipLimit lets gzip messages inflate to at least limit bytes.
func RaiseGzipLimit(limit int) {
	for {
		cur := Gzip.limit.Load()
		if int64(limit) <= cur || Gzip.limit.CompareAndSwap(cur, int64(limit)) {
			return
		}
	}
}

// InflatedTooLargeError is returned while reading a gzip message that
// inflates beyond the limit.
type InflatedTooLargeError struct{ Limit int64 }

func (e *InflatedTooLargeError) Error() string {
	return fmt.Sprintf("gzip message inflates past the %d-byte limit", e.Limit)
}

// GzipCompressor is gzip with bounded decompression, in the shape of
// Kitex's encoding.Compressor. Readers and writers are pooled.
type GzipCompressor struct {
	limit   atomic.Int64 // most bytes one message may inflate to
	writers sync.Pool    // *gzipWriter
	readers sync.Pool    // *gzip.Reader
}

func newBoundedGzip(limit int) *GzipCompressor {
	c := &GzipCompressor{}
	c.limit.Store(int64(limit))
	c.writers.New = func() any { return &gzipWriter{Writer: gzip.NewWriter(io.Discard), pool: &c.writers} }
	return c
}

// Name implements encoding.Compressor.
func (c *GzipCompressor) Name() string { return "gzip" }

// Compress implements encoding.Compressor; Close returns the writer to
// the pool.
func (c *GzipCompressor) Compress(w io.Writer) (io.WriteCloser, error) {
	z := c.writers.Get().(*gzipWriter)
	z.Reset(w)
	return z, nil
}

type gzipWriter struct {
	*gzip.Writer
	pool *sync.Pool
}

func (z *gzipWriter) Close() error {
	defer z.pool.Put(z)
	return z.Writer.Close()
}

// Decompress implements encoding.Compressor. The reader fails with
// *InflatedTooLargeError as soon as the output passes the limit, having
// produced at most limit+1 bytes.
func (c *GzipCompressor) Decompress(r io.Reader) (io.Reader, error) {
	z, _ := c.readers.Get().(*gzip.Reader)
	var err error
	if z == nil {
		z, err = gzip.NewReader(r)
	} else {
		err = z.Reset(r)
	}
	if err != nil {
		return nil, fmt.Errorf("gzip header: %w", err)
	}
	limit := c.limit.Load()
	return &boundedReader{z: z, left: limit, limit: limit, pool: &c.readers}, nil
}

// boundedReader reads one message through a pooled gzip.Reader.
type boundedReader struct {
	z     *gzip.Reader // nil once returned to the pool
	left  int64        // bytes still allowed
	limit int64
	pool  *sync.Pool
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.z == nil {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1] // one byte past the limit proves the overflow
	}
	n, err := b.z.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		b.z = nil // state mid-stream: let it go rather than pool it
		return 0, &InflatedTooLargeError{Limit: b.limit}
	}
	if errors.Is(err, io.EOF) {
		b.pool.Put(b.z)
		b.z = nil
	}
	return n, err
}
