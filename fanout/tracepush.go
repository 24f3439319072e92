package fanout

import (
	"encoding/binary"
	"math/rand/v2"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// Push spans are not SDK spans while the push is under way: an SDK span
// costs a mutex, five slice growths, a de-duplication map and a snapshot,
// about 4.7 KB and 20 allocations per push, and made the in-process
// fan-out benchmark five times slower with sampler always
// (benchmarks/RESULTS.md). Instead the Hub gives each attempt under a
// sampled change a span id of its own and, once the attempt is resolved,
// hands a PushSpan (a plain value) to Options.PushSpans; the exporter's
// side turns batches of them into what an SDK span would have been: SDK
// ReadOnlySpans (PushSpan.Span: same name, kind, trace id, parent, link,
// times, attributes and status, TestPushSpanIsTheSDKSpan) for any
// SpanExporter, or over OTLP the very messages the OTLP exporter makes of
// those (gateway/telemetry).

// PushSpanRecorder takes the span of every resolved push attempt under a
// sampled change. RecordPush is called on the push path from several
// goroutines: it must be safe for concurrent use, fast, and never block
// (queue and drop instead).
type PushSpanRecorder interface {
	RecordPush(ps PushSpan)
}

// PushSpan is the span of one push attempt as a value: the outcome that
// resolved it (SentAt is the span's start, At its end; TraceID and SpanID
// its ids), the change span it is a child of and, for a retry, the span of
// the chain's first attempt it links to (invalid for a first attempt).
type PushSpan struct {
	Outcome
	Change trace.SpanContext
	First  trace.SpanContext
}

// tracingPushes reports whether push attempts under a sampled change get
// a span (Options.Tracer and Options.PushSpans set).
func (h *Hub) tracingPushes() bool { return h.opts.Tracer != nil && h.opts.PushSpans != nil }

// pushSpanContext is the context of push span id under change, as the
// SDK's parent-based sampler makes it.
func pushSpanContext(change trace.SpanContext, id trace.SpanID) trace.SpanContext {
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: change.TraceID(), SpanID: id,
		TraceFlags: change.TraceFlags() | trace.FlagsSampled, TraceState: change.TraceState(),
	})
}

// newSpanID is a random non-zero span id. math/rand/v2's global source is
// per-thread ChaCha8, without the lock of the SDK's id generator.
func newSpanID() trace.SpanID {
	var id trace.SpanID
	for !id.IsValid() {
		binary.BigEndian.PutUint64(id[:], rand.Uint64())
	}
	return id
}

// recordPush hands the span of attempt a, resolved by o, to the recorder.
func (h *Hub) recordPush(o *Outcome, a *attempt) {
	ps := PushSpan{Outcome: *o, Change: a.push.Trace}
	if a.first != nil {
		ps.First = *a.first
	}
	h.opts.PushSpans.RecordPush(ps)
}

// Span returns ps as an SDK span of resource res and instrumentation scope
// scope, ready for a sdktrace.SpanExporter.
func (ps *PushSpan) Span(res *resource.Resource, scope instrumentation.Scope) sdktrace.ReadOnlySpan {
	stub := tracetest.SpanStub{
		Name: SpanPush, SpanKind: trace.SpanKindProducer,
		SpanContext: pushSpanContext(ps.Change, ps.SpanID),
		Parent:      ps.Change,
		StartTime:   ps.SentAt, EndTime: ps.At,
		Attributes: ps.AppendAttributes(make([]attribute.KeyValue, 0, PushSpanAttrs)),
		Resource:   res, InstrumentationLibrary: scope,
	}
	if ps.First.IsValid() {
		stub.Links = []sdktrace.Link{{SpanContext: ps.First,
			Attributes: []attribute.KeyValue{AttrAttempt.Int(1)}}}
	}
	if ps.Event != EventAcked {
		stub.Status = sdktrace.Status{Code: codes.Error, Description: ps.Event.String()}
	}
	return stub.Snapshot()
}

// PushSpanAttrs is the most attributes a push span has.
const PushSpanAttrs = 11

// AppendAttributes appends the push span's attributes to dst.
func (ps *PushSpan) AppendAttributes(dst []attribute.KeyValue) []attribute.KeyValue {
	dst = append(dst, AttrNamespace.String(ps.Key.Namespace), AttrGroup.String(ps.Key.Group),
		AttrService.String(ps.Key.Name), AttrRevision.Int64(ps.Revision),
		AttrClientIP.String(ps.Client.IP), AttrConnID.String(ps.ConnID),
		AttrPushID.String(ps.ConnID+"/"+ps.RequestID), AttrAttempt.Int(ps.Attempt),
		AttrPayloadBytes.Int(ps.Bytes), AttrResult.String(ps.Event.String()))
	if ps.Event != EventAcked {
		dst = append(dst, AttrReason.String(ps.Reason))
	}
	return dst
}
