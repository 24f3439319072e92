// Package netpollfix works around a netpoll bug that closes another
// goroutine's file descriptor; every listener handed to Kitex's netpoll
// transport or to Hertz (whose Linux transport is netpoll) goes through
// Listener.
package netpollfix

import (
	"net"
	"os"
	"reflect"
	"sync"
	"unsafe"

	"github.com/cloudwego/netpoll"
)

// netpoll v0.7.2's listener closes its file descriptor twice
// (net_listener.go, Close: syscall.Close(ln.fd), then ln.file.Close(),
// and ln.fd is ln.file's own number). A descriptor another goroutine
// opens between the two closes gets that number and is closed under its
// owner: a gnet loop's eventfd, which left the loop asleep in epoll_wait
// for good (the event transport's "stall" beside Kitex servers stopping,
// README "Transport"), or any other socket or file of the process. Kitex
// and Hertz call netpoll's ConvertListener, which returns a listener that
// is a netpoll.Listener already as it is.
//
// onceListener hands Kitex and Hertz netpoll's own listener (its Accept makes the
// connections netpoll needs) with a Close that first clears the
// listener's fd field, so netpoll's Close releases the number once,
// through its *os.File. The field is reached by reflection: netpoll is
// pinned (go.mod) and TestNetpollListenerShape fails when its layout
// changes; if the field is not there the listener is used as netpoll
// made it.
type onceListener struct {
	netpoll.Listener
	// mu orders Accept and Fd, which read the fd field, before Close,
	// which clears it.
	mu     sync.Mutex
	closed bool
	err    error
}

// Listener converts ln (a *net.TCPListener or *net.UnixListener) to
// netpoll's listener with a Close that closes each descriptor once.
func Listener(ln net.Listener) (net.Listener, error) {
	nl, err := netpoll.ConvertListener(ln)
	if err != nil {
		return nil, err
	}
	if fdField(nl) == nil {
		return nl, nil
	}
	return &onceListener{Listener: nl}, nil
}

// Accept implements net.Listener: netpoll's, which makes the
// connections netpoll needs.
func (l *onceListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, net.ErrClosed
	}
	return l.Listener.Accept()
}

// Fd implements netpoll.Listener.
func (l *onceListener) Fd() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.Listener.Fd()
}

// Close implements net.Listener, closing each descriptor once.
func (l *onceListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.err
	}
	l.closed = true
	if fd := fdField(l.Listener); fd != nil {
		*fd = 0 // netpoll skips syscall.Close(0) and closes its file alone
	}
	l.err = l.Listener.Close()
	return l.err
}

// fdField is netpoll's listener's fd field when it has the layout this
// works around (an int fd beside a *os.File file), else nil.
func fdField(nl netpoll.Listener) *int {
	v := reflect.ValueOf(nl)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	s := v.Elem()
	fd, file := s.FieldByName("fd"), s.FieldByName("file")
	if !fd.IsValid() || fd.Kind() != reflect.Int || !file.IsValid() || file.Type() != reflect.TypeFor[*os.File]() {
		return nil
	}
	return (*int)(unsafe.Pointer(fd.UnsafeAddr()))
}
