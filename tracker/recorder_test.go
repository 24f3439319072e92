package tracker

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
	"unsafe"

	"go.opentelemetry.io/otel/trace"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// flakyStore is an in-test Store whose Append fails while down is set. It
// is an extra: the Redis outage itself is tested against a real Redis in
// gateway/e2e.
type flakyStore struct {
	mu    sync.Mutex
	down  bool
	recs  []Record
	calls int
	trims []time.Time
}

func (f *flakyStore) Append(_ context.Context, recs []Record) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.down {
		return errors.New("store down")
	}
	f.recs = append(f.recs, recs...)
	return nil
}
func (f *flakyStore) Find(context.Context, Query) (Page, error) { return Page{}, nil }
func (f *flakyStore) Trim(_ context.Context, before time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.trims = append(f.trims, before)
	return nil
}
func (f *flakyStore) Close() error { return nil }

func (f *flakyStore) setDown(v bool) { f.mu.Lock(); f.down = v; f.mu.Unlock() }
func (f *flakyStore) count() int     { f.mu.Lock(); defer f.mu.Unlock(); return len(f.recs) }

func outcome(i int, ev fanout.Event) fanout.Outcome {
	now := time.UnixMilli(1_700_000_000_000 + int64(i))
	return fanout.Outcome{
		Event: ev, At: now.Add(7 * time.Millisecond), ConnID: "c1", RequestID: "r",
		Topic: fanout.NamingTopic(upstream.ServiceKey{Namespace: "public", Group: "G", Name: "s"}), Revision: int64(i),
		Attempt: 1, SentAt: now, Changed: now.Add(-3 * time.Millisecond), Client: fanout.ClientInfo{IP: "10.0.0.9"},
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRecordFromOutcome(t *testing.T) {
	r := toRecord(outcome(1, fanout.EventAcked), "n1", nil)
	if r.Result != "acked" || r.PushID != "c1/r" || r.NetworkMs != 7 || r.EndToEndMs != 10 ||
		r.Acked != r.At || r.Sent != r.At-7 || r.Node != "n1" || r.ClientIP != "10.0.0.9" || r.Group != "G" {
		t.Fatalf("record %+v", r)
	}
	if r := toRecord(outcome(1, fanout.EventTimedOut), "n1", nil); r.Acked != 0 || r.NetworkMs != 0 {
		t.Fatalf("timeout record carries ack fields: %+v", r)
	}
	if r.TraceID != "" {
		t.Fatalf("untraced outcome has trace id %q", r.TraceID)
	}
	o := outcome(1, fanout.EventAcked)
	o.TraceID = trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	if got := toRecord(o, "n1", nil).TraceID; got != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Fatalf("record trace id %q, want the outcome's in hex", got)
	}
}

// TestRecordTraceIDsShareOneString: records made with one traceHex name
// each outcome's own trace, as the ids change and come back, and an
// untraced outcome none; a change's records share one string.
func TestRecordTraceIDsShareOneString(t *testing.T) {
	var traces traceHex
	ids := []trace.TraceID{{1}, {1}, {2}, {}, {1}}
	var got []string
	for _, id := range ids {
		o := outcome(1, fanout.EventAcked)
		o.TraceID = id
		got = append(got, toRecord(o, "n1", &traces).TraceID)
	}
	for i, id := range ids {
		want := ""
		if id.IsValid() {
			want = id.String()
		}
		if got[i] != want {
			t.Fatalf("record %d: trace id %q, want %q", i, got[i], want)
		}
	}
	if unsafe.StringData(got[0]) != unsafe.StringData(got[1]) {
		t.Fatal("two records of one trace hold two strings")
	}
}

func TestRecorderWritesAll(t *testing.T) {
	st := &flakyStore{}
	r := NewRecorder(st, RecorderOptions{Batch: 100, FlushEvery: 5 * time.Millisecond})
	for i := range 1050 {
		r.Observe(outcome(i, fanout.EventSent))
	}
	waitUntil(t, "all records written", func() bool { return st.count() == 1050 })
	r.Close()
	// Batch arrays are reused once written: every record arrives intact,
	// each revision once.
	seen := make(map[int64]int)
	st.mu.Lock()
	for _, rec := range st.recs {
		seen[rec.Revision]++
	}
	st.mu.Unlock()
	for i := range int64(1050) {
		if seen[i] != 1 {
			t.Fatalf("revision %d stored %d times", i, seen[i])
		}
	}
	// The outcomes are from 2023: the writer is far behind them.
	if s := r.Stats(); s.Written != 1050 || s.Dropped != 0 || s.LagMs < int64(time.Hour/time.Millisecond) {
		t.Fatalf("stats %+v", s)
	}
}

// Store down: records are held up to the backlog, the rest dropped and
// counted; store back: the backlog and new records are written.
func TestRecorderOutage(t *testing.T) {
	st := &flakyStore{}
	st.setDown(true)
	r := NewRecorder(st, RecorderOptions{Batch: 10, Backlog: 50, FlushEvery: 5 * time.Millisecond, RetryEvery: 10 * time.Millisecond})
	defer r.Close()
	for i := range 80 {
		r.Observe(outcome(i, fanout.EventSent))
	}
	waitUntil(t, "drops counted", func() bool { return r.Stats().Dropped == 30 && r.Stats().StoreDown })
	// A new record joins the full backlog and displaces the oldest.
	r.Observe(outcome(100, fanout.EventAcked))
	waitUntil(t, "the oldest displaced", func() bool { return r.Stats().Dropped == 31 })
	if s := r.Stats(); s.Backlog != 50 {
		t.Fatalf("backlog while the store is down: %+v", s)
	}
	st.setDown(false)
	waitUntil(t, "backlog written", func() bool { return st.count() == 50 })
	waitUntil(t, "backlog emptied", func() bool { return r.Stats().Backlog == 0 })
	if s := r.Stats(); s.StoreDown || s.Written != 50 || s.Dropped != 31 {
		t.Fatalf("stats after recovery %+v", s)
	}
}

// Observe never blocks: a full queue drops and counts.
func TestRecorderQueueFullDrops(t *testing.T) {
	st := &flakyStore{}
	st.setDown(true)
	r := NewRecorder(st, RecorderOptions{Buffer: 1, Batch: 1000, Backlog: 1, FlushEvery: time.Hour, RetryEvery: time.Hour})
	defer r.Close()
	done := make(chan struct{})
	go func() {
		for i := range 10000 {
			r.Observe(outcome(i, fanout.EventSent))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Observe blocked")
	}
	if r.Stats().Dropped == 0 {
		t.Fatal("no drops counted with a one-slot queue")
	}
}

// The Recorder trims the store to the retention periodically.
func TestRecorderTrims(t *testing.T) {
	st := &flakyStore{}
	r := NewRecorder(st, RecorderOptions{Retention: time.Hour, TrimEvery: 10 * time.Millisecond})
	defer r.Close()
	waitUntil(t, "a trim", func() bool { st.mu.Lock(); defer st.mu.Unlock(); return len(st.trims) > 0 })
	st.mu.Lock()
	before := st.trims[0]
	st.mu.Unlock()
	if age := time.Since(before); age < time.Hour-time.Minute || age > time.Hour+time.Minute {
		t.Fatalf("trimmed before %v ago, want about 1h", age)
	}
}
