package fanout

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Span names and attribute keys of the traces the Hub makes: one trace per
// change of a topic ("herald.change": receipt, merge window, dispatch)
// with a child span per push attempt ("herald.push": send to ack, failure,
// timeout or drop). A retry is a new push span linked to the first attempt.
// Change spans are SDK spans (Options.Tracer); push spans are recorded as
// values and exported as the same spans (tracepush.go).
const (
	SpanChange = "herald.change"
	SpanPush   = "herald.push"

	AttrNamespace    = attribute.Key("herald.namespace")
	AttrGroup        = attribute.Key("herald.group")
	AttrService      = attribute.Key("herald.service") // naming topics
	AttrDataID       = attribute.Key("herald.data_id") // config topics
	AttrRevision     = attribute.Key("herald.revision")
	AttrSubscribers  = attribute.Key("herald.subscribers")
	AttrClientIP     = attribute.Key("herald.client_ip")
	AttrConnID       = attribute.Key("herald.connection_id")
	AttrPushID       = attribute.Key("herald.push_id")
	AttrAttempt      = attribute.Key("herald.attempt")
	AttrResult       = attribute.Key("herald.result")
	AttrPayloadBytes = attribute.Key("herald.payload_bytes")
	AttrReason       = attribute.Key("herald.reason")
)

// tracer is the engine's tracing side channel. The state machine (feed.go,
// subscription.go) calls it at four points — a change received, a change
// dispatched, an attempt started, an attempt resolved — and keeps only the
// opaque values it returns (changeTrace, attemptSpan); what a trace is
// lives here and in tracepush.go. A nil *tracer traces nothing.
type tracer struct {
	t      trace.Tracer
	pushes PushSpanRecorder // nil: no push spans
}

func newTracer(t trace.Tracer, pushes PushSpanRecorder) *tracer {
	if t == nil {
		return nil
	}
	return &tracer{t: t, pushes: pushes}
}

// changeTrace is the span of a topic's change(s) not yet dispatched; the
// zero value is none.
type changeTrace struct{ span trace.Span }

// take returns the trace and leaves none behind.
func (c *changeTrace) take() changeTrace {
	v := *c
	c.span = nil
	return v
}

// context is the span context pushes of the change carry.
func (c changeTrace) context() trace.SpanContext {
	if c.span == nil {
		return trace.SpanContext{}
	}
	return c.span.SpanContext()
}

// changed opens the change span at the first change of a merge window;
// later changes merged into it are events on it.
func (tr *tracer) changed(c *changeTrace, t Topic, rev int64, now time.Time) {
	if tr == nil {
		return
	}
	if c.span == nil {
		_, c.span = tr.t.Start(context.Background(), SpanChange, trace.WithTimestamp(now), trace.WithNewRoot())
		if c.span.IsRecording() {
			c.span.SetAttributes(topicAttrs(t, rev)...)
		}
		return
	}
	if c.span.IsRecording() {
		c.span.AddEvent("merged", trace.WithTimestamp(now), trace.WithAttributes(AttrRevision.Int64(rev)))
	}
}

// dispatched closes a change span at dispatch: rev is the revision pushed
// (the newest merged), subs how many subscriptions it went to.
func (tr *tracer) dispatched(c changeTrace, rev int64, subs int, now time.Time) {
	if c.span == nil {
		return
	}
	if c.span.IsRecording() {
		c.span.SetAttributes(AttrRevision.Int64(rev), AttrSubscribers.Int(subs))
	}
	c.span.End(trace.WithTimestamp(now))
}

// topicAttrs are a topic's attributes at revision rev.
func topicAttrs(t Topic, rev int64) []attribute.KeyValue {
	return appendTopicAttrs(make([]attribute.KeyValue, 0, 4), t, rev)
}

func appendTopicAttrs(dst []attribute.KeyValue, t Topic, rev int64) []attribute.KeyValue {
	name := AttrService
	if t.Kind == KindConfig {
		name = AttrDataID
	}
	return append(dst, AttrNamespace.String(t.Namespace), AttrGroup.String(t.Group),
		name.String(t.Name), AttrRevision.Int64(rev))
}
