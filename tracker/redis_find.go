package tracker

import (
	"context"
	"fmt"
	"math"

	"github.com/redis/go-redis/v9"
)

// Reads per page: the first XRANGE asks for findFirstRead entries, each
// later one for as many as the records per entry seen so far suggest the
// page still needs, but at least twice as many as the last one (entries
// at a window's edge may hold no record in it) and at most findMaxRead.
// Small first reads keep a page of a stream with large entries (a
// service's fan-out, up to packMaxRecords records each) from fetching
// entries it does not need; a stream of small entries costs one more
// round trip.
const (
	findFirstRead = 2
	findMaxRead   = 1024
)

// Find reads the query's stream with XRANGE (oldest first) or XREVRANGE
// (newest first) and keeps the records whose time is in the window, until
// it has one record more than the page size, so that Next is "" exactly
// on the last page.
func (s *RedisStore) Find(ctx context.Context, q Query) (Page, error) {
	if s.closed.Load() {
		return Page{}, ErrClosed
	}
	sc, err := newPageScan(q)
	if err != nil {
		return Page{}, err
	}
	if sc.empty {
		return Page{Records: []Record{}}, nil
	}
	key := q.streamKey()
	recs, err := s.scan(ctx, key, &sc)
	if err != nil {
		return Page{}, fmt.Errorf("tracker: find in %s: %w", key, err)
	}
	p := Page{Records: recs}
	if len(recs) > sc.limit {
		p.Records = recs[:sc.limit]
		p.Next = recs[sc.limit-1].ID
	}
	return p, nil
}

// pageScan is one page's walk along a stream's entries, in the query's
// order.
type pageScan struct {
	oldest   bool
	limit    int
	from, to uint64    // the window: record times kept, epoch ms, inclusive
	next     streamID  // the next entry to read
	last     streamID  // the last entry that may hold records of the page
	cursor   *recordID // nil, or the last record of the previous page
	empty    bool      // nothing to read
}

// newPageScan validates q and plans its walk. The entries that may hold
// records of the window are those with ids from From - packSpanMs to To;
// a cursor moves the starting edge to the cursor's entry.
func newPageScan(q Query) (pageScan, error) {
	cursor := q.Cursor
	q.Cursor = "" // bounds knows the memory store's cursors only
	w, err := q.bounds()
	if err != nil {
		return pageScan{}, err
	}
	sc := pageScan{oldest: q.Oldest, limit: q.limit(), empty: w.empty}
	if cursor != "" {
		c, ok := parseRecordID(cursor)
		if !ok {
			return pageScan{}, fmt.Errorf("%w: %q", ErrBadCursor, cursor)
		}
		sc.cursor = &c
	}
	if sc.empty {
		return sc, nil
	}
	sc.from, sc.to = w.lo.ms, w.hi.ms
	lo := streamID{ms: sc.from - min(sc.from, packSpanMs)}
	hi := streamID{sc.to, math.MaxUint64}
	switch {
	case sc.cursor != nil && sc.oldest && lo.less(sc.cursor.entry):
		lo = sc.cursor.entry
	case sc.cursor != nil && !sc.oldest && sc.cursor.entry.less(hi):
		hi = sc.cursor.entry
	}
	sc.next, sc.last = hi, lo
	if sc.oldest {
		sc.next, sc.last = lo, hi
	}
	sc.empty = hi.less(lo)
	return sc, nil
}

// scan reads entries until it has limit+1 records or the walk ends.
func (s *RedisStore) scan(ctx context.Context, key string, sc *pageScan) ([]Record, error) {
	want := sc.limit + 1
	recs := make([]Record, 0, want)
	count := int64(findFirstRead)
	var entries, stored int // read so far, and the records they hold
	for {
		msgs, err := s.readEntries(ctx, key, sc, count)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			n, err := sc.collect(&recs, m, want)
			if err != nil {
				return nil, fmt.Errorf("entry %s: %w", m.ID, err)
			}
			stored += n
			if len(recs) == want {
				return recs, nil
			}
		}
		entries += len(msgs)
		if int64(len(msgs)) < count || !sc.advance(msgs[len(msgs)-1].ID) {
			return recs, nil
		}
		count = nextRead(count, want-len(recs), entries, stored)
	}
}

// nextRead is the COUNT of the next read; see findFirstRead.
func nextRead(last int64, need, entries, stored int) int64 {
	estimate := int64(need*entries/max(stored, 1)) + 1
	return min(max(estimate, 2*last), findMaxRead)
}

func (s *RedisStore) readEntries(ctx context.Context, key string, sc *pageScan, count int64) ([]redis.XMessage, error) {
	if sc.oldest {
		return s.client.XRangeN(ctx, key, sc.next.String(), sc.last.String(), count).Result()
	}
	return s.client.XRevRangeN(ctx, key, sc.next.String(), sc.last.String(), count).Result()
}

// advance moves the walk past the entry read last; false when the walk is
// over.
func (sc *pageScan) advance(read string) bool {
	id, ok := parseStreamID(read)
	if !ok {
		return false
	}
	if sc.oldest {
		sc.next, ok = id.next()
		return ok && !sc.last.less(sc.next)
	}
	sc.next, ok = id.prev()
	return ok && !sc.next.less(sc.last)
}

// collect appends to recs, in the walk's order, the records of entry m
// that come after the cursor and whose time is in the window, until recs
// holds want. It returns how many records of m it went through. A
// record's time is its At, or its entry's if that is later (a record
// written after newer ones).
func (sc *pageScan) collect(recs *[]Record, m redis.XMessage, want int) (int, error) {
	entry, ok := parseStreamID(m.ID)
	if !ok {
		return 0, fmt.Errorf("not a stream id")
	}
	data, ok := m.Values[recordField].(string)
	if !ok {
		return 0, fmt.Errorf("no %q field", recordField)
	}
	n := 0
	for index, text := range entryRecords(data, !sc.oldest) {
		n++
		if sc.passed(entry, index) {
			continue
		}
		r, err := decodeRecord(text)
		if err != nil {
			return n, fmt.Errorf("record %d: %w", index, err)
		}
		if t := max(uint64(max(r.At, 0)), entry.ms); t < sc.from || t > sc.to {
			continue
		}
		r.ID = recordID{entry, index}.String()
		if *recs = append(*recs, r); len(*recs) == want {
			break
		}
	}
	return n, nil
}

// passed reports whether the record at index in entry is the cursor or
// before it in the walk's order, so on an earlier page.
func (sc *pageScan) passed(entry streamID, index uint64) bool {
	if sc.cursor == nil || entry != sc.cursor.entry {
		return false
	}
	if sc.oldest {
		return index <= sc.cursor.index
	}
	return index >= sc.cursor.index
}
