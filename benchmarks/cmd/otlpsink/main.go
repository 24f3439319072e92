// Command otlpsink is a minimal OTLP/HTTP trace receiver for benchmarks.
// It prints its endpoint URL, accepts POST /v1/traces on 127.0.0.1 and
// discards the body (with -count-spans it decodes it to count the spans,
// which costs CPU), and on SIGINT/SIGTERM prints what it took.
//
//	go run ./benchmarks/cmd/otlpsink -addr 127.0.0.1:0
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4318", "listen address")
	count := flag.Bool("count-spans", false, "decode every export to count its spans (costs CPU)")
	flag.Parse()
	var exports, bytes, spans atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/traces", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		exports.Add(1)
		bytes.Add(int64(len(body)))
		if *count {
			spans.Add(int64(countSpans(body)))
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK) // an empty ExportTraceServiceResponse
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "otlpsink:", err)
		os.Exit(1)
	}
	fmt.Printf("http://%s\n", ln.Addr()) // the endpoint, for scripts
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "otlpsink:", err)
		os.Exit(1)
	}
	fmt.Printf("otlpsink: %d exports, %d bytes, %d spans counted\n", exports.Load(), bytes.Load(), spans.Load())
}

// countSpans decodes an ExportTraceServiceRequest and counts its spans.
func countSpans(body []byte) int {
	var req coltracepb.ExportTraceServiceRequest
	if proto.Unmarshal(body, &req) != nil {
		return 0
	}
	n := 0
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			n += len(ss.Spans)
		}
	}
	return n
}
