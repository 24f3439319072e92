package gateway

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-gateway/herald/gateway/auth"
	"github.com/herald-gateway/herald/internal/nacospb"
	"github.com/herald-gateway/herald/internal/nacoswire"
)

// benchQuery is a ServiceQueryRequest as the Go SDK sends it, with a token.
func benchQuery(b *testing.B, token string) *nacospb.Payload {
	req := nacoswire.ServiceQueryRequest{NamingRequest: nacoswire.NamingRequest{
		Request: nacoswire.Request{Module: "naming", RequestID: "42"}, Namespace: "dev", GroupName: "DEFAULT_GROUP", ServiceName: "orders"}}
	p, err := nacoswire.NewPayload(nacoswire.TypeServiceQueryRequest, req)
	if err != nil {
		b.Fatal(err)
	}
	p.Metadata.Headers = map[string]string{tokenHeader: token, "app": "bench"}
	return p
}

// BenchmarkPermit is what auth adds to a guarded request: the token check,
// decoding the names the body carries, and the permission check.
// BenchmarkDecodeQuery, the decode its handler does anyway, is the scale.
func BenchmarkPermit(b *testing.B) {
	h, err := auth.HashPasswordCost("pw", 10000)
	if err != nil {
		b.Fatal(err)
	}
	a, err := auth.New(auth.Options{Users: []string{"u:" + h}, Roles: []string{"r:u"},
		Permissions: []string{"r:prod:*:*:r", "r:dev:*:*:r"}})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := a.Login("u", "pw", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	s := &Server{opts: Options{Auth: a}}
	c := &conn{}
	p := benchQuery(b, tok)
	b.ReportAllocs()
	cpuPerOp(b, func() {
		for b.Loop() {
			if err := s.permit(c, nacoswire.TypeServiceQueryRequest, p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecodeQuery(b *testing.B) {
	p := benchQuery(b, "")
	b.ReportAllocs()
	cpuPerOp(b, func() {
		for b.Loop() {
			var req nacoswire.ServiceQueryRequest
			if err := decodeBody(p, &req); err != nil {
				b.Fatal(err)
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
