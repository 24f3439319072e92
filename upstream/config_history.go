package upstream

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// historyLog keeps a bounded history of every publish and remove per key.
type historyLog interface {
	// append records e, giving it its id.
	append(e HistoryEntry) error
	// page returns one page (pageNo from 1) of key's entries, newest
	// first, and how many there are.
	page(key ConfigKey, pageNo, pageSize int) (int, []HistoryEntry, error)
	// entry returns key's entry id.
	entry(key ConfigKey, id int64) (HistoryEntry, bool, error)
}

// historyIDs hands out history ids: microseconds since the epoch, strictly
// increasing, so ids stay unique and ordered across restarts.
type historyIDs struct{ last atomic.Int64 }

func (h *historyIDs) next() int64 {
	for {
		last := h.last.Load()
		id := max(time.Now().UnixMicro(), last+1)
		if h.last.CompareAndSwap(last, id) {
			return id
		}
	}
}

// pageOf returns page pageNo (from 1) of size pageSize of entries held
// oldest first, newest first.
func pageOf(all []HistoryEntry, pageNo, pageSize int) []HistoryEntry {
	pageNo, pageSize = max(pageNo, 1), max(pageSize, 1)
	newest := slices.Clone(all)
	slices.Reverse(newest)
	start := (pageNo - 1) * pageSize
	if start >= len(newest) {
		return []HistoryEntry{}
	}
	return newest[start:min(start+pageSize, len(newest))]
}

// findEntry returns the entry with id.
func findEntry(all []HistoryEntry, id int64) (HistoryEntry, bool) {
	for _, e := range all {
		if e.ID == id {
			return e, true
		}
	}
	return HistoryEntry{}, false
}

// memHistory is the history of a store without a data directory.
type memHistory struct {
	limit int
	ids   historyIDs

	// mu protects byKey.
	mu    sync.Mutex
	byKey map[ConfigKey][]HistoryEntry // oldest first, at most limit
}

func newMemHistory(limit int) *memHistory {
	return &memHistory{limit: limit, byKey: make(map[ConfigKey][]HistoryEntry)}
}

func (m *memHistory) append(e HistoryEntry) error {
	e.ID = m.ids.next()
	m.mu.Lock()
	defer m.mu.Unlock()
	all := append(m.byKey[e.Key], e)
	if over := len(all) - m.limit; over > 0 {
		all = slices.Delete(all, 0, over)
	}
	m.byKey[e.Key] = all
	return nil
}

func (m *memHistory) page(key ConfigKey, pageNo, pageSize int) (int, []HistoryEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	all := m.byKey[key]
	return len(all), pageOf(all, pageNo, pageSize), nil
}

func (m *memHistory) entry(key ConfigKey, id int64) (HistoryEntry, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := findEntry(m.byKey[key], id)
	return e, ok, nil
}

// raise makes later ids greater than id (ids read back from disk).
func (h *historyIDs) raise(id int64) {
	for {
		last := h.last.Load()
		if id <= last || h.last.CompareAndSwap(last, id) {
			return
		}
	}
}
