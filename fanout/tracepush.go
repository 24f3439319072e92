package fanout

import (
	"encoding/binary"
	"math/rand/v2"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Push spans are not SDK spans while the push is under way: an SDK span
// costs a mutex, five slice growths, a de-duplication map and a snapshot,
// about 4.7 KB and 20 allocations per push, and made the in-process
// fan-out benchmark five times slower with sampler always
// (benchmarks/RESULTS.md). Instead the Hub gives each attempt under a
// sampled change a span id of its own and, once the attempt is resolved,
// hands a PushSpan (a plain value) to Options.PushSpans; the exporter's
// side (gateway/telemetry) turns batches of them into what an SDK span
// would have been.

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

// SpanContext is the push span's own context, as the SDK's parent-based
// sampler makes it under its change.
func (ps *PushSpan) SpanContext() trace.SpanContext { return pushSpanContext(ps.Change, ps.SpanID) }

func pushSpanContext(change trace.SpanContext, id trace.SpanID) trace.SpanContext {
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: change.TraceID(), SpanID: id,
		TraceFlags: change.TraceFlags() | trace.FlagsSampled, TraceState: change.TraceState(),
	})
}

// PushSpanAttrs is the most attributes a push span has.
const PushSpanAttrs = 11

// AppendAttributes appends the push span's attributes to dst.
func (ps *PushSpan) AppendAttributes(dst []attribute.KeyValue) []attribute.KeyValue {
	dst = appendTopicAttrs(dst, ps.Topic, ps.Revision)
	dst = append(dst, AttrClientIP.String(ps.Client.IP), AttrConnID.String(ps.ConnID),
		AttrPushID.String(ps.ConnID+"/"+ps.RequestID), AttrAttempt.Int(ps.Attempt),
		AttrPayloadBytes.Int(ps.Bytes), AttrResult.String(ps.Event.String()))
	if ps.Event != EventAcked {
		dst = append(dst, AttrReason.String(ps.Reason))
	}
	return dst
}

// attemptSpan is a push attempt's span id (invalid when the attempt has no
// span) and, for a traced retry, the span it links to.
type attemptSpan struct {
	id    trace.SpanID
	first *trace.SpanContext
}

// attempt gives attempt n of push p its span: under a sampled change only
// (a parent-based sampler makes no sampled pushes under an unsampled
// change; outcomes keep the trace id). chain is the subscription's first
// attempt of the current retry chain, which a first attempt sets and a
// retry links to.
func (tr *tracer) attempt(p *Push, n int, chain *trace.SpanContext) attemptSpan {
	if tr == nil || tr.pushes == nil {
		return attemptSpan{}
	}
	if n == 1 {
		*chain = trace.SpanContext{}
	}
	if !p.Trace.IsSampled() {
		return attemptSpan{}
	}
	a := attemptSpan{id: newSpanID()}
	if n == 1 {
		*chain = pushSpanContext(p.Trace, a.id)
	} else if chain.IsValid() {
		first := *chain
		a.first = &first
	}
	return a
}

// resolved hands the span of an attempt, resolved by o, to the recorder.
func (tr *tracer) resolved(o *Outcome, p *Push, a attemptSpan) {
	if !a.id.IsValid() {
		return
	}
	ps := PushSpan{Outcome: *o, Change: p.Trace}
	if a.first != nil {
		ps.First = *a.first
	}
	tr.pushes.RecordPush(ps)
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
