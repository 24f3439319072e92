package nacoslink

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// freezer is a TCP proxy to an upstream whose existing connections can be
// frozen: bytes stop flowing but nothing is closed, as with a hung peer.
// Connections opened after the freeze flow normally.
type freezer struct {
	ln       net.Listener
	target   string
	mu       sync.Mutex // protects frozenAt and conns
	frozenAt time.Time
	conns    []net.Conn
}

func newFreezer(t *testing.T, target string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, target: target}
	go f.accept()
	t.Cleanup(f.close)
	return f
}

// accept proxies every connection until the listener closes.
func (f *freezer) accept() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", f.target)
		if err != nil {
			c.Close()
			continue
		}
		f.mu.Lock()
		f.conns = append(f.conns, c, up)
		f.mu.Unlock()
		opened := time.Now()
		go f.pipe(up, c, opened)
		go f.pipe(c, up, opened)
	}
}

// pipe copies src to dst until either closes, dropping the bytes once the
// connection (opened at opened) is frozen.
func (f *freezer) pipe(dst, src net.Conn, opened time.Time) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			dst.Close()
			return
		}
		f.mu.Lock()
		frozen := !f.frozenAt.IsZero() && opened.Before(f.frozenAt)
		f.mu.Unlock()
		if frozen {
			continue
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			src.Close()
			return
		}
	}
}

func (f *freezer) freeze() {
	f.mu.Lock()
	f.frozenAt = time.Now()
	f.mu.Unlock()
}

func (f *freezer) close() {
	f.ln.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
}

// A hung upstream (no answers, nothing closed) fails three health checks
// and the link reconnects.
func TestFailedHealthChecksReconnect(t *testing.T) {
	c := startCore(t, "127.0.0.1:0")
	f := newFreezer(t, c.addr)
	l := newLink(t, Options{Servers: []string{f.ln.Addr().String()}, RequestTimeout: 300 * time.Millisecond})
	waitReady(t, l)
	first := l.Status().Connection.ConnectionID
	f.freeze()
	eventually(t, "reconnect after failed health checks", func() error {
		st := l.Status().Connection
		if !st.Connected || st.ConnectionID == first || st.Reconnects < 1 {
			return fmt.Errorf("connection %+v", st)
		}
		return nil
	})
}
