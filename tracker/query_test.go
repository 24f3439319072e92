package tracker

import (
	"errors"
	"testing"
	"time"
)

func TestQueryBounds(t *testing.T) {
	ms := func(v int64) time.Time { return time.UnixMilli(v) }
	svc := Query{Service: "svc"}
	with := func(f func(*Query)) Query { q := svc; f(&q); return q }
	tests := []struct {
		name string
		q    Query
		want window
	}{
		{"open", svc, window{lo: minStreamID, hi: maxStreamID}},
		{"window", with(func(q *Query) { q.From, q.To = ms(10), ms(20) }),
			window{lo: streamID{10, 0}, hi: streamID{20, maxStreamID.seq}}},
		{"sub-ms edges", with(func(q *Query) { q.From, q.To = ms(10).Add(time.Microsecond), ms(20).Add(999*time.Microsecond) }),
			window{lo: streamID{11, 0}, hi: streamID{20, maxStreamID.seq}}},
		{"from before epoch", with(func(q *Query) { q.From = ms(-5) }), window{lo: minStreamID, hi: maxStreamID}},
		{"to before epoch", with(func(q *Query) { q.To = ms(-5) }), window{empty: true}},
		{"from after to", with(func(q *Query) { q.From, q.To = ms(20), ms(10) }),
			window{lo: streamID{20, 0}, hi: streamID{10, maxStreamID.seq}, empty: true}},
		{"newest cursor", with(func(q *Query) { q.To, q.Cursor = ms(20), "15-3" }),
			window{lo: minStreamID, hi: streamID{15, 2}}},
		{"newest cursor past to", with(func(q *Query) { q.To, q.Cursor = ms(20), "25-3" }),
			window{lo: minStreamID, hi: streamID{20, maxStreamID.seq}}},
		{"oldest cursor", with(func(q *Query) { q.From, q.Cursor, q.Oldest = ms(10), "15-3", true }),
			window{lo: streamID{15, 4}, hi: maxStreamID}},
		{"oldest cursor before from", with(func(q *Query) { q.From, q.Cursor, q.Oldest = ms(10), "5-3", true }),
			window{lo: streamID{10, 0}, hi: maxStreamID}},
		{"newest cursor at 0-0", with(func(q *Query) { q.Cursor = "0-0" }),
			window{lo: minStreamID, hi: minStreamID, empty: true}},
	}
	for _, tc := range tests {
		got, err := tc.q.bounds()
		if err != nil || got != tc.want {
			t.Errorf("%s: bounds = %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}

func TestQueryValidate(t *testing.T) {
	tests := []struct {
		q    Query
		want error
	}{
		{Query{Service: "svc"}, nil},
		{Query{Namespace: "ns", Group: "g", Service: "svc", Cursor: "1-0"}, nil},
		{Query{ClientIP: "10.0.0.1"}, nil},
		{Query{}, ErrBadQuery},
		{Query{Service: "svc", ClientIP: "10.0.0.1"}, ErrBadQuery},
		{Query{Namespace: "ns", ClientIP: "10.0.0.1"}, ErrBadQuery},
		{Query{Service: "svc", Cursor: "next"}, nil}, // cursors are checked by each store's Find
	}
	for _, tc := range tests {
		if err := tc.q.Validate(); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("%+v: Validate() = %v, want %v", tc.q, err, tc.want)
		}
	}
}

func TestQueryLimit(t *testing.T) {
	for in, want := range map[int]int{-1: DefaultLimit, 0: DefaultLimit, 1: 1, 500: 500, MaxLimit: MaxLimit, MaxLimit + 1: MaxLimit} {
		if got := (Query{Limit: in}).limit(); got != want {
			t.Errorf("Limit %d: page size %d, want %d", in, got, want)
		}
	}
}
