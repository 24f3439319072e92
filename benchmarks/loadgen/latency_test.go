package loadgen

import (
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(100-i) * time.Millisecond // 100..1, unsorted
	}
	tests := []struct {
		name string
		in   []time.Duration
		want Latency
	}{
		{"empty", nil, Latency{}},
		{"one", ms(7), Latency{N: 1, P50Ms: 7, P99Ms: 7, MaxMs: 7, MeanMs: 7}},
		{"two", ms(3, 1), Latency{N: 2, P50Ms: 1, P99Ms: 3, MaxMs: 3, MeanMs: 2}},
		{"hundred", hundred, Latency{N: 100, P50Ms: 50, P99Ms: 99, MaxMs: 100, MeanMs: 50.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summarize(tt.in); got != tt.want {
				t.Errorf("summarize = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLastGC(t *testing.T) {
	log := "gc 1 @0.005s 12%: 0.16+2.9+0.064 ms clock, 0.33+0.84/1.0/0+0.12 ms cpu, 3->4->2 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n" +
		"time=x level=WARN msg=hello\n" +
		"gc 7 @9.1s 3%: 0.1+5+0.01 ms clock, 0.2+1/2/0+0.02 ms cpu, 410->420->215 MB, 430 MB goal, 61 MB stacks, 0 MB globals, 2 P\n" +
		"time=y level=WARN msg=bye\n"
	got, ok := lastGC(log)
	want := GCSample{Cycle: 7, HeapLiveMB: 215, HeapGoalMB: 430, StacksMB: 61}
	if !ok || got != want {
		t.Errorf("lastGC = %+v, %v; want %+v", got, ok, want)
	}
	if _, ok := lastGC("no trace here\n"); ok {
		t.Error("lastGC found a line in a log without one")
	}
}
