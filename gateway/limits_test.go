package gateway

import (
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	t0 := time.Unix(1000, 0)
	b := Limits{RequestsPerSecond: 2, RequestBurst: 3}.newBucket(t0)
	for i := range 3 {
		if !b.take(t0) {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	if b.take(t0) {
		t.Fatal("a request beyond the burst was allowed")
	}
	if !b.take(t0.Add(500 * time.Millisecond)) {
		t.Fatal("half a second at 2/s refills one token")
	}
	if b.take(t0.Add(500 * time.Millisecond)) {
		t.Fatal("only one token was refilled")
	}
	// A long quiet time refills to the burst, not beyond.
	later := t0.Add(time.Hour)
	for range 3 {
		if !b.take(later) {
			t.Fatal("the burst was not refilled")
		}
	}
	if b.take(later) {
		t.Fatal("refilled beyond the burst")
	}
	var none *bucket
	if !none.take(t0) || (Limits{}).newBucket(t0) != nil {
		t.Fatal("no limit must allow everything")
	}
}
