// Package tlsfiles builds TLS configurations from PEM files and keeps them
// current: a server's certificate, key and client CA, and a client's
// certificate and key, are re-read when the files change, so a rotated
// certificate is used without a restart (a client's CA is read once). A
// change is noticed at the next handshake (the files are stat'ed then, not
// read), and a set of files that does not load (a half-written rotation)
// keeps the last good one in use and is tried again at the next handshake.
// Listener runs server handshakes before a connection reaches the server.
package tlsfiles

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Files names the PEM files of one side of a TLS connection.
type Files struct {
	// CertFile and KeyFile hold this side's certificate chain and private
	// key. Required for a server; for a client, both or neither (a client
	// certificate, for servers that verify clients).
	CertFile, KeyFile string
	// CAFile holds the certificates this side trusts: for a server, the
	// client CAs (set: every client must present a certificate signed by
	// one, mutual TLS); for a client, the server's CAs (empty: the
	// system's roots).
	CAFile string
}

// loaded is one successful read of the files.
type loaded struct {
	cert  *tls.Certificate // nil: none configured
	pool  *x509.CertPool   // nil: none configured
	stamp []stamp          // what the files looked like when read
}

// stamp identifies a version of a file without reading it.
type stamp struct {
	mod  time.Time
	size int64
}

// watcher holds the newest good read of a set of files.
type watcher struct {
	files Files
	log   *slog.Logger

	// mu protects cur.
	mu  sync.Mutex
	cur loaded
}

func newWatcher(files Files, log *slog.Logger) (*watcher, error) {
	if log == nil {
		log = slog.Default()
	}
	w := &watcher{files: files, log: log}
	cur, err := w.read()
	if err != nil {
		return nil, err
	}
	w.cur = cur
	return w, nil
}

// paths are the configured files, in the order of loaded.stamp.
func (w *watcher) paths() []string {
	var ps []string
	for _, p := range []string{w.files.CertFile, w.files.KeyFile, w.files.CAFile} {
		if p != "" {
			ps = append(ps, p)
		}
	}
	return ps
}

// stamps stats every configured file.
func (w *watcher) stamps() ([]stamp, error) {
	var out []stamp
	for _, p := range w.paths() {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		out = append(out, stamp{fi.ModTime(), fi.Size()})
	}
	return out, nil
}

// read loads every configured file.
func (w *watcher) read() (loaded, error) {
	f := w.files
	st, err := w.stamps()
	if err != nil {
		return loaded{}, err
	}
	l := loaded{stamp: st}
	if f.CertFile != "" || f.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return loaded{}, fmt.Errorf("certificate %s, key %s: %w", f.CertFile, f.KeyFile, err)
		}
		l.cert = &cert
	}
	if f.CAFile != "" {
		pem, err := os.ReadFile(f.CAFile)
		if err != nil {
			return loaded{}, err
		}
		l.pool = x509.NewCertPool()
		if !l.pool.AppendCertsFromPEM(pem) {
			return loaded{}, fmt.Errorf("CA file %s: no PEM certificate in it", f.CAFile)
		}
	}
	return l, nil
}

// current returns the files' newest good read, re-reading them if they
// changed since the last one.
func (w *watcher) current() loaded {
	w.mu.Lock()
	defer w.mu.Unlock()
	st, err := w.stamps()
	if err != nil || sameStamps(st, w.cur.stamp) {
		if err != nil {
			w.log.Warn("tls files unreadable; serving the last good ones", "err", err)
		}
		return w.cur
	}
	next, err := w.read()
	if err != nil {
		w.log.Warn("tls files changed but do not load; serving the last good ones", "err", err)
		return w.cur
	}
	w.log.Info("tls files reloaded", "files", w.paths())
	w.cur = next
	return next
}

func sameStamps(a, b []stamp) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].mod.Equal(b[i].mod) || a[i].size != b[i].size {
			return false
		}
	}
	return true
}

// Server returns the configuration of a TLS listener serving files'
// certificate, re-read on change; with a CAFile, clients must present a
// certificate that CA signed. nextProtos is the ALPN list (["h2"] for
// gRPC, gRPC clients require it). The files are read once now, so a
// missing or broken file is an error at start.
func Server(files Files, nextProtos []string, log *slog.Logger) (*tls.Config, error) {
	if files.CertFile == "" || files.KeyFile == "" {
		return nil, errors.New("a TLS listener needs a certificate file and a key file")
	}
	w, err := newWatcher(files, log)
	if err != nil {
		return nil, err
	}
	base := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: nextProtos}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: nextProtos,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			l := w.current()
			c := base.Clone()
			c.Certificates = []tls.Certificate{*l.cert}
			if l.pool != nil {
				c.ClientCAs, c.ClientAuth = l.pool, tls.RequireAndVerifyClientCert
			}
			return c, nil
		},
	}, nil
}

// Client returns the configuration of a TLS client trusting files' CA
// (the system roots without one) and presenting files' certificate, if
// any. The certificate and key are re-read on change; the CA is read once,
// now (crypto/tls checks the name against each connection's ServerName,
// which the dialler sets on a clone). serverName is the name checked in
// the server's certificate; empty leaves it to the dialler.
func Client(files Files, serverName string, log *slog.Logger) (*tls.Config, error) {
	if (files.CertFile == "") != (files.KeyFile == "") {
		return nil, errors.New("a client certificate needs both a certificate file and a key file")
	}
	w, err := newWatcher(files, log)
	if err != nil {
		return nil, err
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName, RootCAs: w.cur.pool}
	if files.CertFile != "" {
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return w.current().cert, nil
		}
	}
	return c, nil
}
