package telemetry

import (
	"context"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// gatedExporter is an exporter that counts the spans it is given, once
// open is closed (exports wait for it).
type gatedExporter struct {
	*tracetest.NoopExporter
	open  chan struct{}
	spans *atomic.Int64
}

func (g gatedExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	select {
	case <-g.open:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.spans.Add(int64(len(spans)))
	return nil
}

// captureOTelErrors routes the OTel error handler's reports to the
// returned function for the test's duration.
func captureOTelErrors(t *testing.T) func() []error {
	var mu sync.Mutex // protects errs
	var errs []error
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}))
	t.Cleanup(func() { otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Print(err) })) })
	return func() []error {
		mu.Lock()
		defer mu.Unlock()
		return append([]error(nil), errs...)
	}
}

// While the exporter is stuck, push spans beyond the queue are dropped,
// never waited for, and the drops are reported; every span not dropped is
// exported once the exporter moves again.
func TestSpanBatcherDropsWhenFullAndSaysSo(t *testing.T) {
	errs := captureOTelErrors(t)
	exp := gatedExporter{tracetest.NewNoopExporter(), make(chan struct{}), new(atomic.Int64)}
	b := newSpanBatcher(exp, nil, nil, time.Hour)
	// The exporter holds at most one queue's worth while stuck.
	const n = 2*spanQueue + 100
	change := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{9}, SpanID: trace.SpanID{9},
		TraceFlags: trace.FlagsSampled})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			b.RecordPush(pushSpan(change, i))
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("RecordPush blocked on a stuck exporter")
	}
	close(exp.open)
	if err := b.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	dropped := 0
	dropFormat := fmt.Sprintf("trace export: queue of %d spans full, %%d spans dropped", spanQueue)
	for _, err := range errs() {
		var d int
		if _, perr := fmt.Sscanf(err.Error(), dropFormat, &d); perr == nil {
			dropped += d
		}
	}
	exported := int(exp.spans.Load())
	if dropped < n-2*spanQueue || exported+dropped != n {
		t.Fatalf("%d exported + %d reported dropped, want %d with at least %d dropped", exported, dropped, n, n-2*spanQueue)
	}
}

// ForceFlush exports what is queued without waiting for the interval.
func TestSpanBatcherForceFlush(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	b := newSpanBatcher(exp, nil, nil, time.Hour)
	t.Cleanup(func() { _ = b.Shutdown(context.Background()) })
	change := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{9}, SpanID: trace.SpanID{9},
		TraceFlags: trace.FlagsSampled})
	for i := range 10 {
		b.RecordPush(pushSpan(change, i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(exp.GetSpans()); got != 10 {
		t.Fatalf("%d spans exported by ForceFlush, want 10", got)
	}
}
