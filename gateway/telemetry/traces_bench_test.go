package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

// BenchmarkPushSpanExport is the exporter's side of a push span: queued,
// made an SDK span, OTLP-encoded and posted over HTTP (in batches of
// spanBatch) to a local receiver that discards it. Reported per span.
func BenchmarkPushSpanExport(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	cfg := tracesConfig(srv.URL, "always")
	cfg.Protocol = "http"
	tr, err := NewTracing(cfg, "bench")
	if err != nil {
		b.Fatal(err)
	}
	change := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{9}, SpanID: trace.SpanID{9},
		TraceFlags: trace.FlagsSampled})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.Pushes.RecordPush(pushSpan(change, i))
		if i%spanBatch == spanBatch-1 { // keep the queue from overflowing
			if err := tr.Provider.ForceFlush(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tr.Provider.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
}
