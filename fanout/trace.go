package fanout

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/herald-gateway/herald/upstream"
)

// Span names and attribute keys of the traces the Hub makes: one trace per
// upstream change ("herald.change": receipt, merge window, dispatch) with a
// child span per push attempt ("herald.push": send to ack, failure,
// timeout or drop). A retry is a new push span linked to the first attempt.
// Change spans are SDK spans (Options.Tracer); push spans are recorded as
// values and exported as the same spans (tracepush.go).
const (
	SpanChange = "herald.change"
	SpanPush   = "herald.push"

	AttrNamespace    = attribute.Key("herald.namespace")
	AttrGroup        = attribute.Key("herald.group")
	AttrService      = attribute.Key("herald.service")
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

// tracing reports whether the Hub makes spans at all (Options.Tracer set).
func (h *Hub) tracing() bool { return h.opts.Tracer != nil }

// startChange opens the span of one upstream change, at its receipt.
func (h *Hub) startChange(snap upstream.Service, now time.Time) trace.Span {
	_, span := h.opts.Tracer.Start(context.Background(), SpanChange,
		trace.WithTimestamp(now), trace.WithNewRoot())
	if span.IsRecording() {
		span.SetAttributes(keyAttrs(snap.Key, snap.Revision)...)
	}
	return span
}

// endChange closes a change span at dispatch: rev is the revision pushed
// (the newest merged), subs how many subscriptions it went to.
func endChange(span trace.Span, rev int64, subs int, now time.Time) {
	if span == nil {
		return
	}
	if span.IsRecording() {
		span.SetAttributes(AttrRevision.Int64(rev), AttrSubscribers.Int(subs))
	}
	span.End(trace.WithTimestamp(now))
}

// keyAttrs are a service's attributes.
func keyAttrs(k upstream.ServiceKey, rev int64) []attribute.KeyValue {
	return []attribute.KeyValue{
		AttrNamespace.String(k.Namespace), AttrGroup.String(k.Group),
		AttrService.String(k.Name), AttrRevision.Int64(rev),
	}
}
