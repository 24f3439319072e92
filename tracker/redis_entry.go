package tracker

import (
	"iter"
	"strings"
)

// recordSep ends every record of an entry but the last. An encoded record
// never holds it: appendRecord writes no whitespace and escapes every
// control byte inside strings. So an entry written before records were
// packed, one record and no separator, reads as an entry of one record.
const recordSep = '\n'

// entryRecords yields the records of an entry with their indexes, in
// append order or, if reverse, newest first. The texts are substrings of
// data.
func entryRecords(data string, reverse bool) iter.Seq2[uint64, string] {
	if reverse {
		return func(yield func(uint64, string) bool) {
			// Find the starts forward: IndexByte is vectorized,
			// LastIndexByte is not.
			starts := make([]int, 1, 1+strings.Count(data, string(recordSep)))
			for {
				last := starts[len(starts)-1]
				i := strings.IndexByte(data[last:], recordSep)
				if i < 0 {
					break
				}
				starts = append(starts, last+i+1)
			}
			end := len(data)
			for i := len(starts) - 1; i >= 0; i-- {
				if !yield(uint64(i), data[starts[i]:end]) {
					return
				}
				end = starts[i] - 1
			}
		}
	}
	return func(yield func(uint64, string) bool) {
		var i uint64
		for rest := data; ; i++ {
			text, more, found := strings.Cut(rest, string(recordSep))
			if !yield(i, text) || !found {
				return
			}
			rest = more
		}
	}
}
