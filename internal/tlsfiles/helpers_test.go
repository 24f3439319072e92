package tlsfiles

import (
	"crypto/x509"
	"os"
	"testing"
)

type x509UnknownAuthority = x509.UnknownAuthorityError

// copyFile replaces dst with src's contents (temp file, rename).
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst+".tmp", b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(dst+".tmp", dst); err != nil {
		t.Fatal(err)
	}
}

// errTimeout is a read deadline passing.
var errTimeout = os.ErrDeadlineExceeded
