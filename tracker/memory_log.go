package tracker

import (
	"math"
	"sort"
)

// memEntry is one stored record, shared by its service log and its IP
// log. refs counts the logs still holding it; at zero the record is
// cleared so only the empty shell waits in the eviction queue.
type memEntry struct {
	rec  Record // ID unset: each log has its own
	refs int8
}

// logItem is one record's place in one log.
type logItem struct {
	id streamID
	e  *memEntry
}

// memLog is one stream: items in id order, which is also append order.
type memLog struct {
	items fifo[logItem]
	last  streamID // the last id issued, 0-0 for a new log
	// firstMs is the oldest item's millisecond, kept here so that the
	// write-time trim of a long log, which usually drops nothing, need not
	// read its oldest block.
	firstMs uint64
}

// add appends e with the next id: At's millisecond, or the last id's if
// that is later, numbered like Redis's "<ms>-*".
func (l *memLog) add(e *memEntry) {
	ms := uint64(max(e.rec.At, 0))
	id := streamID{ms: max(ms, l.last.ms)}
	if id.ms == l.last.ms {
		if l.last.seq == math.MaxUint64 {
			id = streamID{ms: id.ms + 1}
		} else {
			id.seq = l.last.seq + 1
		}
	}
	l.last = id
	if l.items.len() == 0 {
		l.firstMs = id.ms
	}
	l.items.push(logItem{id: id, e: e})
	e.refs++
}

// trim drops the items with ids before ms.
func (l *memLog) trim(ms uint64) {
	for l.items.len() > 0 && l.firstMs < ms {
		l.popFront()
	}
}

// dropFront removes e if it is the oldest item. An entry still held by a
// log is always at its front when evicted, because logs and the eviction
// queue are both in append order and both lose items only at the front.
func (l *memLog) dropFront(e *memEntry) {
	if l.items.len() > 0 && l.items.front().e == e {
		l.popFront()
	}
}

// popFront drops the oldest item.
func (l *memLog) popFront() {
	release(l.items.popFront().e)
	if l.items.len() > 0 {
		l.firstMs = l.items.front().id.ms
	}
}

// release notes that one log let go of e.
func release(e *memEntry) {
	e.refs--
	if e.refs == 0 {
		e.rec = Record{}
	}
}

// page copies up to limit+1 records inside w, in the requested order.
func (l *memLog) page(w window, oldest bool, limit int) []Record {
	n := l.items.len()
	// first index with id >= lo, first index with id > hi
	i := sort.Search(n, func(i int) bool { return !l.items.at(i).id.less(w.lo) })
	j := sort.Search(n, func(i int) bool { return w.hi.less(l.items.at(i).id) })
	count := min(max(j-i, 0), limit+1)
	recs := make([]Record, 0, count)
	for k := range count {
		idx := i + k
		if !oldest {
			idx = j - 1 - k
		}
		it := l.items.at(idx)
		r := it.e.rec
		r.ID = it.id.String()
		recs = append(recs, r)
	}
	return recs
}
