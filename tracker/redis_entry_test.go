package tracker

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestEntryRuns(t *testing.T) {
	same := make([]int64, packMaxRecords+1)
	tests := []struct {
		name string
		at   []int64
		want [][]int // runs, as indexes
		min  []int64 // each run's smallest At
	}{
		{"none", nil, nil, nil},
		{"one", []int64{5}, [][]int{{0}}, []int64{5}},
		{"span at the bound", []int64{0, packSpanMs}, [][]int{{0, 1}}, []int64{0}},
		{"span past the bound", []int64{0, packSpanMs + 1}, [][]int{{0}, {1}}, []int64{0, packSpanMs + 1}},
		{"out of order", []int64{packSpanMs, 0, packSpanMs + 1, 1}, [][]int{{0, 1}, {2, 3}}, []int64{0, 1}},
		{"count bound", same, [][]int{seq(0, packMaxRecords), {packMaxRecords}}, []int64{0, 0}},
		{"extremes", []int64{math.MinInt64, math.MaxInt64, -1, 0}, [][]int{{0}, {1}, {2, 3}}, []int64{math.MinInt64, math.MaxInt64, -1}},
	}
	for _, tc := range tests {
		recs := make([]Record, len(tc.at))
		for i, at := range tc.at {
			recs[i].At = at
		}
		var runs [][]int
		var mins []int64
		for run, minAt := range entryRuns(seq(0, len(recs)), recs) {
			runs = append(runs, run)
			mins = append(mins, minAt)
		}
		if !reflect.DeepEqual(runs, tc.want) || !reflect.DeepEqual(mins, tc.min) {
			t.Errorf("%s: runs %v from %v, want %v from %v", tc.name, runs, mins, tc.want, tc.min)
		}
	}
}

// seq is [from, to).
func seq(from, to int) []int {
	s := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

func TestEntryRecords(t *testing.T) {
	type item struct {
		i    uint64
		text string
	}
	collect := func(data string, reverse bool, limit int) []item {
		var got []item
		for i, text := range entryRecords(data, reverse) {
			got = append(got, item{i, text})
			if len(got) == limit {
				break
			}
		}
		return got
	}
	tests := []struct {
		data    string
		reverse bool
		limit   int
		want    []item
	}{
		{`{"p":"a"}`, false, 9, []item{{0, `{"p":"a"}`}}},
		{`{"p":"a"}`, true, 9, []item{{0, `{"p":"a"}`}}},
		{"a\nb\nc", false, 9, []item{{0, "a"}, {1, "b"}, {2, "c"}}},
		{"a\nb\nc", true, 9, []item{{2, "c"}, {1, "b"}, {0, "a"}}},
		{"a\nb\nc", false, 2, []item{{0, "a"}, {1, "b"}}},
		{"a\nb\nc", true, 2, []item{{2, "c"}, {1, "b"}}},
		{"", false, 9, []item{{0, ""}}},
		{"a\n", true, 9, []item{{1, ""}, {0, "a"}}},
	}
	for _, tc := range tests {
		if got := collect(tc.data, tc.reverse, tc.limit); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q reverse=%v limit %d: %v, want %v", tc.data, tc.reverse, tc.limit, got, tc.want)
		}
	}
}

// TestEntryBytes: an entry is its records' encodings joined by
// recordSep, and reads back as those records.
func TestEntryBytes(t *testing.T) {
	recs := codecCases()
	var sc appendScratch
	sc.encode(recs)
	entry := string(sc.entry([]int{2, 0, 1}))
	want := string(encodeRecord(&recs[2])) + "\n" + string(encodeRecord(&recs[0])) + "\n" + string(encodeRecord(&recs[1]))
	if entry != want {
		t.Fatalf("entry %q, want %q", entry, want)
	}
	for i, text := range entryRecords(entry, false) {
		if _, err := decodeRecord(text); err != nil {
			t.Errorf("record %d: %v", i, err)
		}
	}
}

// BenchmarkEntrySplit measures splitting a full entry (packMaxRecords
// benchmark records) into its records, as Find does before decoding the
// ones it returns: the '\n'-separated form RedisStore stores, against the
// JSON array it could store instead, split by a minimal scanner or by
// encoding/json.
func BenchmarkEntrySplit(b *testing.B) {
	recs := benchBatches(packMaxRecords, 1_700_000_000_000, benchMixes[0])[0]
	var sc appendScratch
	sc.encode(recs)
	lines := string(sc.entry(seq(0, len(recs))))
	array := "[" + strings.ReplaceAll(lines, "\n", ",") + "]"
	b.Run("newline", func(b *testing.B) {
		b.SetBytes(int64(len(lines)))
		for range b.N {
			n := 0
			for range entryRecords(lines, true) {
				n++
			}
			if n != len(recs) {
				b.Fatal(n)
			}
		}
	})
	b.Run("array-scan", func(b *testing.B) {
		b.SetBytes(int64(len(array)))
		for range b.N {
			if n := len(splitJSONArray(array)); n != len(recs) {
				b.Fatal(n)
			}
		}
	})
	b.Run("array-encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(array)))
		for range b.N {
			var raw []json.RawMessage
			if err := json.Unmarshal([]byte(array), &raw); err != nil || len(raw) != len(recs) {
				b.Fatal(len(raw), err)
			}
		}
	})
}

// splitJSONArray returns the elements of an array of objects, walking
// strings and escapes: what reading the array form would take.
func splitJSONArray(s string) []string {
	var out []string
	depth, start, inString := 0, 0, false
	for i := 1; i < len(s)-1; i++ {
		switch c := s[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{':
			if depth == 0 {
				start = i
			}
			depth++
		case c == '}':
			if depth--; depth == 0 {
				out = append(out, s[start:i+1])
			}
		}
	}
	return out
}

// FuzzEntryRecords: newest first yields the records of append order,
// reversed, with the same indexes.
func FuzzEntryRecords(f *testing.F) {
	for _, s := range []string{"", "a", "a\nb", "\n", "a\n\nb\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		type item struct {
			i    uint64
			text string
		}
		var forward, backward []item
		for i, text := range entryRecords(data, false) {
			forward = append(forward, item{i, text})
		}
		for i, text := range entryRecords(data, true) {
			backward = append(backward, item{i, text})
		}
		slices.Reverse(backward)
		if !reflect.DeepEqual(forward, backward) || len(forward) != strings.Count(data, "\n")+1 {
			t.Fatalf("%q: forward %v, backward reversed %v", data, forward, backward)
		}
	})
}
