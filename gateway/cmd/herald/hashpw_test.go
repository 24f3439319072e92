package main

import (
	"strings"
	"testing"
	"time"

	"github.com/herald-gateway/herald/gateway/auth"
)

// TestHashPasswordCmd: the printed hash is accepted by auth and logs the
// user in with that password only.
func TestHashPasswordCmd(t *testing.T) {
	var out strings.Builder
	if err := hashPasswordCmd(strings.NewReader("s3cret pass\n"), &out); err != nil {
		t.Fatal(err)
	}
	h := strings.TrimSpace(out.String())
	if strings.Contains(h, "s3cret") {
		t.Fatalf("output %q quotes the password", h)
	}
	a, err := auth.New(auth.Options{Users: []string{"u:" + h}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Login("u", "s3cret pass", time.Now()); err != nil {
		t.Fatalf("login with the hashed password: %v", err)
	}
	if _, err := a.Login("u", "s3cret", time.Now()); err == nil {
		t.Fatal("login with another password")
	}
	if err := hashPasswordCmd(strings.NewReader(""), &out); err == nil {
		t.Fatal("empty stdin accepted")
	}
}
