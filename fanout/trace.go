package fanout

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/herald-gateway/herald/upstream"
)

// Span names and attribute keys of the traces the Hub makes: one trace per
// upstream change ("herald.change": receipt, merge window, dispatch) with a
// child span per push attempt ("herald.push": send to ack, failure,
// timeout or drop). A retry is a new push span linked to the first attempt.
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

// startPush opens the span of one push attempt as a child of the push's
// change; a retry (first valid) links to the chain's first attempt.
func (s *subscription) startPush(p *Push, n int, first trace.SpanContext, now time.Time) trace.Span {
	ctx := trace.ContextWithSpanContext(context.Background(), p.Trace)
	opts := []trace.SpanStartOption{trace.WithTimestamp(now), trace.WithSpanKind(trace.SpanKindProducer)}
	if first.IsValid() {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: first,
			Attributes: []attribute.KeyValue{AttrAttempt.Int(1)}}))
	}
	_, span := s.hub.opts.Tracer.Start(ctx, SpanPush, opts...)
	return span
}

// endPush closes the span of the attempt o resolved, setting all its
// attributes at once (one SetAttributes is the cheapest for the SDK).
func endPush(span trace.Span, o *Outcome) {
	if span.IsRecording() {
		attrs := make([]attribute.KeyValue, 0, 12) // one allocation
		attrs = append(attrs, AttrNamespace.String(o.Key.Namespace), AttrGroup.String(o.Key.Group),
			AttrService.String(o.Key.Name), AttrRevision.Int64(o.Revision),
			AttrClientIP.String(o.Client.IP), AttrConnID.String(o.ConnID),
			AttrPushID.String(o.ConnID+"/"+o.RequestID), AttrAttempt.Int(o.Attempt),
			AttrPayloadBytes.Int(o.Bytes), AttrResult.String(o.Event.String()))
		if o.Event != EventAcked {
			attrs = append(attrs, AttrReason.String(o.Reason))
			span.SetStatus(codes.Error, o.Event.String())
		}
		span.SetAttributes(attrs...)
	}
	span.End(trace.WithTimestamp(o.At))
}
