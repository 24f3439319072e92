package kitex

import (
	"errors"

	"github.com/cloudwego/netpoll"
)

// errGuardUnsupported is returned by the guarded reader's methods that
// Kitex's HTTP/2 framer never calls.
var errGuardUnsupported = errors.New("grpc inbound guard: reader method not supported")

// guardNetpollConn is a guarded netpoll connection. nphttp2's framer reads
// a connection through its netpoll.Reader when it has one (zero copy);
// this one hands out a reader that passes every consumed byte through the
// same guard as Read, so netpoll keeps its zero-copy path.
type guardNetpollConn struct {
	*guardConn
	r guardReader
}

func newGuardNetpollConn(gc *guardConn, r netpoll.Reader) *guardNetpollConn {
	return &guardNetpollConn{guardConn: gc, r: guardReader{Reader: r, c: gc}}
}

// Reader is what nphttp2's framer reads frames from.
func (c *guardNetpollConn) Reader() netpoll.Reader { return &c.r }

// guardReader scans what Next (the framer's only consuming call) and the
// other consuming methods return. Peek, Len and Release pass through.
type guardReader struct {
	netpoll.Reader
	c *guardConn
}

// Next implements netpoll.Reader.
func (r *guardReader) Next(n int) ([]byte, error) {
	if r.c.err != nil {
		return nil, r.c.err
	}
	p, err := r.Reader.Next(n)
	if err != nil {
		return p, err
	}
	if gerr := r.c.guard.scan(p); gerr != nil {
		r.c.reject(gerr)
		return nil, r.c.err
	}
	return p, nil
}

// Skip implements netpoll.Reader.
func (r *guardReader) Skip(n int) error {
	_, err := r.Next(n)
	return err
}

// ReadByte implements netpoll.Reader.
func (r *guardReader) ReadByte() (byte, error) {
	p, err := r.Next(1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

// ReadString implements netpoll.Reader.
func (r *guardReader) ReadString(n int) (string, error) {
	p, err := r.Next(n)
	return string(p), err
}

// ReadBinary implements netpoll.Reader.
func (r *guardReader) ReadBinary(n int) ([]byte, error) {
	p, err := r.Next(n)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), p...), nil
}

// Until implements netpoll.Reader; the framer does not use it.
func (r *guardReader) Until(byte) ([]byte, error) { return nil, errGuardUnsupported }

// Slice implements netpoll.Reader; the framer does not use it.
func (r *guardReader) Slice(int) (netpoll.Reader, error) { return nil, errGuardUnsupported }
