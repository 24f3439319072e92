package tracker

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxRecords bounds a MemoryStore whose options leave MaxRecords
// zero.
const DefaultMaxRecords = 1_000_000

// MemoryOptions configures a MemoryStore.
type MemoryOptions struct {
	// Retention is how long records are kept; <= 0 means DefaultRetention.
	Retention time.Duration
	// MaxRecords bounds the records held; <= 0 means DefaultMaxRecords.
	MaxRecords int
	// Now is the clock for write-time trimming; nil means time.Now.
	Now func() time.Time
}

// MemoryStore keeps records in process memory, for running Herald without
// Redis. It behaves as RedisStore does: one ordered log per service and
// one per client IP, named by the same keys; ids "<ms>-<seq>" issued the
// same way (At's millisecond, or the log's last id's if that is later);
// the same windows, order and cursors; records older than Retention are
// dropped on write (exactly, where Redis trims approximately) and by Trim.
//
// Memory is bounded by MaxRecords: when full, the oldest records (in
// append order) are evicted first. A record costs its Record value
// (424 bytes, held in slabs of entries), its places in two logs
// (48 bytes) and in the eviction queue (8 bytes), plus its strings that
// are not shared with other records. With push, connection and trace ids,
// service and IP strings all unique per record,
// BenchmarkMemoryBytesPerRecord measures about 650 bytes, so the default
// bound of 1,000,000 records is about 0.65 GB of heap.
type MemoryStore struct {
	max       int
	retention time.Duration
	now       func() time.Time
	closed    atomic.Bool

	// mu protects logs, order and keys.
	mu    sync.RWMutex
	logs  map[string]*memLog // by stream key; empty logs are deleted
	order fifo[*memEntry]    // every held record in append order, for eviction
	keys  streamKeys         // scratch: the keys of the record at hand
	slab  []memEntry         // entries not yet handed out; see newEntry
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store.
func NewMemoryStore(opts MemoryOptions) *MemoryStore {
	s := &MemoryStore{max: opts.MaxRecords, retention: opts.Retention, now: opts.Now, logs: make(map[string]*memLog)}
	if s.max <= 0 {
		s.max = DefaultMaxRecords
	}
	if s.retention <= 0 {
		s.retention = DefaultRetention
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Append adds every record to its service and IP logs (each only if
// named), then drops expired records from those logs and evicts the
// oldest records beyond MaxRecords. It fails only after Close.
func (s *MemoryStore) Append(_ context.Context, recs []Record) error {
	if s.closed.Load() {
		return ErrClosed
	}
	cutoff := s.cutoff()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range recs {
		e := s.newEntry()
		e.rec = withKind(recs[i]) // stored as the Redis store reads it back
		e.rec.ID = ""
		keys := s.keys.of(&e.rec)
		for i := range keys.len() {
			key := keys.key(i)
			l := s.log(key)
			l.add(e)
			l.trim(cutoff) // may drop e itself if it is already expired
			if l.items.len() == 0 {
				delete(s.logs, string(key))
			}
		}
		if e.refs > 0 {
			s.order.push(e)
		}
	}
	s.evict()
	return nil
}

// Find returns one page from the query's log.
func (s *MemoryStore) Find(_ context.Context, q Query) (Page, error) {
	if s.closed.Load() {
		return Page{}, ErrClosed
	}
	w, err := q.bounds()
	if err != nil {
		return Page{}, err
	}
	if w.empty {
		return Page{Records: []Record{}}, nil
	}
	limit := q.limit()
	s.mu.RLock()
	l := s.logs[q.streamKey()]
	var recs []Record
	if l != nil {
		recs = l.page(w, q.Oldest, limit)
	}
	s.mu.RUnlock()
	p := Page{Records: recs}
	if len(recs) > limit {
		p.Records = recs[:limit]
		p.Next = recs[limit-1].ID
	}
	if p.Records == nil {
		p.Records = []Record{}
	}
	return p, nil
}

// Trim drops the records with ids before before (millisecond precision)
// from every log.
func (s *MemoryStore) Trim(_ context.Context, before time.Time) error {
	if s.closed.Load() {
		return ErrClosed
	}
	ms := before.UnixMilli()
	if ms <= 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, l := range s.logs {
		l.trim(uint64(ms))
		if l.items.len() == 0 {
			delete(s.logs, key)
		}
	}
	s.dropDead()
	return nil
}

// Close frees the records; later calls return ErrClosed.
func (s *MemoryStore) Close() error {
	s.closed.Store(true)
	s.mu.Lock()
	s.logs, s.order, s.slab = make(map[string]*memLog), fifo[*memEntry]{}, nil
	s.mu.Unlock()
	return nil
}
