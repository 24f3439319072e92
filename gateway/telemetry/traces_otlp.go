package telemetry

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/herald-gateway/herald/fanout"
)

// otlpPushes encodes push spans straight to the OTLP messages the OTLP
// exporter's client uploads: the messages the exporter makes from the
// same spans made SDK spans (TestOTLPPushesAreTheExportersMessages), built
// in a few allocations per batch instead of ~40 per span. It is used when
// the batcher exports over OTLP; otherwise push spans become SDK spans.
type otlpPushes struct {
	resource       *resourcepb.Resource
	resourceSchema string
	scope          *commonpb.InstrumentationScope
	scopeSchema    string
}

// newOTLPPushes encodes push spans of resource res and scope scope.
func newOTLPPushes(res *resource.Resource, scope instrumentation.Scope) otlpPushes {
	e := otlpPushes{scopeSchema: scope.SchemaURL}
	if res != nil {
		e.resource = &resourcepb.Resource{Attributes: keyValues(res.Attributes(), newPBArena(res.Len()))}
		e.resourceSchema = res.SchemaURL()
	}
	if scope != (instrumentation.Scope{}) {
		e.scope = &commonpb.InstrumentationScope{Name: scope.Name, Version: scope.Version}
	}
	return e
}

// encode returns pushes as one ResourceSpans.
func (e otlpPushes) encode(pushes []fanout.PushSpan) []*tracepb.ResourceSpans {
	spans := make([]tracepb.Span, len(pushes))
	statuses := make([]tracepb.Status, len(pushes))
	ptrs := make([]*tracepb.Span, len(pushes))
	ids := make([]byte, 0, 40*len(pushes))
	arena := newPBArena(fanout.PushSpanAttrs * len(pushes))
	var attrs []attribute.KeyValue
	for i := range pushes {
		ps, s := &pushes[i], &spans[i]
		sc := ps.Change
		n := len(ids) // ids never grows beyond its capacity: no copy
		ids = append(append(ids, ps.TraceID[:]...), ps.SpanID[:]...)
		s.TraceId, s.SpanId = ids[n:n+16:n+16], ids[n+16:n+24:n+24]
		if psid := sc.SpanID(); psid.IsValid() {
			ids = append(ids, psid[:]...)
			s.ParentSpanId = ids[n+24 : n+32 : n+32]
		}
		s.TraceState = sc.TraceState().String()
		s.Flags = spanFlags(ps.SpanContext().TraceFlags(), sc)
		s.Name, s.Kind = fanout.SpanPush, tracepb.Span_SPAN_KIND_PRODUCER
		s.StartTimeUnixNano, s.EndTimeUnixNano = uint64(ps.SentAt.UnixNano()), uint64(ps.At.UnixNano())
		attrs = ps.AppendAttributes(attrs[:0])
		s.Attributes = keyValues(attrs, arena)
		s.Status = &statuses[i]
		if ps.Event != fanout.EventAcked {
			s.Status.Code, s.Status.Message = tracepb.Status_STATUS_CODE_ERROR, ps.Event.String()
		}
		if ps.First.IsValid() {
			s.Links = []*tracepb.Span_Link{link(ps.First)}
		}
		ptrs[i] = s
	}
	return []*tracepb.ResourceSpans{{
		Resource: e.resource, SchemaUrl: e.resourceSchema,
		ScopeSpans: []*tracepb.ScopeSpans{{Scope: e.scope, Spans: ptrs, SchemaUrl: e.scopeSchema}},
	}}
}

// link is a retry's link to the first attempt of its chain.
func link(first trace.SpanContext) *tracepb.Span_Link {
	tid, sid := first.TraceID(), first.SpanID()
	return &tracepb.Span_Link{TraceId: tid[:], SpanId: sid[:], Flags: spanFlags(first.TraceFlags(), first),
		Attributes: keyValues([]attribute.KeyValue{fanout.AttrAttempt.Int(1)}, newPBArena(1))}
}

// spanFlags are OTLP's span (or link) flags, as the exporter sets them:
// the W3C trace flags in the low byte, and whether the parent is remote
// (which is always known here).
func spanFlags(tf trace.TraceFlags, parent trace.SpanContext) uint32 {
	flags := uint32(tf) | uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK)
	if parent.IsRemote() {
		flags |= uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK)
	}
	return flags
}

// pbArena hands out the messages of attribute values from slices made
// once per batch.
type pbArena struct {
	kvs     []commonpb.KeyValue
	ptrs    []*commonpb.KeyValue
	anys    []commonpb.AnyValue
	strs    []commonpb.AnyValue_StringValue
	ints    []commonpb.AnyValue_IntValue
	used    int
	strUsed int
	intUsed int
}

// newPBArena is an arena for n attributes.
func newPBArena(n int) *pbArena {
	return &pbArena{kvs: make([]commonpb.KeyValue, n), ptrs: make([]*commonpb.KeyValue, n),
		anys: make([]commonpb.AnyValue, n)}
}

// keyValues encodes attrs as the OTLP exporter does, from arena: strings
// and integers from its slices, other types (Herald's spans have none)
// one by one.
func keyValues(attrs []attribute.KeyValue, arena *pbArena) []*commonpb.KeyValue {
	if len(attrs) == 0 {
		return nil
	}
	if arena.used+len(attrs) > len(arena.kvs) {
		arena = newPBArena(len(attrs))
	}
	out := arena.ptrs[arena.used : arena.used+len(attrs) : arena.used+len(attrs)]
	for i, a := range attrs {
		kv, av := &arena.kvs[arena.used+i], &arena.anys[arena.used+i]
		kv.Key, kv.Value = string(a.Key), av
		arena.value(av, a.Value)
		out[i] = kv
	}
	arena.used += len(attrs)
	return out
}

// value sets av to v.
func (a *pbArena) value(av *commonpb.AnyValue, v attribute.Value) {
	switch v.Type() {
	case attribute.STRING:
		if a.strUsed == len(a.strs) {
			a.strs, a.strUsed = make([]commonpb.AnyValue_StringValue, max(64, len(a.kvs))), 0
		}
		s := &a.strs[a.strUsed]
		a.strUsed++
		s.StringValue = v.AsString()
		av.Value = s
	case attribute.INT64:
		if a.intUsed == len(a.ints) {
			a.ints, a.intUsed = make([]commonpb.AnyValue_IntValue, max(64, len(a.kvs)/2)), 0
		}
		n := &a.ints[a.intUsed]
		a.intUsed++
		n.IntValue = v.AsInt64()
		av.Value = n
	case attribute.BOOL:
		av.Value = &commonpb.AnyValue_BoolValue{BoolValue: v.AsBool()}
	case attribute.FLOAT64:
		av.Value = &commonpb.AnyValue_DoubleValue{DoubleValue: v.AsFloat64()}
	default:
		av.Value = &commonpb.AnyValue_StringValue{StringValue: v.String()}
	}
}
