package telemetry

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/herald-gateway/herald/fanout"
)

// sdkPushSpan returns the push span ps as an SDK span of resource res and
// instrumentation scope scope, ready for any sdktrace.SpanExporter: the
// span the SDK would have made of the same attempt (TestPushSpanIsTheSDKSpan).
func sdkPushSpan(ps *fanout.PushSpan, res *resource.Resource, scope instrumentation.Scope) sdktrace.ReadOnlySpan {
	stub := tracetest.SpanStub{
		Name: fanout.SpanPush, SpanKind: trace.SpanKindProducer,
		SpanContext: ps.SpanContext(),
		Parent:      ps.Change,
		StartTime:   ps.SentAt, EndTime: ps.At,
		Attributes: ps.AppendAttributes(make([]attribute.KeyValue, 0, fanout.PushSpanAttrs)),
		Resource:   res, InstrumentationScope: scope,
	}
	if ps.First.IsValid() {
		stub.Links = []sdktrace.Link{{SpanContext: ps.First,
			Attributes: []attribute.KeyValue{fanout.AttrAttempt.Int(1)}}}
	}
	if ps.Event != fanout.EventAcked {
		stub.Status = sdktrace.Status{Code: codes.Error, Description: ps.Event.String()}
	}
	return stub.Snapshot()
}
