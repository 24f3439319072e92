package kitex

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// guardConn is the connection nphttp2 reads HTTP/2 from: every byte read
// passes through a frameGuard first, so an oversize gRPC message is
// refused before Kitex allocates the length its prefix declares. Reads
// come from one goroutine at a time (the preface read, then the framer),
// so the guard needs no lock; writes go straight to the wrapped conn.
type guardConn struct {
	net.Conn
	guard *frameGuard
	log   *slog.Logger
	err   error // set by the first rejection; every later Read returns it
}

// newGuardConn wraps nc with a guard allowing messages up to limit bytes.
func newGuardConn(nc net.Conn, limit int, log *slog.Logger) *guardConn {
	return &guardConn{Conn: nc, guard: newFrameGuard(limit), log: log}
}

// softCloseConn is a gonet connection as Herald and nphttp2 may close it
// from any goroutine. Kitex's gonet connection frees its read buffer in
// Close, racing with the goroutine reading it; so Close here only expires
// the deadlines, which wakes that goroutine, and gonet then closes the
// connection on it.
type softCloseConn struct{ net.Conn }

// Close implements net.Conn.
func (c softCloseConn) Close() error { return c.SetDeadline(time.Now()) }

// Read implements net.Conn. Bytes that break the guard's rules are not
// returned: the connection is closed and the read fails instead.
func (c *guardConn) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		if gerr := c.guard.scan(p[:n]); gerr != nil {
			c.reject(gerr)
			return 0, c.err
		}
	}
	return n, err
}

// reject logs why the client is dropped and closes its connection; only
// this connection is affected.
func (c *guardConn) reject(cause error) {
	c.err = fmt.Errorf("grpc inbound guard: %w", cause)
	attrs := []any{"remote", c.RemoteAddr().String(), "err", cause}
	var big *MessageTooLargeError
	if errors.As(cause, &big) {
		attrs = append(attrs, "size", big.Size, "limit", big.Limit, "stream", big.StreamID)
	}
	c.log.Warn("dropping gRPC connection: inbound message refused", attrs...)
	if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		c.log.Debug("close refused connection", "remote", c.RemoteAddr().String(), "err", err)
	}
}
