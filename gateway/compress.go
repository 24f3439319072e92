package gateway

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/cloudwego/kitex/pkg/remote/codec/protobuf/encoding"
)

// Clients whose process registers grpc-go's gzip (any app using the OTLP
// gRPC exporter, for one) use it on the wire, so Kitex must know "gzip".
// Kitex's own gzip inflates without bound; this one stops at the inbound
// limit. Kitex's compressor registry is process-wide and only safe to
// write during init, so one compressor serves every Server, allowing the
// largest inbound limit among them (see raiseGzipLimit).
func init() {
	encoding.RegisterCompressor(boundedGzip)
}

// boundedGzip is the registered "gzip" compressor. Its limit starts at
// zero and is raised by every New.
var boundedGzip = newBoundedGzip(0)

// raiseGzipLimit lets gzip messages inflate to at least limit bytes.
func raiseGzipLimit(limit int) {
	for {
		cur := boundedGzip.limit.Load()
		if int64(limit) <= cur || boundedGzip.limit.CompareAndSwap(cur, int64(limit)) {
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

// gzipCompressor implements Kitex's encoding.Compressor for gzip with
// bounded decompression. Readers and writers are pooled.
type gzipCompressor struct {
	limit   atomic.Int64 // most bytes one message may inflate to
	writers sync.Pool    // *gzipWriter
	readers sync.Pool    // *gzip.Reader
}

func newBoundedGzip(limit int) *gzipCompressor {
	c := &gzipCompressor{}
	c.limit.Store(int64(limit))
	c.writers.New = func() any { return &gzipWriter{Writer: gzip.NewWriter(io.Discard), pool: &c.writers} }
	return c
}

// Name implements encoding.Compressor.
func (c *gzipCompressor) Name() string { return "gzip" }

// Compress implements encoding.Compressor; Close returns the writer to
// the pool.
func (c *gzipCompressor) Compress(w io.Writer) (io.WriteCloser, error) {
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
func (c *gzipCompressor) Decompress(r io.Reader) (io.Reader, error) {
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
