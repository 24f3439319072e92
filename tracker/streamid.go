package tracker

import (
	"math"
	"strconv"
	"strings"
)

// streamID is a record id, "<ms>-<seq>" as in Redis streams: ms is the
// record's time in epoch milliseconds, seq orders records of the same
// millisecond. Both stores issue ids in this form and both order records
// by (ms, seq).
type streamID struct{ ms, seq uint64 }

var (
	minStreamID = streamID{0, 0}
	maxStreamID = streamID{math.MaxUint64, math.MaxUint64}
)

// parseStreamID reads "<ms>-<seq>" (two unsigned decimals); ok is false
// for anything else.
func parseStreamID(s string) (id streamID, ok bool) {
	msPart, seqPart, found := strings.Cut(s, "-")
	if !found {
		return streamID{}, false
	}
	ms, err1 := parseDecimal(msPart)
	seq, err2 := parseDecimal(seqPart)
	if err1 != nil || err2 != nil {
		return streamID{}, false
	}
	return streamID{ms, seq}, true
}

// parseDecimal accepts digits only: no sign, no spaces, at least one digit.
func parseDecimal(s string) (uint64, error) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseUint(s, 10, 64)
}

func (id streamID) String() string {
	b := make([]byte, 0, 41)
	b = strconv.AppendUint(b, id.ms, 10)
	b = append(b, '-')
	b = strconv.AppendUint(b, id.seq, 10)
	return string(b)
}

func (id streamID) less(o streamID) bool {
	return id.ms < o.ms || (id.ms == o.ms && id.seq < o.seq)
}

// next returns the smallest id after id; ok is false at the maximum.
func (id streamID) next() (streamID, bool) {
	switch {
	case id.seq < math.MaxUint64:
		return streamID{id.ms, id.seq + 1}, true
	case id.ms < math.MaxUint64:
		return streamID{id.ms + 1, 0}, true
	}
	return id, false
}

// prev returns the largest id before id; ok is false at the minimum.
func (id streamID) prev() (streamID, bool) {
	switch {
	case id.seq > 0:
		return streamID{id.ms, id.seq - 1}, true
	case id.ms > 0:
		return streamID{id.ms - 1, math.MaxUint64}, true
	}
	return id, false
}

// recordID is a RedisStore record's id, "<entry id>:<index>": the stream
// entry that holds the record and the record's place in it, counted from
// 0 in append order. Records are ordered by entry, then index.
type recordID struct {
	entry streamID
	index uint64
}

// parseRecordID reads the canonical "<ms>-<seq>:<index>" that String
// writes; ok is false for anything else, leading zeros included, so the
// only cursors accepted are the ones the store could have issued.
func parseRecordID(s string) (id recordID, ok bool) {
	entryPart, indexPart, found := strings.Cut(s, ":")
	if !found {
		return recordID{}, false
	}
	entry, ok := parseStreamID(entryPart)
	index, err := parseDecimal(indexPart)
	id = recordID{entry, index}
	if !ok || err != nil || id.String() != s {
		return recordID{}, false
	}
	return id, true
}

func (id recordID) String() string {
	b := make([]byte, 0, 48)
	b = strconv.AppendUint(b, id.entry.ms, 10)
	b = append(b, '-')
	b = strconv.AppendUint(b, id.entry.seq, 10)
	b = append(b, ':')
	b = strconv.AppendUint(b, id.index, 10)
	return string(b)
}

func (id recordID) less(o recordID) bool {
	return id.entry.less(o.entry) || (id.entry == o.entry && id.index < o.index)
}
