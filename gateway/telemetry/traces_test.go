package telemetry

import (
	"context"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
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

// Push spans recorded with the Hub's recorder reach a real collector with
// the change span, as children of it, in batches of at most spanBatch,
// all of them by the time the provider is shut down.
func TestPushSpansExported(t *testing.T) {
	col, endpoint := startCollector(t)
	tr, err := NewTracing(tracesConfig(endpoint, "always"), "test")
	if err != nil {
		t.Fatal(err)
	}
	_, change := tr.Tracer().Start(context.Background(), fanout.SpanChange)
	const n = 2*spanBatch + 100
	for i := range n {
		tr.Pushes.RecordPush(pushSpan(change.SpanContext(), i))
	}
	change.End()
	if err := tr.Provider.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans, exports := col.take()
	if len(spans) != n+1 || exports < 3 {
		t.Fatalf("collector got %d spans in %d exports, want %d in at least 3", len(spans), exports, n+1)
	}
	var changeID []byte
	for _, s := range spans {
		if s.Name == fanout.SpanChange {
			changeID = s.SpanId
		}
	}
	for _, s := range spans {
		if s.Name == fanout.SpanPush && (string(s.ParentSpanId) != string(changeID) || len(s.Attributes) != 10) {
			t.Fatalf("push span %x: parent %x (change %x), %d attributes", s.SpanId, s.ParentSpanId, changeID, len(s.Attributes))
		}
	}
}

// pushSpan is the acknowledged first attempt of push i under change.
func pushSpan(change trace.SpanContext, i int) fanout.PushSpan {
	now := time.Now()
	id := trace.SpanID{1, byte(i >> 8), byte(i)}
	return fanout.PushSpan{Change: change, Outcome: fanout.Outcome{
		Event: fanout.EventAcked, SentAt: now.Add(-time.Millisecond), At: now, ConnID: "c" + strconv.Itoa(i),
		Topic: fanout.NamingTopic(upstream.ServiceKey{Name: "svc"}.Normalize()), Revision: 1, RequestID: "1", Attempt: 1,
		TraceID: change.TraceID(), SpanID: id,
	}}
}
