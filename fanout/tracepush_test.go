package fanout

import (
	"context"
	"maps"
	"reflect"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/herald-gateway/herald/upstream"
)

// sdkPushSpan makes the span of ps the way the SDK does: started under
// the change with its link, attributes and status set, ended at ps.At.
// It is what push spans were before they became values.
func sdkPushSpan(tr trace.Tracer, ps PushSpan) {
	ctx := trace.ContextWithSpanContext(context.Background(), ps.Change)
	opts := []trace.SpanStartOption{trace.WithTimestamp(ps.SentAt), trace.WithSpanKind(trace.SpanKindProducer)}
	if ps.First.IsValid() {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: ps.First,
			Attributes: []attribute.KeyValue{AttrAttempt.Int(1)}}))
	}
	_, span := tr.Start(ctx, SpanPush, opts...)
	if ps.Event != EventAcked {
		span.SetStatus(codes.Error, ps.Event.String())
	}
	span.SetAttributes(ps.AppendAttributes(nil)...)
	span.End(trace.WithTimestamp(ps.At))
}

// A push span made from a PushSpan value is the span the SDK makes from
// the same attempt, but for its (random) span id: name, kind, trace id,
// flags, parent, times, attributes, link, status, resource and scope.
func TestPushSpanIsTheSDKSpan(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	res := resource.NewSchemaless(attribute.String("service.name", "herald"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(res))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	tr := tp.Tracer(testScope.Name)
	_, change := tr.Start(context.Background(), SpanChange)
	first := pushSpanContext(change.SpanContext(), newSpanID())
	sent := time.Now()
	base := Outcome{Event: EventAcked, At: sent.Add(3 * time.Millisecond), SentAt: sent, ConnID: "c1",
		Client: ClientInfo{IP: "10.0.0.9"}, Key: upstream.ServiceKey{Name: "svc"}.Normalize(), Revision: 7,
		RequestID: "41", Attempt: 1, Bytes: 321, TraceID: first.TraceID(), SpanID: first.SpanID()}
	timedOut := base
	timedOut.Event, timedOut.Attempt, timedOut.Reason = EventTimedOut, 2, "no acknowledgement"
	for _, ps := range []PushSpan{
		{Outcome: base, Change: change.SpanContext()},
		{Outcome: timedOut, Change: change.SpanContext(), First: first},
	} {
		exp.Reset()
		sdkPushSpan(tr, ps)
		want := exp.GetSpans()[0]
		got := tracetest.SpanStubFromReadOnlySpan(ps.Span(res, testScope))
		if got.SpanContext.SpanID() != ps.SpanID {
			t.Errorf("span id %s, want the outcome's %s", got.SpanContext.SpanID(), ps.SpanID)
		}
		comparable := func(s tracetest.SpanStub) tracetest.SpanStub {
			s.SpanContext = s.SpanContext.WithSpanID(trace.SpanID{})
			s.Attributes = nil
			return s
		}
		if !reflect.DeepEqual(comparable(got), comparable(want)) {
			t.Errorf("%s push span\n got %+v\nwant %+v", ps.Event, comparable(got), comparable(want))
		}
		if !maps.Equal(attrs(got), attrs(want)) || len(got.Attributes) != len(want.Attributes) {
			t.Errorf("%s push span attributes\n got %v\nwant %v", ps.Event, got.Attributes, want.Attributes)
		}
	}
}
