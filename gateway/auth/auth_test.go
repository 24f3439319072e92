package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// cheapHash is a valid hash at the lowest accepted cost, so tests stay fast.
func cheapHash(t testing.TB, password string) string {
	t.Helper()
	h, err := hashWith(password, []byte("0123456789abcdef"), minIterations)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, "s3cret") || strings.ContainsAny(h, ":,") {
		t.Fatalf("hash %q quotes the password or holds a list separator", h)
	}
	ph, err := parseHash(h)
	if err != nil {
		t.Fatal(err)
	}
	if !ph.matches("s3cret") || ph.matches("s3cret ") || ph.matches("") {
		t.Fatal("hash matches the wrong passwords")
	}
	h2, _ := HashPassword("s3cret")
	if h2 == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
}

func TestParseHashRejects(t *testing.T) {
	for _, h := range []string{"", "s3cret", "pbkdf2-sha256$1$YWJjZGVmZ2g$AAAA", "md5$600000$YWJjZGVmZ2g$" + strings.Repeat("A", 43),
		"pbkdf2-sha256$600000$!!$" + strings.Repeat("A", 43), "pbkdf2-sha256$600000$YWJjZGVmZ2g$AAAA"} {
		if _, err := parseHash(h); err == nil {
			t.Errorf("parseHash(%q) accepted", h)
		} else if h != "" && strings.Contains(err.Error(), h) {
			t.Errorf("error %q quotes the hash", err)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*:*:*", "public:DEFAULT_GROUP:naming/a", true},
		{"dev:*:*", "dev:G:config/x", true},
		{"dev:*:*", "prod:G:config/x", false},
		{"dev:*:*", "devx:G:config/x", false},
		{"dev:G:naming/*", "dev:G:naming/svc", true},
		{"dev:G:naming/*", "dev:G:config/svc", false},
		{"dev:G:naming/a*b", "dev:G:naming/aXXb", true},
		{"dev:G:naming/a*b", "dev:G:naming/aXXbc", false},
		{"a", "ab", false},
		{"ab", "a", false},
		{strings.Repeat("*a", 30), strings.Repeat("a", 60) + "b", false},
	}
	for _, tc := range tests {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestParsePermission(t *testing.T) {
	good := map[string]Action{"r1:dev:*:*:r": Read, "r1:dev:G:naming/*:w": Write, "r1:*:*:*:rw": Read | Write}
	for s, act := range good {
		_, p, err := parsePermission(s)
		if err != nil || p.actions != act {
			t.Errorf("parsePermission(%q) = %v, %v", s, p, err)
		}
	}
	if _, p, err := parsePermission("r1:dev:G:config/a:b:r"); err != nil || p.resource != "config/a:b" {
		t.Errorf("a dataId with ':' in a permission: %+v, %v", p, err)
	}
	for _, s := range []string{"", "r1", "r1:dev:*:r", "r1:dev:*:*:x", ":dev:*:*:r", "r1::*:*:r", "r1:dev::*:r", "r1:dev:*::r"} {
		if _, _, err := parsePermission(s); err == nil {
			t.Errorf("parsePermission(%q) accepted", s)
		}
	}
}

func testAuthority(t *testing.T) *Authority {
	t.Helper()
	a, err := New(Options{
		Users:       []string{"reader:" + cheapHash(t, "pr"), "writer:" + cheapHash(t, "pw"), "nobody:" + cheapHash(t, "pn"), "boss:" + cheapHash(t, "pb")},
		PlainUsers:  []string{"legacy:old"},
		Roles:       []string{"ro:reader", "rw:writer", AdminRole + ":boss"},
		Permissions: []string{"ro:dev:*:*:r", "rw:dev:*:*:rw", "rw:prod:G:config/*:r"},
		TTL:         time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAllow(t *testing.T) {
	a := testAuthority(t)
	svc := func(ns string) Resource { return Resource{Namespace: ns, Group: "G", Kind: KindNaming, Name: "s"} }
	cfg := func(ns string) Resource { return Resource{Namespace: ns, Group: "G", Kind: KindConfig, Name: "d"} }
	tests := []struct {
		user string
		act  Action
		res  Resource
		ok   bool
	}{
		{"reader", Read, svc("dev"), true},
		{"reader", Write, svc("dev"), false},
		{"reader", Read, svc("prod"), false},
		{"reader", Read, svc(""), false},
		{"writer", Write, cfg("dev"), true},
		{"writer", Read, cfg("prod"), true},
		{"writer", Write, cfg("prod"), false},
		{"writer", Read, svc("prod"), false},
		{"nobody", Read, svc("dev"), false},
		{"boss", Write, svc("prod"), true},
		{"legacy", Write, cfg(""), true},
		{"ghost", Read, svc("dev"), false},
		// ':' in a tenant or group does not cross into another namespace
		// or group: parts are matched one by one.
		{"reader", Read, Resource{Namespace: "dev:x", Group: "G", Kind: KindConfig, Name: "d"}, false},
		{"writer", Read, Resource{Namespace: "prod", Group: "G:x", Kind: KindConfig, Name: "d"}, false},
		{"writer", Read, Resource{Namespace: "prod", Group: "G", Kind: KindConfig, Name: "a:b"}, true},
	}
	for _, tc := range tests {
		err := a.Allow(tc.user, tc.act, tc.res)
		if (err == nil) != tc.ok {
			t.Errorf("Allow(%s, %v, %s) = %v, want ok=%v", tc.user, tc.act, tc.res, err, tc.ok)
		}
	}
}

func TestLoginAndAuthenticate(t *testing.T) {
	a := testAuthority(t)
	now := time.Unix(1_700_000_000, 0)
	if _, err := a.Login("reader", "wrong", now); !errors.Is(err, ErrBadLogin) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := a.Login("ghost", "pr", now); !errors.Is(err, ErrBadLogin) {
		t.Fatalf("unknown user: %v", err)
	}
	tok, err := a.Login("reader", "pr", now)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := a.Authenticate(tok, now.Add(59*time.Second)); err != nil || u != "reader" {
		t.Fatalf("Authenticate = %q, %v", u, err)
	}
	if _, err := a.Authenticate(tok, now.Add(time.Minute)); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("expired: %v", err)
	}
	if _, err := a.Authenticate("", now); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("empty: %v", err)
	}
	forged := strings.Replace(tok, tok[:4], "AAAA", 1)
	if _, err := a.Authenticate(forged, now); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("forged: %v", err)
	}
	other := testAuthority(t) // another random key: another process
	if _, err := other.Authenticate(tok, now); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("token of another key: %v", err)
	}
}

func TestConfiguredKeySurvivesRestart(t *testing.T) {
	key := []byte(strings.Repeat("k", MinKeyBytes))
	mk := func() *Authority {
		a, err := New(Options{PlainUsers: []string{"u:p"}, Key: key})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	now := time.Now()
	tok, err := mk().Login("u", "p", now)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := mk().Authenticate(tok, now); err != nil || u != "u" {
		t.Fatalf("restarted authority: %q, %v", u, err)
	}
	if _, err := New(Options{PlainUsers: []string{"u:p"}, Key: key[:10]}); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestNewRejects(t *testing.T) {
	h := cheapHash(t, "x")
	bad := []Options{
		{Users: []string{"nocolon"}},
		{Users: []string{"a b:" + h}},
		{Users: []string{"a:" + h, "a:" + h}},
		{Users: []string{"a:plaintext"}},
		{Users: []string{"a:" + h}, Roles: []string{"r:ghost"}, Permissions: []string{"r:*:*:*:r"}},
		{Users: []string{"a:" + h}, Roles: []string{"norole:a"}},
		{Users: []string{"a:" + h}, Permissions: []string{"r:bad"}},
	}
	for i, o := range bad {
		_, err := New(o)
		if err == nil {
			t.Errorf("options %d accepted", i)
			continue
		}
		if strings.Contains(err.Error(), h) || strings.Contains(err.Error(), "plaintext") {
			t.Errorf("options %d: error %q quotes a secret", i, err)
		}
	}
}

func TestDisabled(t *testing.T) {
	a, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	var nilA *Authority
	if a.Enabled() || nilA.Enabled() {
		t.Fatal("no users but enabled")
	}
	if err := nilA.Allow("", Write, Resource{}); err != nil {
		t.Fatal(err)
	}
}
