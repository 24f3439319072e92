package telemetry

import (
	"context"
	"maps"
	"reflect"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// spanBySDK makes the span of ps the way the SDK does: started under the
// change with its link, attributes and status set, ended at ps.At. It is
// what push spans were before they became values.
func spanBySDK(tr trace.Tracer, ps fanout.PushSpan) {
	ctx := trace.ContextWithSpanContext(context.Background(), ps.Change)
	opts := []trace.SpanStartOption{trace.WithTimestamp(ps.SentAt), trace.WithSpanKind(trace.SpanKindProducer)}
	if ps.First.IsValid() {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: ps.First,
			Attributes: []attribute.KeyValue{fanout.AttrAttempt.Int(1)}}))
	}
	_, span := tr.Start(ctx, fanout.SpanPush, opts...)
	if ps.Event != fanout.EventAcked {
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
	scope := instrumentation.Scope{Name: TracerName}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(res))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	tr := tp.Tracer(scope.Name)
	_, change := tr.Start(context.Background(), fanout.SpanChange)
	first := trace.NewSpanContext(trace.SpanContextConfig{TraceID: change.SpanContext().TraceID(),
		SpanID: trace.SpanID{9, 9}, TraceFlags: trace.FlagsSampled})
	sent := time.Now()
	base := fanout.Outcome{Event: fanout.EventAcked, At: sent.Add(3 * time.Millisecond), SentAt: sent, ConnID: "c1",
		Client: fanout.ClientInfo{IP: "10.0.0.9"}, Topic: fanout.NamingTopic(upstream.ServiceKey{Name: "svc"}.Normalize()),
		Revision: 7, RequestID: "41", Attempt: 1, Bytes: 321, TraceID: first.TraceID(), SpanID: trace.SpanID{8, 8}}
	timedOut := base
	timedOut.Event, timedOut.Attempt, timedOut.Reason = fanout.EventTimedOut, 2, "no acknowledgement"
	for _, ps := range []fanout.PushSpan{
		{Outcome: base, Change: change.SpanContext()},
		{Outcome: timedOut, Change: change.SpanContext(), First: first},
	} {
		exp.Reset()
		spanBySDK(tr, ps)
		want := exp.GetSpans()[0]
		got := tracetest.SpanStubFromReadOnlySpan(sdkPushSpan(&ps, res, scope))
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
		if !maps.Equal(attrMap(got.Attributes), attrMap(want.Attributes)) || len(got.Attributes) != len(want.Attributes) {
			t.Errorf("%s push span attributes\n got %v\nwant %v", ps.Event, got.Attributes, want.Attributes)
		}
	}
}

func attrMap(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}
