package nacoslink

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/herald-gateway/herald/upstream"
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
	dropped  chan struct{} // gets a token whenever frozen bytes are dropped
}

func newFreezer(t *testing.T, target string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, target: target, dropped: make(chan struct{}, 1)}
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
		go f.pipe(up, c, opened, true)
		go f.pipe(c, up, opened, false)
	}
}

// pipe copies src to dst until either closes, dropping the bytes once the
// connection (opened at opened) is frozen; bytes dropped on their way
// upstream are signalled on dropped.
func (f *freezer) pipe(dst, src net.Conn, opened time.Time, toCore bool) {
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
		if frozen && toCore {
			select {
			case f.dropped <- struct{}{}:
			default:
			}
		}
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
	f.cut()
}

// cut closes every connection so far; later ones are proxied as usual.
func (f *freezer) cut() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
	f.conns = nil
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

// A request in flight when the connection ends fails then, not at its
// timeout (Kitex fails a connection's streams when it closes): a
// registration sent into a hung upstream whose connection is then closed
// returns when it closes (kept for the redo), and the redo on the next
// connection delivers it. The timeout is a minute, so waiting it out
// would fail the test's bounds.
func TestRequestInFlightEndsWithTheConnection(t *testing.T) {
	c := startCore(t, "127.0.0.1:0")
	f := newFreezer(t, c.addr)
	l := newLink(t, Options{Servers: []string{f.ln.Addr().String()}, RequestTimeout: time.Minute, HealthInterval: time.Minute})
	waitReady(t, l)
	first := l.Status().Connection.ConnectionID
	f.freeze()
	k := svc("in-flight")
	done := make(chan error, 1)
	go func() {
		done <- l.Register(context.Background(), "client-1", k, []upstream.Instance{inst("10.0.0.1", 80)})
	}()
	select {
	case <-f.dropped: // the registration is on the wire, going nowhere
	case err := <-done:
		t.Fatalf("Register returned %v before its request was sent", err)
	case <-time.After(wait):
		t.Fatal("the registration's request never reached the proxy")
	}
	f.cut()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Register: %v (want nil: kept for the redo)", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Register still waits after its connection closed")
	}
	eventually(t, "the registration redone on a new connection", func() error {
		if id := l.Status().Connection.ConnectionID; id == first {
			return fmt.Errorf("still connection %s", id)
		}
		if got := coreCount(t, c, k); got != 1 {
			return fmt.Errorf("core has %d instances", got)
		}
		return nil
	})
}
