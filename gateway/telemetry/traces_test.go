package telemetry

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"

	"github.com/herald-gateway/herald/conf"
)

// grpcCollector is an OTLP/gRPC trace collector on 127.0.0.1 that keeps
// the spans it receives.
type grpcCollector struct {
	coltracepb.UnimplementedTraceServiceServer
	mu      sync.Mutex // protects spans and exports
	spans   []*tracepb.Span
	exports int
}

func (c *grpcCollector) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.exports++
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			c.spans = append(c.spans, ss.Spans...)
		}
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// take returns the spans received so far and forgets them, with the
// number of export calls they came in.
func (c *grpcCollector) take() ([]*tracepb.Span, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	spans, n := c.spans, c.exports
	c.spans, c.exports = nil, 0
	return spans, n
}

func startCollector(t *testing.T) (*grpcCollector, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &grpcCollector{}
	srv := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(srv, c)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return c, "http://" + ln.Addr().String()
}

func tracesConfig(endpoint, sampler string) conf.TracesConfig {
	cfg := conf.Default().Telemetry.Traces
	cfg.Endpoint, cfg.Protocol, cfg.Sampler, cfg.ExportInterval = endpoint, "grpc", sampler, 20*time.Millisecond
	return cfg
}

// With protocol grpc a sampled span reaches a real OTLP/gRPC collector;
// with sampler off none does, though the span still has a trace id.
func TestOTLPGRPCExport(t *testing.T) {
	col, endpoint := startCollector(t)
	for _, tc := range []struct {
		sampler string
		want    bool
	}{{"off", false}, {"always", true}} {
		tr, err := NewTracing(tracesConfig(endpoint, tc.sampler), "test")
		if err != nil {
			t.Fatal(err)
		}
		tp := tr.Provider
		_, span := tp.Tracer(TracerName).Start(context.Background(), "span-"+tc.sampler)
		if !span.SpanContext().TraceID().IsValid() {
			t.Errorf("sampler %s: span has no trace id", tc.sampler)
		}
		span.End()
		if err := tp.Shutdown(context.Background()); err != nil { // flushes
			t.Fatalf("sampler %s: shutdown: %v", tc.sampler, err)
		}
		// Shutdown returns after the export call, so what was sent is in.
		spans, _ := col.take()
		switch {
		case tc.want && len(spans) == 0:
			t.Errorf("sampler %s: nothing exported by shutdown", tc.sampler)
		case len(spans) > 0 && (!tc.want || len(spans) != 1 || spans[0].Name != "span-"+tc.sampler):
			t.Errorf("sampler %s: collector got %d spans, the first %q", tc.sampler, len(spans), spans[0].Name)
		}
	}
}
