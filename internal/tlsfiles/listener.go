package tlsfiles

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"
)

// HandshakeTimeout bounds a client's TLS handshake: a client that opens a
// connection and says nothing holds it no longer.
const HandshakeTimeout = 10 * time.Second

// Listener serves TLS: its Accept returns only connections whose
// handshake (with cfg) completed. Handshakes run concurrently, each on a
// goroutine of its own and bounded by HandshakeTimeout, so one slow
// client never holds up the others. A failed handshake (a plain-text
// client, a client without the required certificate) closes that
// connection and is logged at debug: the server behind it never sees it,
// nor logs it as its own error.
type Listener struct {
	inner net.Listener
	cfg   *tls.Config
	log   *slog.Logger
	conns chan net.Conn
	errs  chan error
	done  chan struct{}
	close sync.Once
}

// NewListener wraps inner (which it owns from now on) with cfg.
func NewListener(inner net.Listener, cfg *tls.Config, log *slog.Logger) *Listener {
	if log == nil {
		log = slog.Default()
	}
	l := &Listener{inner: inner, cfg: cfg, log: log, conns: make(chan net.Conn),
		errs: make(chan error), done: make(chan struct{})}
	go l.acceptLoop()
	return l
}

// acceptLoop accepts until the inner listener closes, starting a
// handshake per connection; accept errors go to Accept's caller.
func (l *Listener) acceptLoop() {
	for {
		c, err := l.inner.Accept()
		if err != nil {
			select {
			case l.errs <- err:
			case <-l.done:
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		go l.handshake(c)
	}
}

// handshake completes c's handshake and hands it to Accept.
func (l *Listener) handshake(c net.Conn) {
	tc := tls.Server(c, l.cfg)
	ctx, cancel := context.WithTimeout(context.Background(), HandshakeTimeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		l.log.Debug("tls handshake failed", "remote", c.RemoteAddr().String(), "err", err)
		c.Close()
		return
	}
	select {
	case l.conns <- tc:
	case <-l.done:
		tc.Close()
	}
}

// Accept implements net.Listener.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case err := <-l.errs:
		return nil, err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close implements net.Listener.
func (l *Listener) Close() error {
	err := net.ErrClosed
	l.close.Do(func() {
		close(l.done)
		err = l.inner.Close()
	})
	return err
}

// Addr implements net.Listener.
func (l *Listener) Addr() net.Addr { return l.inner.Addr() }
