package fanout

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// tracedRig is a rig whose Hub traces with sampler into an in-memory
// exporter.
func tracedRig(t *testing.T, sampler sdktrace.Sampler) (*rig, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sampler))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	r := newRigWith(t, 0, traceTo(tp, exp))
	return r, exp
}

// traceTo sets a Hub's Tracer to tp's and hands its push spans straight
// to exp, as tp's syncer does with the change spans.
func traceTo(tp *sdktrace.TracerProvider, exp sdktrace.SpanExporter) func(*Options) {
	return func(o *Options) {
		o.Tracer = tp.Tracer(testScope.Name)
		o.PushSpans = exportRecorder{exp}
	}
}

var testScope = instrumentation.Scope{Name: "fanout-test"}

// exportRecorder exports each push span on its own.
type exportRecorder struct{ exp sdktrace.SpanExporter }

func (r exportRecorder) RecordPush(ps PushSpan) {
	_ = r.exp.ExportSpans(context.Background(), []sdktrace.ReadOnlySpan{ps.Span(nil, testScope)})
}

// waitChange waits until exp holds the change span of revision rev and n
// push spans of that revision, and returns them.
func waitChange(t *testing.T, exp *tracetest.InMemoryExporter, rev int64, n int) (tracetest.SpanStub, []tracetest.SpanStub) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		var change tracetest.SpanStub
		var pushes []tracetest.SpanStub
		for _, s := range exp.GetSpans() {
			if attrs(s)[AttrRevision].AsInt64() != rev {
				continue
			}
			switch s.Name {
			case SpanChange:
				change = s
			case SpanPush:
				pushes = append(pushes, s)
			}
		}
		if change.SpanContext.IsValid() && len(pushes) >= n {
			return change, pushes
		}
		if time.Now().After(deadline) {
			t.Fatalf("revision %d: change span %v, %d push spans, want %d", rev, change.SpanContext.IsValid(), len(pushes), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// pushToThree pushes one change to a, b and c; c withholds its first ack,
// which times out and is retried, and acks the retry. It returns once all
// eight outcomes are in, with the change's revision.
func pushToThree(t *testing.T, r *rig) int64 {
	t.Helper()
	subs := []*fakeSub{newFakeSub("a"), newFakeSub("b"), newFakeSub("c")}
	for _, f := range subs {
		r.subscribe(f)
	}
	rev := r.change(2)
	for _, f := range subs[:2] {
		r.hub.Ack(f.id, f.waitPushes(t, 1)[0].RequestID, true)
	}
	c := subs[2]
	c.waitPushes(t, 1)
	r.advance(5*time.Second + 20*time.Millisecond) // ack timeout
	r.advance(time.Second + 20*time.Millisecond)   // retry backoff
	r.hub.Ack(c.id, c.waitPushes(t, 2)[1].RequestID, true)
	r.waitEvents(8) // 3 sent, 2 acked, timeout, retried, acked
	return rev
}

// A change pushed to three clients, one of which withholds its first ack,
// makes one trace: the change span, and under it a push span per attempt
// with the push's attributes; the retry is linked to the first attempt.
// Every outcome carries the trace id and its attempt's span id.
func TestTraceShapeWithRetry(t *testing.T) {
	r, exp := tracedRig(t, sdktrace.AlwaysSample())
	rev := pushToThree(t, r)
	// The change span ends once its pushes went out, which may be after
	// they were acknowledged; the registry's first announcement on
	// subscribe may have a change span of its own.
	change, pushes := waitChange(t, exp, rev, 4)
	spans := exp.GetSpans()
	if !change.SpanContext.IsValid() || len(pushes) != 4 {
		t.Fatalf("got %d spans (change valid %v, %d pushes), want a change and 4 pushes", len(spans), change.SpanContext.IsValid(), len(pushes))
	}
	byConn := map[string][]tracetest.SpanStub{}
	for _, p := range pushes {
		if p.Parent.SpanID() != change.SpanContext.SpanID() || p.SpanContext.TraceID() != change.SpanContext.TraceID() {
			t.Errorf("push span %v is not a child of the change span", attrs(p)[AttrConnID])
		}
		checkPushAttrs(t, p, r)
		byConn[attrs(p)[AttrConnID].AsString()] = append(byConn[attrs(p)[AttrConnID].AsString()], p)
	}
	for _, id := range []string{"a", "b"} {
		if got := byConn[id]; len(got) != 1 || attrs(got[0])[AttrResult].AsString() != "acked" || len(got[0].Links) != 0 {
			t.Errorf("%s: want one acked push span without links, got %d", id, len(got))
		}
	}
	checkRetry(t, byConn["c"])
	checkOutcomeIDs(t, r.obs.outcomes(), change.SpanContext.TraceID(), pushes)
}

// checkPushAttrs asserts a push span carries every attribute of a push.
func checkPushAttrs(t *testing.T, p tracetest.SpanStub, r *rig) {
	t.Helper()
	a := attrs(p)
	for _, k := range []attribute.Key{AttrNamespace, AttrGroup, AttrService, AttrRevision, AttrClientIP,
		AttrConnID, AttrPushID, AttrAttempt, AttrResult, AttrPayloadBytes} {
		if _, ok := a[k]; !ok {
			t.Errorf("push span of %s lacks %s", a[AttrConnID].AsString(), k)
		}
	}
	if a[AttrService].AsString() != r.key.Name || a[AttrClientIP].AsString() != "127.0.0.1" || a[AttrPayloadBytes].AsInt64() == 0 {
		t.Errorf("push span attributes %v", p.Attributes)
	}
}

// checkRetry asserts c's two attempts: a timed-out first, and a retry
// linked to it and acknowledged.
func checkRetry(t *testing.T, c []tracetest.SpanStub) {
	t.Helper()
	if len(c) != 2 {
		t.Fatalf("c: %d push spans, want 2", len(c))
	}
	first, retry := c[0], c[1]
	if attrs(first)[AttrAttempt].AsInt64() != 1 {
		first, retry = retry, first
	}
	if got := attrs(first)[AttrResult].AsString(); got != "timeout" {
		t.Errorf("c first attempt result %q, want timeout", got)
	}
	if got := attrs(retry); got[AttrAttempt].AsInt64() != 2 || got[AttrResult].AsString() != "acked" {
		t.Errorf("c retry attempt %d result %q, want 2 acked", got[AttrAttempt].AsInt64(), got[AttrResult].AsString())
	}
	if len(retry.Links) != 1 || retry.Links[0].SpanContext.SpanID() != first.SpanContext.SpanID() {
		t.Errorf("retry links %+v, want one link to the first attempt %s", retry.Links, first.SpanContext.SpanID())
	}
	if !retry.StartTime.After(first.EndTime) && !retry.StartTime.Equal(first.EndTime) {
		t.Errorf("retry started %v before the first attempt ended %v", retry.StartTime, first.EndTime)
	}
}

// checkOutcomeIDs asserts every outcome carries the change's trace id and,
// when sent, the span id of one of the push spans.
func checkOutcomeIDs(t *testing.T, outs []Outcome, tid trace.TraceID, pushes []tracetest.SpanStub) {
	t.Helper()
	ids := map[trace.SpanID]bool{}
	for _, p := range pushes {
		ids[p.SpanContext.SpanID()] = true
	}
	for _, o := range outs {
		if o.TraceID != tid {
			t.Errorf("%s outcome of %s has trace id %s, want %s", o.Event, o.ConnID, o.TraceID, tid)
		}
		if !ids[o.SpanID] {
			t.Errorf("%s outcome of %s has span id %s, not a push span", o.Event, o.ConnID, o.SpanID)
		}
	}
}

// With sampling off nothing is exported, yet every outcome still carries
// a trace id, so tracker records are complete whatever the sampling.
func TestTraceIDsWithSamplingOff(t *testing.T) {
	r, exp := tracedRig(t, sdktrace.ParentBased(sdktrace.NeverSample()))
	pushToThree(t, r)
	if n := len(exp.GetSpans()); n != 0 {
		t.Errorf("%d spans exported with sampling off", n)
	}
	outs := r.obs.outcomes()
	for _, o := range outs {
		if !o.TraceID.IsValid() || o.TraceID != outs[0].TraceID {
			t.Errorf("%s outcome of %s: trace id %s, want the change's %s", o.Event, o.ConnID, o.TraceID, outs[0].TraceID)
		}
	}
}

// Without a Tracer outcomes carry no trace id.
func TestNoTracerNoTraceID(t *testing.T) {
	r := newRig(t, 0)
	f := newFakeSub("a")
	r.subscribe(f)
	r.change(1)
	f.waitPushes(t, 1)
	r.waitEvents(1)
	if o := r.obs.last(); o.TraceID.IsValid() || o.SpanID.IsValid() {
		t.Errorf("untraced outcome has trace %s span %s", o.TraceID, o.SpanID)
	}
}

// attrs indexes a span's attributes by key.
func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value, len(s.Attributes))
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

// Changes merged in one window make one change span, with a "merged"
// event per later change; it ends at dispatch with the revision pushed,
// and the push is its child.
func TestTraceMergedChanges(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	r := newRigWith(t, 500*time.Millisecond, traceTo(tp, exp))
	f := newFakeSub("a")
	r.subscribe(f)
	r.waitLatest(r.change(1))
	last := r.change(2)
	r.waitLatest(last)
	r.advance(500*time.Millisecond + 20*time.Millisecond) // the window closes
	r.hub.Ack(f.id, f.waitPushes(t, 1)[0].RequestID, true)
	r.waitEvents(2)
	waitChange(t, exp, last, 1)
	var changes, pushes []tracetest.SpanStub
	for _, s := range exp.GetSpans() {
		if s.Name == SpanChange {
			changes = append(changes, s)
		} else {
			pushes = append(pushes, s)
		}
	}
	if len(changes) != 1 || len(pushes) != 1 {
		t.Fatalf("%d change spans, %d push spans; want 1 and 1", len(changes), len(pushes))
	}
	c := changes[0]
	// The registry may also announce the first revision on subscribe:
	// every change after the window's first is a merged event.
	if n := len(c.Events); n == 0 || c.Events[n-1].Name != "merged" || c.Events[n-1].Attributes[0].Value.AsInt64() != last ||
		attrs(c)[AttrRevision].AsInt64() != last || attrs(c)[AttrSubscribers].AsInt64() != 1 {
		t.Errorf("change span events %v attributes %v", c.Events, c.Attributes)
	}
	if pushes[0].Parent.SpanID() != c.SpanContext.SpanID() || attrs(pushes[0])[AttrRevision].AsInt64() != last {
		t.Errorf("push span not the merged change's child for revision %d: %v", last, pushes[0].Attributes)
	}
}
