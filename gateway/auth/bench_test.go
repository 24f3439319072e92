package auth

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The per-request costs auth adds: checking a token, checking rights, and
// a username/password pair sent on every request (the npm client).

func benchAuthority(b *testing.B) *Authority {
	h, err := HashPassword("pw")
	if err != nil {
		b.Fatal(err)
	}
	perms := []string{"r:prod:*:*:r", "r:stage:*:*:rw", "r:dev:G:naming/a*:rw", "r:dev:G:config/*:r"}
	a, err := New(Options{Users: []string{"u:" + h}, Roles: []string{"r:u"}, Permissions: perms})
	if err != nil {
		b.Fatal(err)
	}
	return a
}

func BenchmarkAuthenticate(b *testing.B) {
	a := benchAuthority(b)
	now := time.Now()
	tok := a.sign.issue("u", now.Add(time.Hour))
	b.ReportAllocs()
	cpuPerOp(b, func() {
		for b.Loop() {
			if _, err := a.Authenticate(tok, now); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkAllow(b *testing.B) {
	a := benchAuthority(b)
	res := Resource{Namespace: "dev", Group: "G", Kind: KindConfig, Name: "orders.yaml"} // the last rule matches
	b.ReportAllocs()
	cpuPerOp(b, func() {
		for b.Loop() {
			if err := a.Allow("u", Read, res); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPasswordRemembered(b *testing.B) {
	a := benchAuthority(b)
	a.Password("u", "pw")
	b.ReportAllocs()
	cpuPerOp(b, func() {
		for b.Loop() {
			if !a.Password("u", "pw") {
				b.Fatal("refused")
			}
		}
	})
}

// BenchmarkPasswordHash is one full check: what a login with a new or a
// wrong password costs.
func BenchmarkPasswordHash(b *testing.B) {
	a := benchAuthority(b)
	b.ReportAllocs()
	cpuPerOp(b, func() {
		for b.Loop() {
			if a.Password("u", "wrong") {
				b.Fatal("accepted")
			}
		}
	})
}

// cpuPerOp reports the process's user+system CPU per op, read from
// /proc/self/stat around the loop (the ns/op of a loaded machine is wall
// time shared with other processes).
func cpuPerOp(b *testing.B, loop func()) {
	start := selfCPU()
	loop()
	if n := b.N; n > 0 {
		b.ReportMetric(float64(selfCPU()-start)/float64(n), "cpu-ns/op")
	}
}

// selfCPU is this process's user+system time from /proc/self/stat (USER_HZ
// 100), 0 where there is no /proc.
func selfCPU() time.Duration {
	raw, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	_, rest, _ := strings.Cut(string(raw), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}
