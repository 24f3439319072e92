package tracker

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-gateway/herald/internal/redistest"
)

// TestRedisPacksOneEntryPerStream: a fan-out batch costs one entry for
// the service and one per client IP, each holding its records in append
// order, with the id of its earliest record.
func TestRedisPacksOneEntryPerStream(t *testing.T) {
	s, look, _ := newTestRedisStore(t)
	t0 := baseTime()
	var recs []Record
	for i := range 10 {
		recs = append(recs, rec(fmt.Sprint("p", i), t0+int64(i), "ns", "g", "orders", fmt.Sprint("10.0.0.", i%3)))
	}
	recs[0], recs[1] = recs[1], recs[0] // the earliest record need not come first
	mustAppend(t, s, recs...)

	svc := xrange(t, look, topicKey(KindNaming, "ns", "g", "orders"))
	if len(svc) != 1 || !strings.HasPrefix(svc[0].ID, fmt.Sprint(t0, "-")) {
		t.Fatalf("service stream: entries %v, want one with id %d-<seq>", entryIDs(svc), t0)
	}
	if n := len(strings.Split(svc[0].Values[recordField].(string), "\n")); n != 10 {
		t.Errorf("service entry holds %d records, want 10", n)
	}
	for i := range 3 {
		if got := xrange(t, look, ipKey(fmt.Sprint("10.0.0.", i))); len(got) != 1 {
			t.Errorf("IP 10.0.0.%d: %d entries, want 1", i, len(got))
		}
	}
	q := svcQuery("ns", "g", "orders")
	q.Oldest = true
	got := findAll(t, s, q)
	assertPushIDs(t, got, pushIDs(recs)...)
	for i, r := range got {
		if want := fmt.Sprintf("%s:%d", svc[0].ID, i); r.ID != want {
			t.Errorf("record %d: ID %q, want %q", i, r.ID, want)
		}
	}
}

// TestRedisSplitsEntries: records more than packSpanMs apart, or more
// than packMaxRecords, go to several entries.
func TestRedisSplitsEntries(t *testing.T) {
	s, look, _ := newTestRedisStore(t)
	t0 := baseTime()
	var spread, many []Record
	for i := range int64(6) {
		spread = append(spread, rec(fmt.Sprint("s", i), t0+i*packSpanMs/2, "ns", "g", "spread", "10.0.0.1"))
	}
	for i := range 2*packMaxRecords + 10 {
		many = append(many, rec(fmt.Sprint("m", i), t0, "ns", "g", "many", "10.0.0.2"))
	}
	mustAppend(t, s, append(spread, many...)...)
	if got, want := entryIDs(xrange(t, look, topicKey(KindNaming, "ns", "g", "spread"))), []string{fmt.Sprint(t0, "-0"), fmt.Sprint(t0+3*packSpanMs/2, "-0")}; !slices.Equal(got, want) {
		t.Errorf("records %d ms apart: entries %v, want %v", packSpanMs/2, got, want)
	}
	if got, want := entryIDs(xrange(t, look, topicKey(KindNaming, "ns", "g", "many"))), []string{fmt.Sprint(t0, "-0"), fmt.Sprint(t0, "-1"), fmt.Sprint(t0, "-2")}; !slices.Equal(got, want) {
		t.Errorf("%d records: entries %v, want %v", len(many), got, want)
	}
	q := svcQuery("ns", "g", "many")
	q.Limit = 100
	if sizes := pageSizes(t, s, q, len(many)); !slices.Equal(sizes, []int{100, 100, 66}) {
		t.Errorf("page sizes %v, want [100 100 66]", sizes)
	}
}

// TestRedisWindowFindsRecordsInsideEntries: an entry is read when it
// may hold records in the window, though its id is before From.
func TestRedisWindowFindsRecordsInsideEntries(t *testing.T) {
	s, _, _ := newTestRedisStore(t)
	t0 := baseTime()
	mustAppend(t, s, rec("first", t0, "ns", "g", "svc", "10.0.0.1"), rec("last", t0+packSpanMs, "ns", "g", "svc", "10.0.0.1"))
	for _, oldest := range []bool{false, true} {
		q := Query{ClientIP: "10.0.0.1", From: time.UnixMilli(t0 + packSpanMs), Oldest: oldest}
		assertPushIDs(t, findAll(t, s, q), "last")
		q.From, q.To = time.UnixMilli(t0), time.UnixMilli(t0+packSpanMs-1)
		assertPushIDs(t, findAll(t, s, q), "first")
	}
}

func TestRedisCursorIsStrict(t *testing.T) {
	s, _, _ := newTestRedisStore(t)
	t0 := baseTime()
	mustAppend(t, s, rec("p0", t0, "ns", "g", "svc", "10.0.0.1"), rec("p1", t0, "ns", "g", "svc", "10.0.0.1"))
	id := findAll(t, s, svcQuery("ns", "g", "svc"))[0].ID
	entry, _, _ := strings.Cut(id, ":")
	for _, c := range []string{entry, entry + ":", entry + ":x", entry + ":01", "0" + id, entry + ":1:0", entry + ": 1", entry + ":+1", "1-0:18446744073709551616"} {
		q := svcQuery("ns", "g", "svc")
		q.Cursor = c
		if _, err := s.Find(context.Background(), q); !errors.Is(err, ErrBadCursor) {
			t.Errorf("cursor %q: err %v, want ErrBadCursor", c, err)
		}
	}
	for _, tc := range []struct {
		cursor string
		oldest bool
		want   []string
	}{
		{entry + ":1", false, []string{"p0"}},
		{entry + ":0", true, []string{"p1"}},
		{entry + ":0", false, nil},
		{entry + ":9", false, []string{"p1", "p0"}}, // a cursor past the entry's records
		{"0-0:0", false, nil},
		{"0-0:0", true, []string{"p0", "p1"}},
	} {
		q := svcQuery("ns", "g", "svc")
		q.Cursor, q.Oldest = tc.cursor, tc.oldest
		assertPushIDs(t, mustFind(t, s, q).Records, tc.want...)
	}
}

// TestRedisTrimKeepsWholeEntries: Trim drops an entry once all its
// records are before the cutoff, so it may keep records up to packSpanMs
// older than the cutoff, and never drops a younger one.
func TestRedisTrimKeepsWholeEntries(t *testing.T) {
	s, _, _ := newTestRedisStore(t)
	t0 := baseTime()
	mustAppend(t, s, rec("a0", t0, "ns", "g", "svc", "10.0.0.1"), rec("a1", t0+600, "ns", "g", "svc", "10.0.0.1"))
	mustAppend(t, s, rec("b0", t0+1200, "ns", "g", "svc", "10.0.0.1"), rec("b1", t0+1800, "ns", "g", "svc", "10.0.0.1"))
	for _, tc := range []struct {
		cut  int64
		want []string
	}{
		{t0 + 700, []string{"a0", "a1", "b0", "b1"}}, // a1 is young enough: its entry stays
		{t0 + packSpanMs, []string{"a0", "a1", "b0", "b1"}},
		{t0 + packSpanMs + 1, []string{"b0", "b1"}},
		{t0 + 1900, []string{"b0", "b1"}},
	} {
		if err := s.Trim(context.Background(), time.UnixMilli(tc.cut)); err != nil {
			t.Fatal(err)
		}
		q := svcQuery("ns", "g", "svc")
		q.Oldest = true
		assertPushIDs(t, findAll(t, s, q), tc.want...)
	}
}

// TestRedisLateEntry: an entry Redis refuses because the stream holds a
// later id is written with a Redis-chosen id, and its records' time for
// windows is that id's.
func TestRedisLateEntry(t *testing.T) {
	s, look, _ := newTestRedisStore(t)
	t0 := baseTime()
	mustAppend(t, s, rec("new", t0+10, "ns", "g", "svc", "10.0.0.1"))
	before := time.Now().UnixMilli()
	mustAppend(t, s, rec("late0", t0+5, "ns", "g", "svc", "10.0.0.1"), rec("late1", t0+6, "ns", "g", "svc", "10.0.0.1"))
	entries := xrange(t, look, topicKey(KindNaming, "ns", "g", "svc"))
	if len(entries) != 2 {
		t.Fatalf("entries %v, want 2", entryIDs(entries))
	}
	late, _ := parseStreamID(entries[1].ID)
	if late.ms < uint64(before) {
		t.Errorf("late entry %s: want a Redis-chosen id from %d on", entries[1].ID, before)
	}
	q := svcQuery("ns", "g", "svc")
	q.Oldest = true
	assertPushIDs(t, findAll(t, s, q), "new", "late0", "late1")
	q.From, q.To = time.UnixMilli(t0), time.UnixMilli(t0+20)
	assertPushIDs(t, findAll(t, s, q), "new")
	q.From, q.To = time.UnixMilli(int64(late.ms)), time.Time{}
	assertPushIDs(t, findAll(t, s, q), "late0", "late1")
}

// TestRedisReadsOneRecordEntries: entries written before records were
// packed (one record each) read as entries of one record.
func TestRedisReadsOneRecordEntries(t *testing.T) {
	s, look, _ := newTestRedisStore(t)
	r := fullRecord(baseTime())
	id, err := look.XAdd(t.Context(), &redis.XAddArgs{Stream: topicKey(KindNaming, r.Namespace, r.Group, r.Service), ID: fmt.Sprint(r.At, "-*"), Values: []any{recordField, encodeRecord(&r)}}).Result()
	if err != nil {
		t.Fatal(err)
	}
	got := findAll(t, s, svcQuery(r.Namespace, r.Group, r.Service))
	if len(got) != 1 || got[0].ID != id+":0" {
		t.Fatalf("got %+v, want one record with ID %s:0", got, id)
	}
	got[0].ID = ""
	if got[0] != r {
		t.Errorf("got %+v, want %+v", got[0], r)
	}
}

// TestRedisMatchesMemoryStore pages through random windows of random
// data with both stores; records that arrive in time order must give the
// same pages, whatever entries the Redis store packs them in.
func TestRedisMatchesMemoryStore(t *testing.T) {
	rs, _, _ := newTestRedisStore(t)
	ms := NewMemoryStore(MemoryOptions{})
	rng := rand.New(rand.NewPCG(7, 11))
	t0 := baseTime()
	at := t0
	for b := range 40 {
		batch := make([]Record, 1+rng.IntN(300))
		for i := range batch {
			at += int64(rng.IntN(20))
			if rng.IntN(200) == 0 {
				at += 3 * packSpanMs / 2 // a gap that cuts an entry
			}
			batch[i] = rec(fmt.Sprintf("b%d-%d", b, i), at, "ns", "g", fmt.Sprint("svc", rng.IntN(3)), fmt.Sprint("10.0.0.", rng.IntN(5)))
		}
		mustAppend(t, rs, batch...)
		mustAppend(t, ms, batch...)
	}
	for range 60 {
		q := Query{ClientIP: fmt.Sprint("10.0.0.", rng.IntN(5))}
		if rng.IntN(2) == 0 {
			q = svcQuery("ns", "g", fmt.Sprint("svc", rng.IntN(3)))
		}
		if rng.IntN(3) > 0 {
			q.From = time.UnixMilli(t0 + rng.Int64N(at-t0+1))
		}
		if rng.IntN(3) > 0 {
			q.To = time.UnixMilli(t0 + rng.Int64N(at-t0+1))
		}
		q.Limit, q.Oldest = 1+rng.IntN(150), rng.IntN(2) == 0
		comparePages(t, rs, ms, q)
	}
}

// comparePages pages through q on both stores and fails at the first
// page that differs in records or in being the last.
func comparePages(t *testing.T, got, want Store, q Query) {
	t.Helper()
	qw := q
	for page := 0; ; page++ {
		pg, pw := mustFind(t, got, q), mustFind(t, want, qw)
		if !slices.Equal(pushIDs(pg.Records), pushIDs(pw.Records)) || (pg.Next == "") != (pw.Next == "") {
			t.Fatalf("%+v page %d:\n got %v (next %q)\nwant %v (next %q)", q, page, pushIDs(pg.Records), pg.Next, pushIDs(pw.Records), pw.Next)
		}
		if pg.Next == "" {
			return
		}
		q.Cursor, qw.Cursor = pg.Next, pw.Next
	}
}

func xrange(t *testing.T, c *redis.Client, key string) []redis.XMessage {
	t.Helper()
	msgs, err := c.XRange(t.Context(), key, "-", "+").Result()
	if err != nil {
		t.Fatalf("xrange %s: %v", key, err)
	}
	return msgs
}

func entryIDs(msgs []redis.XMessage) []string {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	return ids
}

// TestRedisTrimsOnWrite: the streams written by every writeTrimEvery-th
// Append lose the entries that expired; nothing younger than the
// retention is dropped.
func TestRedisTrimsOnWrite(t *testing.T) {
	srv := redistest.Start(t)
	now := time.UnixMilli(baseTime())
	s := NewRedisStore(redis.NewClient(&redis.Options{Addr: srv.Addr()}), RedisOptions{
		Retention: time.Minute, Now: func() time.Time { return now },
	})
	t.Cleanup(func() { _ = s.Close() })
	t0 := now.UnixMilli()
	for i := range int64(300) { // 300 entries, 3 stream nodes
		mustAppend(t, s, rec(fmt.Sprint("old", i), t0+i, "ns", "g", "svc", "10.0.0.1"))
	}
	now = now.Add(time.Minute + packSpanMs*time.Millisecond + time.Second) // the old records expired
	young := now.UnixMilli()
	for i := range int64(writeTrimEvery) {
		mustAppend(t, s, rec(fmt.Sprint("young", i), young+i, "ns", "g", "svc", "10.0.0.1"))
	}
	got := findAll(t, s, Query{ClientIP: "10.0.0.1", Oldest: true})
	if len(got) < writeTrimEvery || len(got) > 100+writeTrimEvery || got[len(got)-writeTrimEvery].PushID != "young0" {
		t.Errorf("%d records from %s: want the %d young ones and at most 100 expired", len(got), got[0].PushID, writeTrimEvery)
	}
}
