package tracker

import (
	"fmt"
	"testing"
	"time"
)

func TestMemoryStore(t *testing.T) {
	testStore(t, func(t *testing.T) Store {
		s := NewMemoryStore(MemoryOptions{})
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestMemoryEvictsOldestFirst(t *testing.T) {
	s := NewMemoryStore(MemoryOptions{MaxRecords: 10})
	t0 := baseTime()
	for i := range 25 {
		mustAppend(t, s, rec(fmt.Sprint("p", i), t0+int64(i), "ns", "g", "svc", fmt.Sprint("10.0.0.", i%3)))
	}
	got := findAll(t, s, svcQuery("ns", "g", "svc"))
	assertPushIDs(t, got, "p24", "p23", "p22", "p21", "p20", "p19", "p18", "p17", "p16", "p15")
	total := 0
	for i := range 3 {
		total += len(findAll(t, s, Query{ClientIP: fmt.Sprint("10.0.0.", i)}))
	}
	if total != 10 {
		t.Errorf("IP logs hold %d records, want 10", total)
	}
	if s.order.len() != 10 {
		t.Errorf("eviction queue holds %d, want 10", s.order.len())
	}
}

func TestMemoryWriteRetentionExact(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	s := NewMemoryStore(MemoryOptions{Retention: time.Minute, Now: func() time.Time { return now }})
	t0 := now.UnixMilli()
	mustAppend(t, s,
		rec("expired", t0-60_001, "ns", "g", "svc", "10.0.0.1"),
		rec("edge", t0-60_000, "ns", "g", "svc", "10.0.0.1"),
		rec("fresh", t0, "ns", "g", "svc", "10.0.0.1"))
	assertPushIDs(t, findAll(t, s, svcQuery("ns", "g", "svc")), "fresh", "edge")
	if s.order.len() != 2 {
		t.Errorf("eviction queue holds %d, want 2", s.order.len())
	}
}

func TestMemoryTrimDropsEmptyLogs(t *testing.T) {
	s := NewMemoryStore(MemoryOptions{})
	t0 := baseTime()
	for i := range 50 {
		mustAppend(t, s, rec(fmt.Sprint("p", i), t0, "ns", "g", fmt.Sprint("svc", i), fmt.Sprint("10.0.0.", i)))
	}
	if err := s.Trim(t.Context(), time.UnixMilli(t0+1)); err != nil {
		t.Fatal(err)
	}
	if len(s.logs) != 0 || s.order.len() != 0 {
		t.Errorf("after trimming everything: %d logs, %d queued records; want 0, 0", len(s.logs), s.order.len())
	}
}

// TestMemoryAppendAllocatesOnlyTheRecord: appending to logs that exist
// allocates the stored record and nothing per stream key (the logs are
// found by keys built in a reused buffer).
func TestMemoryAppendAllocatesOnlyTheRecord(t *testing.T) {
	s := NewMemoryStore(MemoryOptions{MaxRecords: 1 << 20})
	t.Cleanup(func() { _ = s.Close() })
	batch := []Record{rec("p", baseTime(), "ns", "g", "svc", "10.0.0.1")}
	mustAppend(t, s, batch...)
	allocs := testing.AllocsPerRun(2000, func() {
		if err := s.Append(t.Context(), batch); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%.2f allocations per Append", allocs)
	if allocs > 1.1 { // the entry, plus the logs' amortised growth
		t.Errorf("Append of one record to existing logs: %.2f allocations, want about 1", allocs)
	}
}
