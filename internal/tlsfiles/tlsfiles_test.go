package tlsfiles

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/herald-gateway/herald/internal/tlstest"
)

// serve accepts TLS connections with cfg until the test ends, completing
// each handshake and then closing the connection.
func serve(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				if err := c.(*tls.Conn).Handshake(); err == nil {
					_, _ = c.Write([]byte("x"))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// dial handshakes with addr and returns the serial of the server's
// certificate.
func dial(addr string, cfg *tls.Config) (string, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	// TLS 1.3: a refused client certificate shows at the first read.
	if _, err := c.Read(make([]byte, 1)); err != nil {
		return "", err
	}
	return c.ConnectionState().PeerCertificates[0].SerialNumber.String(), nil
}

func TestServerReloadsChangedFiles(t *testing.T) {
	ca := tlstest.NewCA(t, "test")
	dir := t.TempDir()
	first := ca.Server(dir)
	srv, err := Server(Files{CertFile: first.CertFile, KeyFile: first.KeyFile}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, srv)
	cli, err := Client(Files{CAFile: ca.File}, "127.0.0.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := dial(addr, cli); err != nil || got != first.Serial.String() {
		t.Fatalf("first handshake: serial %s, %v; want %s", got, err, first.Serial)
	}
	second := ca.Server(dir) // the same paths, new contents
	if got, err := dial(addr, cli); err != nil || got != second.Serial.String() {
		t.Fatalf("after rotation: serial %s, %v; want %s", got, err, second.Serial)
	}
}

func TestServerKeepsLastGoodFilesWhenBroken(t *testing.T) {
	ca := tlstest.NewCA(t, "test")
	dir := t.TempDir()
	good := ca.Server(dir)
	srv, err := Server(Files{CertFile: good.CertFile, KeyFile: good.KeyFile}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, srv)
	other := ca.Server(t.TempDir())
	// A half-done rotation: the new key is in place, the certificate is not.
	copyFile(t, other.KeyFile, good.KeyFile)
	cli, _ := Client(Files{CAFile: ca.File}, "127.0.0.1", nil)
	if got, err := dial(addr, cli); err != nil || got != good.Serial.String() {
		t.Fatalf("during a broken rotation: serial %s, %v; want the old %s", got, err, good.Serial)
	}
	copyFile(t, other.CertFile, good.CertFile)
	if got, err := dial(addr, cli); err != nil || got != other.Serial.String() {
		t.Fatalf("after the rotation completed: serial %s, %v; want %s", got, err, other.Serial)
	}
}

func TestMutualTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "test")
	clients := tlstest.NewCA(t, "clients")
	sp := ca.Server(t.TempDir())
	srv, err := Server(Files{CertFile: sp.CertFile, KeyFile: sp.KeyFile, CAFile: clients.File}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, srv)
	anon, _ := Client(Files{CAFile: ca.File}, "127.0.0.1", nil)
	if _, err := dial(addr, anon); err == nil {
		t.Fatal("a client without a certificate was accepted")
	}
	stranger := ca.Client(t.TempDir(), "stranger") // signed by the wrong CA
	bad, _ := Client(Files{CAFile: ca.File, CertFile: stranger.CertFile, KeyFile: stranger.KeyFile}, "127.0.0.1", nil)
	if _, err := dial(addr, bad); err == nil {
		t.Fatal("a client certificate of another CA was accepted")
	}
	cp := clients.Client(t.TempDir(), "edge")
	good, _ := Client(Files{CAFile: ca.File, CertFile: cp.CertFile, KeyFile: cp.KeyFile}, "127.0.0.1", nil)
	if _, err := dial(addr, good); err != nil {
		t.Fatalf("a client with a good certificate: %v", err)
	}
}

func TestClientRefusesUntrustedServer(t *testing.T) {
	ca := tlstest.NewCA(t, "test")
	sp := tlstest.NewCA(t, "other").Server(t.TempDir())
	srv, _ := Server(Files{CertFile: sp.CertFile, KeyFile: sp.KeyFile}, nil, nil)
	addr := serve(t, srv)
	cli, _ := Client(Files{CAFile: ca.File}, "127.0.0.1", nil)
	_, err := dial(addr, cli)
	var unknown x509UnknownAuthority
	if err == nil || !errors.As(err, &unknown) {
		t.Fatalf("dial a server of another CA: %v, want an unknown authority error", err)
	}
}

func TestBadFilesFailAtStart(t *testing.T) {
	ca := tlstest.NewCA(t, "test")
	sp := ca.Server(t.TempDir())
	tests := []struct {
		name  string
		files Files
		want  string
	}{
		{"no key", Files{CertFile: sp.CertFile}, "certificate file and a key file"},
		{"missing file", Files{CertFile: sp.CertFile + ".nope", KeyFile: sp.KeyFile}, "no such file"},
		{"key for cert", Files{CertFile: sp.KeyFile, KeyFile: sp.KeyFile}, "certificate"},
		{"ca not pem", Files{CertFile: sp.CertFile, KeyFile: sp.KeyFile, CAFile: sp.KeyFile}, "no PEM certificate"},
	}
	for _, tc := range tests {
		_, err := Server(tc.files, nil, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}
