package fanout

import (
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// tracedRig is a rig whose Hub traces with sampler: change spans into an
// in-memory exporter, push spans into a recorder.
func tracedRig(t *testing.T, sampler sdktrace.Sampler) (*rig, *spans) {
	t.Helper()
	sp := newSpans(t, sampler)
	return newRigWith(t, 0, sp.options), sp
}

// spans collects what a traced Hub makes: SDK change spans and push span
// values.
type spans struct {
	tp  *sdktrace.TracerProvider
	exp *tracetest.InMemoryExporter

	mu     sync.Mutex // protects pushes
	pushes []PushSpan
}

func newSpans(t *testing.T, sampler sdktrace.Sampler) *spans {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sampler))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	return &spans{tp: tp, exp: exp}
}

// options sets a Hub's Tracer and push span recorder to sp.
func (sp *spans) options(o *Options) {
	o.Tracer = sp.tp.Tracer("fanout-test")
	o.PushSpans = sp
}

// RecordPush implements PushSpanRecorder.
func (sp *spans) RecordPush(ps PushSpan) {
	sp.mu.Lock()
	sp.pushes = append(sp.pushes, ps)
	sp.mu.Unlock()
}

// changes and pushOf return the spans of revision rev.
func (sp *spans) changes(rev int64) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range sp.exp.GetSpans() {
		if s.Name == SpanChange && attrs(s.Attributes)[AttrRevision].AsInt64() == rev {
			out = append(out, s)
		}
	}
	return out
}

func (sp *spans) all() []PushSpan {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return append([]PushSpan(nil), sp.pushes...)
}

func (sp *spans) pushOf(rev int64) []PushSpan {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	var out []PushSpan
	for _, ps := range sp.pushes {
		if ps.Revision == rev {
			out = append(out, ps)
		}
	}
	return out
}

// waitChange waits until the change span of revision rev and n push spans
// of that revision are in, and returns them.
func waitChange(t *testing.T, sp *spans, rev int64, n int) (tracetest.SpanStub, []PushSpan) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		changes, pushes := sp.changes(rev), sp.pushOf(rev)
		if len(changes) > 0 && len(pushes) >= n {
			return changes[0], pushes
		}
		if time.Now().After(deadline) {
			t.Fatalf("revision %d: %d change spans, %d push spans, want 1 and %d", rev, len(changes), len(pushes), n)
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
	r, sp := tracedRig(t, sdktrace.AlwaysSample())
	rev := pushToThree(t, r)
	// The change span ends once its pushes went out, which may be after
	// they were acknowledged; the registry's first announcement on
	// subscribe may have a change span of its own.
	change, pushes := waitChange(t, sp, rev, 4)
	if !change.SpanContext.IsValid() || len(pushes) != 4 {
		t.Fatalf("change valid %v, %d pushes; want a change and 4 pushes", change.SpanContext.IsValid(), len(pushes))
	}
	byConn := map[string][]PushSpan{}
	for _, p := range pushes {
		if p.Change.SpanID() != change.SpanContext.SpanID() || p.SpanContext().TraceID() != change.SpanContext.TraceID() {
			t.Errorf("push span of %s is not a child of the change span", p.ConnID)
		}
		checkPushAttrs(t, p, r)
		byConn[p.ConnID] = append(byConn[p.ConnID], p)
	}
	for _, id := range []string{"a", "b"} {
		if got := byConn[id]; len(got) != 1 || got[0].Event != EventAcked || got[0].First.IsValid() {
			t.Errorf("%s: want one acked push span without links, got %d", id, len(got))
		}
	}
	checkRetry(t, byConn["c"])
	checkOutcomeIDs(t, r.obs.outcomes(), change.SpanContext.TraceID(), pushes)
}

// checkPushAttrs asserts a push span carries every attribute of a push.
func checkPushAttrs(t *testing.T, p PushSpan, r *rig) {
	t.Helper()
	a := attrs(p.AppendAttributes(nil))
	for _, k := range []attribute.Key{AttrNamespace, AttrGroup, AttrService, AttrRevision, AttrClientIP,
		AttrConnID, AttrPushID, AttrAttempt, AttrResult, AttrPayloadBytes} {
		if _, ok := a[k]; !ok {
			t.Errorf("push span of %s lacks %s", a[AttrConnID].AsString(), k)
		}
	}
	if a[AttrService].AsString() != r.key.Name || a[AttrClientIP].AsString() != "127.0.0.1" || a[AttrPayloadBytes].AsInt64() == 0 {
		t.Errorf("push span attributes %v", a)
	}
}

// checkRetry asserts c's two attempts: a timed-out first, and a retry
// linked to it and acknowledged.
func checkRetry(t *testing.T, c []PushSpan) {
	t.Helper()
	if len(c) != 2 {
		t.Fatalf("c: %d push spans, want 2", len(c))
	}
	first, retry := c[0], c[1]
	if first.Attempt != 1 {
		first, retry = retry, first
	}
	if first.Event != EventTimedOut {
		t.Errorf("c first attempt result %q, want timeout", first.Event)
	}
	if retry.Attempt != 2 || retry.Event != EventAcked {
		t.Errorf("c retry attempt %d result %q, want 2 acked", retry.Attempt, retry.Event)
	}
	if retry.First.SpanID() != first.SpanID || first.First.IsValid() {
		t.Errorf("retry links to %s, want the first attempt %s", retry.First.SpanID(), first.SpanID)
	}
	if retry.SentAt.Before(first.At) {
		t.Errorf("retry started %v before the first attempt ended %v", retry.SentAt, first.At)
	}
}

// checkOutcomeIDs asserts every outcome carries the change's trace id and,
// when sent, the span id of one of the push spans.
func checkOutcomeIDs(t *testing.T, outs []Outcome, tid trace.TraceID, pushes []PushSpan) {
	t.Helper()
	ids := map[trace.SpanID]bool{}
	for _, p := range pushes {
		ids[p.SpanID] = true
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
	r, sp := tracedRig(t, sdktrace.ParentBased(sdktrace.NeverSample()))
	pushToThree(t, r)
	if n := len(sp.exp.GetSpans()) + len(sp.all()); n != 0 {
		t.Errorf("%d spans made with sampling off", n)
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

// attrs indexes attributes by key.
func attrs(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

// Changes merged in one window make one change span, with a "merged"
// event per later change; it ends at dispatch with the revision pushed,
// and the push is its child.
func TestTraceMergedChanges(t *testing.T) {
	sp := newSpans(t, sdktrace.AlwaysSample())
	r := newRigWith(t, 500*time.Millisecond, sp.options)
	f := newFakeSub("a")
	r.subscribe(f)
	r.waitLatest(r.change(1))
	last := r.change(2)
	r.waitLatest(last)
	r.advance(500*time.Millisecond + 20*time.Millisecond) // the window closes
	r.hub.Ack(f.id, f.waitPushes(t, 1)[0].RequestID, true)
	r.waitEvents(2)
	waitChange(t, sp, last, 1)
	changes, pushes := sp.exp.GetSpans(), sp.all()
	if len(changes) != 1 || len(pushes) != 1 {
		t.Fatalf("%d change spans, %d push spans; want 1 and 1", len(changes), len(pushes))
	}
	c := changes[0]
	// The registry may also announce the first revision on subscribe:
	// every change after the window's first is a merged event.
	if n := len(c.Events); n == 0 || c.Events[n-1].Name != "merged" || c.Events[n-1].Attributes[0].Value.AsInt64() != last ||
		attrs(c.Attributes)[AttrRevision].AsInt64() != last || attrs(c.Attributes)[AttrSubscribers].AsInt64() != 1 {
		t.Errorf("change span events %v attributes %v", c.Events, c.Attributes)
	}
	if pushes[0].Change.SpanID() != c.SpanContext.SpanID() || pushes[0].Revision != last {
		t.Errorf("push span not the merged change's child for revision %d: %+v", last, pushes[0])
	}
}
