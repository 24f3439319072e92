package tracker

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// recorderBenchEvents is how many outcomes one benchmark iteration feeds
// the Recorder: ten fan-outs of the 10,000-subscriber mix.
const recorderBenchEvents = 100_000

// BenchmarkRecorderRedis measures the whole Recorder path into one local
// Redis: outcomes observed as fast as the push path could, turned into
// records, batched and appended, until every one is written. The queue is
// made large enough that nothing is dropped, so the figure is the
// writer's sustained rate. Batch is the Recorder's largest write.
func BenchmarkRecorderRedis(b *testing.B) {
	for _, batch := range []int{1000, 8192} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			store := benchRedisStore(b)
			rec := NewRecorder(store, RecorderOptions{Node: "herald-0", Buffer: recorderBenchEvents, Batch: batch})
			defer rec.Close()
			outs := fanoutOutcomes(recorderBenchEvents)
			cpu0, own0 := redisCPU(b, store.client), processCPU(b)
			feedRecorder(b, rec, outs)
			events := float64(b.N * len(outs))
			b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(events/(redisCPU(b, store.client)-cpu0), "events/redis-cpu-s")
			b.ReportMetric(events/(processCPU(b)-own0), "events/herald-cpu-s")
		})
	}
}

// feedRecorder observes outs b.N times, each round stamped now, waiting
// each time until the Recorder has written all of them; the timer runs
// only over that.
func feedRecorder(b *testing.B, rec *Recorder, outs []fanout.Outcome) {
	b.ResetTimer()
	for i := range b.N {
		base := time.Now()
		for j := range outs {
			outs[j].At = base
			rec.Observe(outs[j])
		}
		want := uint64((i + 1) * len(outs))
		for rec.Stats().Written < want {
			if rec.Stats().Dropped > 0 {
				b.Fatal("recorder dropped outcomes")
			}
			time.Sleep(time.Millisecond)
		}
	}
	b.StopTimer()
}

// processCPU is this process's CPU time so far, user and system, in
// seconds: the Recorder's cost (plus the benchmark's own Observe calls).
func processCPU(b *testing.B) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// fanoutOutcomes is n acknowledged pushes of one service to the fan-out
// mix's subscribers, in its shuffled order.
func fanoutOutcomes(n int) []fanout.Outcome {
	key := upstream.ServiceKey{Namespace: "prod", Group: "DEFAULT_GROUP", Name: "svc-0"}
	now := time.Now()
	change := trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	outs := make([]fanout.Outcome, n)
	for i := range outs {
		r := fanoutRecord(i, 0)
		outs[i] = fanout.Outcome{
			Event: fanout.EventAcked, At: now, ConnID: r.ConnID,
			Client: fanout.ClientInfo{IP: r.ClientIP, Version: r.ClientVersion, App: r.ClientApp},
			Topic:  fanout.NamingTopic(key), Revision: now.UnixMilli(), RequestID: fmt.Sprint(i), Attempt: 1,
			Items: 12, Bytes: 2048, SentAt: now.Add(-5 * time.Millisecond), Changed: now.Add(-9 * time.Millisecond),
			TraceID: change, // as a gateway's: every push of a change carries its trace id
		}
	}
	return outs
}

// BenchmarkRecorderHandoff measures the Recorder without a store's cost:
// outcomes observed, turned into records and batched, into a store that
// only counts them. Run with -cpu 1 it is the hand-off's cost on a
// gateway pinned to one core.
func BenchmarkRecorderHandoff(b *testing.B) {
	rec := NewRecorder(&countingStore{}, RecorderOptions{Node: "herald-0", Buffer: recorderBenchEvents})
	defer rec.Close()
	outs := fanoutOutcomes(recorderBenchEvents)
	own0 := processCPU(b)
	feedRecorder(b, rec, outs)
	events := float64(b.N * len(outs))
	b.ReportMetric((processCPU(b)-own0)/events*1e9, "cpu-ns/event")
}

// countingStore stores nothing; it counts what it is given.
type countingStore struct{ n atomic.Int64 }

func (s *countingStore) Append(_ context.Context, recs []Record) error {
	s.n.Add(int64(len(recs)))
	return nil
}
func (s *countingStore) Find(context.Context, Query) (Page, error) { return Page{}, nil }
func (s *countingStore) Trim(context.Context, time.Time) error     { return nil }
func (s *countingStore) Close() error                              { return nil }
