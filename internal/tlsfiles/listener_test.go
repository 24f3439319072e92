package tlsfiles

import (
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/herald-gateway/herald/internal/tlstest"
)

// TestListenerHandsOnlyHandshakenConns: a silent client and a plain-text
// client do not hold up a TLS client, and Accept returns only the latter,
// its handshake done.
func TestListenerHandsOnlyHandshakenConns(t *testing.T) {
	ca := tlstest.NewCA(t, "test")
	sp := ca.Server(t.TempDir())
	cfg, err := Server(Files{CertFile: sp.CertFile, KeyFile: sp.KeyFile}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := NewListener(inner, cfg, nil)
	defer ln.Close()
	addr := ln.Addr().String()

	silent, err := net.Dial("tcp", addr) // connects, never says a word
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	plain, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, err := plain.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}

	cli, _ := Client(Files{CAFile: ca.File}, "127.0.0.1", nil)
	dialed := make(chan error, 1)
	go func() {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cli)
		if err == nil {
			defer c.Close()
			_, err = c.Write([]byte("hello"))
		}
		dialed <- err
	}()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	select {
	case c := <-accepted:
		defer c.Close()
		tc, ok := c.(*tls.Conn)
		if !ok || !tc.ConnectionState().HandshakeComplete {
			t.Fatalf("accepted %T without a completed handshake", c)
		}
		buf := make([]byte, 5)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(buf); err != nil || string(buf) != "hello" {
			t.Fatalf("read %q, %v; want the TLS client's hello", buf, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the TLS client was not accepted while a silent and a plain-text client waited")
	}
	if err := <-dialed; err != nil {
		t.Fatalf("TLS client: %v", err)
	}
	// The plain-text client's connection is closed by the listener.
	_ = plain.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, err := plain.Read(make([]byte, 512)); err != nil {
			if errors.Is(err, errTimeout) {
				t.Fatal("the plain-text client's connection was left open")
			}
			break
		}
	}
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v, want net.ErrClosed", err)
	}
}
