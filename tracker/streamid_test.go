package tracker

import (
	"math"
	"testing"
)

func TestParseStreamID(t *testing.T) {
	tests := []struct {
		in   string
		want streamID
		ok   bool
	}{
		{"0-0", streamID{0, 0}, true},
		{"1700000000000-3", streamID{1700000000000, 3}, true},
		{"18446744073709551615-18446744073709551615", maxStreamID, true},
		{"", streamID{}, false},
		{"-", streamID{}, false},
		{"1", streamID{}, false},
		{"1-", streamID{}, false},
		{"-1", streamID{}, false},
		{"1-2-3", streamID{}, false},
		{"+1-2", streamID{}, false},
		{"1-+2", streamID{}, false},
		{" 1-2", streamID{}, false},
		{"1-2 ", streamID{}, false},
		{"1_0-2", streamID{}, false},
		{"18446744073709551616-0", streamID{}, false},
		{"1-*", streamID{}, false},
	}
	for _, tc := range tests {
		got, ok := parseStreamID(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseStreamID(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if ok && got.String() != tc.in {
			t.Errorf("%q formats back as %q", tc.in, got.String())
		}
	}
}

func TestStreamIDNextPrev(t *testing.T) {
	tests := []struct {
		id, next, prev streamID
		nextOK, prevOK bool
	}{
		{streamID{5, 5}, streamID{5, 6}, streamID{5, 4}, true, true},
		{streamID{5, 0}, streamID{5, 1}, streamID{4, math.MaxUint64}, true, true},
		{streamID{5, math.MaxUint64}, streamID{6, 0}, streamID{5, math.MaxUint64 - 1}, true, true},
		{minStreamID, streamID{0, 1}, minStreamID, true, false},
		{maxStreamID, maxStreamID, streamID{math.MaxUint64, math.MaxUint64 - 1}, false, true},
	}
	for _, tc := range tests {
		if n, ok := tc.id.next(); n != tc.next || ok != tc.nextOK {
			t.Errorf("%v.next() = %v, %v; want %v, %v", tc.id, n, ok, tc.next, tc.nextOK)
		}
		if p, ok := tc.id.prev(); p != tc.prev || ok != tc.prevOK {
			t.Errorf("%v.prev() = %v, %v; want %v, %v", tc.id, p, ok, tc.prev, tc.prevOK)
		}
	}
}

func TestParseRecordID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want recordID
		ok   bool
	}{
		{"0-0:0", recordID{}, true},
		{"1700000000000-3:127", recordID{streamID{1700000000000, 3}, 127}, true},
		{"18446744073709551615-18446744073709551615:18446744073709551615", recordID{maxStreamID, math.MaxUint64}, true},
		{"", recordID{}, false},
		{"1-0", recordID{}, false},
		{"1-0:", recordID{}, false},
		{":0", recordID{}, false},
		{"1-0:x", recordID{}, false},
		{"1-0:01", recordID{}, false},
		{"01-0:0", recordID{}, false},
		{"1-00:0", recordID{}, false},
		{"1-0:+1", recordID{}, false},
		{"1-0:-1", recordID{}, false},
		{"1-0:0:0", recordID{}, false},
		{"1-0: 0", recordID{}, false},
		{"1-0:0 ", recordID{}, false},
		{"1:0", recordID{}, false},
		{"1-0:18446744073709551616", recordID{}, false},
	} {
		got, ok := parseRecordID(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseRecordID(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if ok && got.String() != tc.in {
			t.Errorf("%q formats back as %q", tc.in, got.String())
		}
	}
}

// FuzzParseRecordID: a cursor is accepted only in the form String writes.
func FuzzParseRecordID(f *testing.F) {
	for _, s := range []string{"0-0:0", "1700000000000-3:127", "1-0", "1-0:01", "1-0:0:0", ":", "-:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if id, ok := parseRecordID(s); ok && id.String() != s {
			t.Fatalf("%q accepted as %v, which formats as %q", s, id, id.String())
		}
	})
}
