package tracker

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"
)

// testStore is the Store contract: every implementation runs it through
// its own Test function with a fresh, empty store per subtest.
func testStore(t *testing.T, newStore func(t *testing.T) Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		{"FindByServiceAndIP", testFindByServiceAndIP},
		{"NamespaceGroupIsolation", testNamespaceGroupIsolation},
		{"KindIsolation", testKindIsolation},
		{"ChangeStream", testChangeStream},
		{"WindowInclusive", testWindowInclusive},
		{"Order", testOrder},
		{"WindowWithinOneAppend", testWindowWithinOneAppend},
		{"Paging", testPaging},
		{"BadCursor", testBadCursor},
		{"BadQuery", testBadQuery},
		{"Trim", testTrim},
		{"WriteRetention", testWriteRetention},
		{"RoundTrip", testRoundTrip},
		{"OutOfOrder", testOutOfOrder},
		{"UnnamedStreamsSkipped", testUnnamedStreamsSkipped},
		{"ConcurrentAppends", testConcurrentAppends},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}

func testFindByServiceAndIP(t *testing.T, s Store) {
	t0 := baseTime()
	a1 := rec("p1", t0, "ns", "g", "orders", "10.0.0.1")
	a2 := rec("p2", t0+1, "ns", "g", "orders", "10.0.0.2")
	b1 := rec("p3", t0+2, "ns", "g", "billing", "10.0.0.1")
	mustAppend(t, s, a1, a2, b1)

	assertPushIDs(t, findAll(t, s, svcQuery("ns", "g", "orders")), "p2", "p1")
	assertPushIDs(t, findAll(t, s, svcQuery("ns", "g", "billing")), "p3")
	assertPushIDs(t, findAll(t, s, Query{ClientIP: "10.0.0.1"}), "p3", "p1")
	assertPushIDs(t, findAll(t, s, Query{ClientIP: "10.0.0.2"}), "p2")
	assertPushIDs(t, findAll(t, s, Query{ClientIP: "10.0.0.3"}))
}

func testNamespaceGroupIsolation(t *testing.T, s Store) {
	t0 := baseTime()
	mustAppend(t, s,
		rec("ns1-g1", t0, "ns1", "g1", "orders", "10.0.0.1"),
		rec("ns2-g1", t0, "ns2", "g1", "orders", "10.0.0.1"),
		rec("ns1-g2", t0, "ns1", "g2", "orders", "10.0.0.1"),
		rec("none", t0, "", "", "orders", "10.0.0.1"),
	)
	assertPushIDs(t, findAll(t, s, svcQuery("ns1", "g1", "orders")), "ns1-g1")
	assertPushIDs(t, findAll(t, s, svcQuery("ns2", "g1", "orders")), "ns2-g1")
	assertPushIDs(t, findAll(t, s, svcQuery("ns1", "g2", "orders")), "ns1-g2")
	assertPushIDs(t, findAll(t, s, svcQuery("", "", "orders")), "none")
	if got := findAll(t, s, Query{ClientIP: "10.0.0.1"}); len(got) != 4 {
		t.Fatalf("by IP: %d records, want 4", len(got))
	}
}

// A naming record and a config record with the same namespace, group and
// name are in different streams; both are in their client IP's, each with
// its kind.
func testKindIsolation(t *testing.T, s Store) {
	t0 := baseTime()
	svc := rec("svc", t0, "ns", "g", "orders", "10.0.0.1")
	cfg := rec("cfg", t0+1, "ns", "g", "orders", "10.0.0.1")
	cfg.Kind = KindConfig
	mustAppend(t, s, svc, cfg)
	assertPushIDs(t, findAll(t, s, svcQuery("ns", "g", "orders")), "svc")
	q := svcQuery("ns", "g", "orders")
	q.Kind = KindConfig
	got := findAll(t, s, q)
	assertPushIDs(t, got, "cfg")
	if got[0].Kind != KindConfig {
		t.Errorf("config record read back with kind %q", got[0].Kind)
	}
	byIP := findAll(t, s, Query{ClientIP: "10.0.0.1"})
	assertPushIDs(t, byIP, "cfg", "svc")
	if byIP[0].Kind != KindConfig || byIP[1].Kind != KindNaming {
		t.Errorf("by IP kinds %q, %q; want config, naming", byIP[0].Kind, byIP[1].Kind)
	}
}

// A config change event is in its configuration's change stream and its
// topic stream (the timeline); per-client events only in the latter.
func testChangeStream(t *testing.T, s Store) {
	t0 := baseTime()
	change := rec("change", t0, "ns", "g", "app.yaml", "")
	change.Kind, change.Result, change.Md5 = KindConfig, ResultPublish, "m1"
	push := rec("push", t0+1, "ns", "g", "app.yaml", "10.0.0.1")
	push.Kind = KindConfig
	naming := rec("naming", t0+2, "ns", "g", "app.yaml", "10.0.0.1")
	naming.Result = ResultPublish // a naming record is never a change
	mustAppend(t, s, change, push, naming)
	q := svcQuery("ns", "g", "app.yaml")
	q.Kind, q.Changes = KindConfig, true
	got := findAll(t, s, q)
	assertPushIDs(t, got, "change")
	if got[0].Md5 != "m1" || !got[0].IsChange() {
		t.Errorf("change read back as %+v", got[0])
	}
	q.Changes = false
	assertPushIDs(t, findAll(t, s, q), "push", "change")
	assertPushIDs(t, findAll(t, s, Query{ClientIP: "10.0.0.1"}), "naming", "push")
	for _, bad := range []Query{{Service: "app.yaml", Changes: true}, {ClientIP: "10.0.0.1", Kind: KindConfig, Changes: true}} {
		if _, err := s.Find(t.Context(), bad); !errors.Is(err, ErrBadQuery) {
			t.Errorf("Find(%+v) = %v, want ErrBadQuery", bad, err)
		}
	}
}

func testWindowInclusive(t *testing.T, s Store) {
	t0 := baseTime()
	for i := range int64(5) {
		mustAppend(t, s, rec(fmt.Sprint("p", i), t0+i, "ns", "g", "svc", "10.0.0.1"))
	}
	q := svcQuery("ns", "g", "svc")
	q.From, q.To = time.UnixMilli(t0+1), time.UnixMilli(t0+3)
	assertPushIDs(t, findAll(t, s, q), "p3", "p2", "p1")

	q.Oldest = true
	assertPushIDs(t, findAll(t, s, q), "p1", "p2", "p3")

	// Sub-millisecond edges: a record at 1 ms is before 1.5 ms, one at
	// 3 ms is inside a window ending at 3.5 ms.
	q.From = time.UnixMilli(t0 + 1).Add(500 * time.Microsecond)
	q.To = time.UnixMilli(t0 + 3).Add(500 * time.Microsecond)
	assertPushIDs(t, findAll(t, s, q), "p2", "p3")

	q.From, q.To = time.UnixMilli(t0+4), time.UnixMilli(t0+1)
	assertPushIDs(t, findAll(t, s, q)) // From after To: empty, not an error

	ipq := Query{ClientIP: "10.0.0.1", From: time.UnixMilli(t0 + 4)}
	assertPushIDs(t, findAll(t, s, ipq), "p4") // open end
}

// testWindowWithinOneAppend: records stored by one Append are selected
// and paged one by one, whatever the store keeps together.
func testWindowWithinOneAppend(t *testing.T, s Store) {
	t0 := baseTime()
	var recs []Record
	for i := range int64(10) {
		recs = append(recs, rec(fmt.Sprint("p", i), t0+i, "ns", "g", "svc", "10.0.0.1"))
	}
	mustAppend(t, s, recs...)
	for _, q := range []Query{svcQuery("ns", "g", "svc"), {ClientIP: "10.0.0.1"}} {
		q.From, q.To = time.UnixMilli(t0+3), time.UnixMilli(t0+7)
		assertPushIDs(t, findAll(t, s, q), "p7", "p6", "p5", "p4", "p3")
		q.Limit = 2
		if sizes := pageSizes(t, s, q, 5); !reflect.DeepEqual(sizes, []int{2, 2, 1}) {
			t.Errorf("%+v: page sizes %v, want [2 2 1]", q, sizes)
		}
		q.Oldest = true
		assertPushIDs(t, findAll(t, s, q), "p3", "p4", "p5", "p6", "p7")
		if sizes := pageSizes(t, s, q, 5); !reflect.DeepEqual(sizes, []int{2, 2, 1}) {
			t.Errorf("%+v: page sizes %v, want [2 2 1]", q, sizes)
		}
	}
}

func testOrder(t *testing.T, s Store) {
	t0 := baseTime()
	var want []string
	for i := range 10 {
		r := rec(fmt.Sprint("p", i), t0+int64(i/3), "ns", "g", "svc", "10.0.0.1") // 3 per ms
		mustAppend(t, s, r)
		want = append(want, r.PushID)
	}
	for _, q := range []Query{svcQuery("ns", "g", "svc"), {ClientIP: "10.0.0.1"}} {
		newest := findAll(t, s, q)
		assertPushIDs(t, newest, reversed(want)...)
		assertIDsOrdered(t, newest, false)
		q.Oldest = true
		oldest := findAll(t, s, q)
		assertPushIDs(t, oldest, want...)
		assertIDsOrdered(t, oldest, true)
	}
}

func testPaging(t *testing.T, s Store) {
	t0 := baseTime()
	recs := make([]Record, 250)
	for i := range recs {
		recs[i] = rec(fmt.Sprint("p", i), t0+int64(i/4), "ns", "g", "svc", "10.0.0.1")
	}
	for _, batch := range [][]Record{recs[:1], recs[1:38], recs[38:138], recs[138:]} {
		mustAppend(t, s, batch...)
	}
	for _, oldest := range []bool{false, true} {
		for _, q := range []Query{svcQuery("ns", "g", "svc"), {ClientIP: "10.0.0.1"}} {
			q.Oldest, q.Limit = oldest, 100
			pages := pageSizes(t, s, q, 250)
			if !reflect.DeepEqual(pages, []int{100, 100, 50}) {
				t.Errorf("oldest=%v %+v: page sizes %v, want [100 100 50]", oldest, q, pages)
			}
		}
	}
}

// pageSizes pages through q and checks the pages hold want distinct
// records, each page continuing where the last ended.
func pageSizes(t *testing.T, s Store, q Query, want int) []int {
	t.Helper()
	var sizes []int
	var all []Record
	for {
		if len(all) > want {
			t.Fatalf("paged %d records and counting, want %d", len(all), want)
		}
		p := mustFind(t, s, q)
		sizes = append(sizes, len(p.Records))
		all = append(all, p.Records...)
		if p.Next == "" {
			break
		}
		if p.Next != p.Records[len(p.Records)-1].ID {
			t.Fatalf("Next %q is not the last record's id %q", p.Next, p.Records[len(p.Records)-1].ID)
		}
		q.Cursor = p.Next
	}
	if len(all) != want {
		t.Fatalf("paged %d records, want %d (pages %v)", len(all), want, sizes)
	}
	assertIDsOrdered(t, all, q.Oldest) // strict order: no duplicates
	return sizes
}

func testBadCursor(t *testing.T, s Store) {
	mustAppend(t, s, rec("p", baseTime(), "ns", "g", "svc", "10.0.0.1"))
	for _, c := range []string{"x", "1", "1-", "-1", "1-2-3", " 1-2", "+1-2", "1-x", "0x1-0", "18446744073709551616-0"} {
		for _, q := range []Query{svcQuery("ns", "g", "svc"), {ClientIP: "10.0.0.1"}} {
			q.Cursor = c
			if _, err := s.Find(context.Background(), q); !errors.Is(err, ErrBadCursor) {
				t.Errorf("cursor %q: err %v, want ErrBadCursor", c, err)
			}
		}
	}
	q := svcQuery("ns", "g", "svc")
	q.Cursor = findAll(t, s, q)[0].ID
	if p, err := s.Find(context.Background(), q); err != nil || len(p.Records) != 0 {
		t.Errorf("newest before the only record: %d records, err %v; want none, nil", len(p.Records), err)
	}
}

func testBadQuery(t *testing.T, s Store) {
	for _, q := range []Query{
		{},
		{Namespace: "ns", Group: "g"},
		{Service: "svc", ClientIP: "10.0.0.1"},
		{Namespace: "ns", ClientIP: "10.0.0.1"},
		{Group: "g", ClientIP: "10.0.0.1"},
	} {
		if _, err := s.Find(context.Background(), q); !errors.Is(err, ErrBadQuery) {
			t.Errorf("%+v: err %v, want ErrBadQuery", q, err)
		}
	}
}

// testTrim: Trim drops the records before the cutoff, give or take the
// store's trimSlackMs, and never a record at or after it.
func testTrim(t *testing.T, s Store) {
	t0 := baseTime()
	var recs []Record
	for i := range 300 {
		recs = append(recs, rec(fmt.Sprint("p", i), t0+10*int64(i), "ns", "g", "svc", "10.0.0.1"))
	}
	mustAppend(t, s, recs...)
	mustAppend(t, s, rec("other", t0, "ns", "g", "other", "10.0.0.2")) // a stream emptied by Trim

	cut := t0 + 1500
	if err := s.Trim(context.Background(), time.UnixMilli(cut)); err != nil {
		t.Fatalf("Trim: %v", err)
	}
	for _, q := range []Query{svcQuery("ns", "g", "svc"), {ClientIP: "10.0.0.1"}} {
		q.Oldest = true
		got := findAll(t, s, q)
		if len(got) < 150 || len(got) > len(recs) {
			t.Fatalf("%+v after Trim: %d records, want the 150 from %d and at most those up to %d ms earlier",
				q, len(got), cut, trimSlackMs(s))
		}
		if kept := recs[len(recs)-len(got):]; got[0].At < cut-trimSlackMs(s) || !slices.Equal(pushIDs(got), pushIDs(kept)) {
			t.Errorf("%+v after Trim: %d records from %d, want the last ones, all from %d and none before %d",
				q, len(got), got[0].At, cut, cut-trimSlackMs(s))
		}
	}
	assertPushIDs(t, findAll(t, s, svcQuery("ns", "g", "other")))
	assertPushIDs(t, findAll(t, s, Query{ClientIP: "10.0.0.2"}))
	mustAppend(t, s, rec("again", t0, "ns", "g", "other", "10.0.0.2")) // an emptied stream takes records again
	assertPushIDs(t, findAll(t, s, svcQuery("ns", "g", "other")), "again")
}

// testWriteRetention: records already older than the retention (24h by
// default) are dropped on write. Redis trims whole stream nodes only, and
// on one Append in writeTrimEvery, so some may remain; at most a stream
// node's worth (100 entries) here.
func testWriteRetention(t *testing.T, s Store) {
	old := time.Now().Add(-48 * time.Hour).UnixMilli()
	for i := range 300 {
		mustAppend(t, s, rec(fmt.Sprint("old", i), old+int64(i), "ns", "g", "svc", "10.0.0.1"))
	}
	mustAppend(t, s, rec("new", time.Now().UnixMilli(), "ns", "g", "svc", "10.0.0.1"))
	for _, q := range []Query{svcQuery("ns", "g", "svc"), {ClientIP: "10.0.0.1"}} {
		got := findAll(t, s, q)
		if len(got) == 0 || got[0].PushID != "new" || len(got) > 101 {
			t.Errorf("%+v: %d records (newest %v), want \"new\" and at most 100 expired ones", q, len(got), pushIDs(got[:min(1, len(got))]))
		}
	}
}

func testRoundTrip(t *testing.T, s Store) {
	want := fullRecord(baseTime())
	in := []Record{want}
	mustAppend(t, s, in...)
	if in[0].ID != "" {
		t.Errorf("Append set the caller's ID to %q", in[0].ID)
	}
	for _, q := range []Query{svcQuery(want.Namespace, want.Group, want.Service), {ClientIP: want.ClientIP}} {
		got := findAll(t, s, q)
		if len(got) != 1 {
			t.Fatalf("%+v: %d records, want 1", q, len(got))
		}
		id, ok := parseAnyID(got[0].ID)
		if !ok || id.entry.ms != uint64(want.At) {
			t.Errorf("ID %q: want \"<At>-<seq>\" (memory) or \"<At>-<seq>:<index>\" (Redis) with At %d", got[0].ID, want.At)
		}
		got[0].ID = ""
		if !reflect.DeepEqual(got[0], want) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got[0], want)
		}
	}
}

// testOutOfOrder: a record older than the stream's last id is still
// stored, after the newer ones, at a time no earlier than its At: a
// window from its At on finds it.
func testOutOfOrder(t *testing.T, s Store) {
	t0 := baseTime()
	mustAppend(t, s, rec("late-batch-1", t0+10, "ns", "g", "svc", "10.0.0.1"))
	mustAppend(t, s, rec("early", t0+5, "ns", "g", "svc", "10.0.0.1"),
		rec("next", t0+11, "ns", "g", "svc", "10.0.0.1"),
		rec("in-batch-early", t0+3, "ns", "g", "svc", "10.0.0.1"))
	q := svcQuery("ns", "g", "svc")
	q.Oldest = true
	got := findAll(t, s, q)
	if len(got) != 4 || got[0].PushID != "late-batch-1" {
		t.Fatalf("got %v, want 4 records starting with late-batch-1", pushIDs(got))
	}
	assertIDsOrdered(t, got, true)
	for _, r := range got {
		q.From = time.UnixMilli(r.At)
		if !slices.Contains(pushIDs(findAll(t, s, q)), r.PushID) {
			t.Errorf("%s: not in the window from its At %d", r.PushID, r.At)
		}
	}
}

func testUnnamedStreamsSkipped(t *testing.T, s Store) {
	t0 := baseTime()
	mustAppend(t, s, rec("no-ip", t0, "ns", "g", "svc", ""), rec("no-svc", t0, "ns", "g", "", "10.0.0.1"))
	assertPushIDs(t, findAll(t, s, svcQuery("ns", "g", "svc")), "no-ip")
	assertPushIDs(t, findAll(t, s, Query{ClientIP: "10.0.0.1"}), "no-svc")
}

func testConcurrentAppends(t *testing.T, s Store) {
	const writers, batches, perBatch = 8, 10, 25
	t0 := baseTime()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				recs := make([]Record, perBatch)
				for i := range recs {
					recs[i] = rec(fmt.Sprintf("w%d-b%d-%d", w, b, i), t0+int64(b), "ns", "g", "svc", fmt.Sprint("10.0.1.", w))
				}
				if err := s.Append(ctx, recs); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() { // a reader alongside, for the race detector
		for range 20 {
			if _, err := s.Find(ctx, svcQuery("ns", "g", "svc")); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent use: %v", err)
	}
	q := svcQuery("ns", "g", "svc")
	q.Limit = MaxLimit
	pageSizes(t, s, q, writers*batches*perBatch)
	for w := range writers {
		if got := findAll(t, s, Query{ClientIP: fmt.Sprint("10.0.1.", w)}); len(got) != batches*perBatch {
			t.Errorf("writer %d's IP: %d records, want %d", w, len(got), batches*perBatch)
		}
	}
}

func testClosed(t *testing.T, s Store) {
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := context.Background()
	if err := s.Append(ctx, []Record{rec("p", baseTime(), "ns", "g", "svc", "10.0.0.1")}); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Find(ctx, svcQuery("ns", "g", "svc")); !errors.Is(err, ErrClosed) {
		t.Errorf("Find after Close: %v, want ErrClosed", err)
	}
	if err := s.Trim(ctx, time.Now()); !errors.Is(err, ErrClosed) {
		t.Errorf("Trim after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
