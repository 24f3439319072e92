package tracker

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-gateway/herald/internal/redistest"
)

// Benchmark shape: records spread over benchServices services and
// benchIPs client IPs; appends in batches of benchBatch. The Find dataset
// holds HERALD_BENCH_RECORDS records (default 200,000: the issue's
// 1,000,000 takes about 20 s to load into a local Redis on 2 cores).
const (
	benchServices = 100
	benchIPs      = 1000
	benchBatch    = 1000
)

func benchRecords(b *testing.B) int {
	n := 200_000
	if s := os.Getenv("HERALD_BENCH_RECORDS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < benchServices {
			b.Fatalf("HERALD_BENCH_RECORDS=%q: want a number >= %d", s, benchServices)
		}
		n = v
	}
	return n
}

// benchRecord is the i-th record of a benchmark: one ms apart, realistic
// sizes, unique push, connection and trace ids.
func benchRecord(i int, t0 int64) Record {
	conn := fmt.Sprintf("1700000000%03d_10.1.%d.%d_5%04d", i%1000, i%benchIPs/250, i%benchIPs%250, i%10000)
	return Record{
		PushID: conn + "/" + strconv.Itoa(i), Result: "acked", At: t0 + int64(i), Sent: t0 + int64(i) - 5,
		Acked: t0 + int64(i), Attempt: 1, Namespace: "prod", Group: "DEFAULT_GROUP",
		Service: "svc-" + strconv.Itoa(i%benchServices), ClientIP: fmt.Sprintf("10.1.%d.%d", i%benchIPs/250, i%benchIPs%250),
		ConnID: conn, ClientVersion: "Nacos-Go-Client:v2.3.2", ClientApp: "checkout",
		Instances: 12, Revision: t0, Bytes: 2048, Node: "herald-0",
		TraceID: fmt.Sprintf("%032x", i), EndToEndMs: 9, NetworkMs: 5,
	}
}

func benchBatches(n int, t0 int64) [][]Record {
	var batches [][]Record
	for start := 0; start < n; start += benchBatch {
		batch := make([]Record, 0, benchBatch)
		for i := start; i < min(start+benchBatch, n); i++ {
			batch = append(batch, benchRecord(i, t0))
		}
		batches = append(batches, batch)
	}
	return batches
}

func benchRedisStore(b *testing.B) *RedisStore {
	srv := redistest.Start(b)
	s := NewRedisStore(redis.NewClient(&redis.Options{Addr: srv.Addr()}), RedisOptions{})
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// benchAppend measures events (records) per second in batches of 1000;
// each record goes to two streams. Records keep moving forward in time,
// as live ones do, so no write takes the out-of-order path.
func benchAppend(b *testing.B, s Store) {
	ctx := context.Background()
	t0 := time.Now().Add(-time.Hour).UnixMilli()
	batches := benchBatches(100*benchBatch, t0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		batch := batches[i%len(batches)]
		for j := range batch {
			batch[j].At = t0 + int64(i*benchBatch+j)
		}
		if err := s.Append(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkRedisAppend(b *testing.B)  { benchAppend(b, benchRedisStore(b)) }
func BenchmarkMemoryAppend(b *testing.B) { benchAppend(b, NewMemoryStore(MemoryOptions{})) }

// benchFind loads the dataset once and reads pages of 100 by service and
// by IP: the first page of each order, a page inside a window, and a page
// after a cursor in the middle.
func benchFind(b *testing.B, s Store) {
	ctx := context.Background()
	n := benchRecords(b)
	t0 := time.Now().Add(-time.Hour).UnixMilli()
	start := time.Now()
	for _, batch := range benchBatches(n, t0) {
		if err := s.Append(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("loaded %d records in %v", n, time.Since(start).Round(time.Millisecond))
	mid := time.UnixMilli(t0 + int64(n/2))
	cases := []struct {
		name  string
		query func(i int) Query
	}{
		{"service/newest", benchSvc},
		{"service/oldest", func(i int) Query { q := benchSvc(i); q.Oldest = true; return q }},
		{"service/window-oldest", func(i int) Query { q := benchSvc(i); q.From, q.Oldest = mid, true; return q }},
		{"service/cursor-newest", func(i int) Query {
			q := benchSvc(i)
			q.Cursor = streamID{uint64(mid.UnixMilli()), 0}.String()
			return q
		}},
		{"ip/newest", benchIP},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				p, err := s.Find(ctx, c.query(i))
				if err != nil || len(p.Records) != 100 {
					b.Fatalf("%d records, err %v", len(p.Records), err)
				}
			}
		})
	}
}

func benchSvc(i int) Query {
	return Query{Namespace: "prod", Group: "DEFAULT_GROUP", Service: "svc-" + strconv.Itoa(i%benchServices), Limit: 100}
}

func benchIP(i int) Query {
	return Query{ClientIP: fmt.Sprintf("10.1.%d.%d", i%benchIPs/250, i%benchIPs%250), Limit: 100}
}

func BenchmarkRedisFind(b *testing.B)  { benchFind(b, benchRedisStore(b)) }
func BenchmarkMemoryFind(b *testing.B) { benchFind(b, NewMemoryStore(MemoryOptions{})) }

// BenchmarkMemoryBytesPerRecord reports the heap a MemoryStore holds per
// record for the benchmark records, with push, connection and trace ids,
// service and IP each a string of its own (records sharing strings cost
// less).
func BenchmarkMemoryBytesPerRecord(b *testing.B) {
	const n = 200_000
	batches := benchBatches(n, time.Now().Add(-time.Hour).UnixMilli())
	for range b.N {
		before := heapInUse()
		s := NewMemoryStore(MemoryOptions{})
		for _, batch := range batches {
			// Fresh copies: the store must own its strings, as it would
			// when records arrive one by one from the recorder.
			if err := s.Append(context.Background(), cloneRecords(batch)); err != nil {
				b.Fatal(err)
			}
		}
		after := heapInUse()
		runtime.KeepAlive(s)
		b.ReportMetric(float64(after-before)/n, "bytes/record")
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func cloneRecords(recs []Record) []Record {
	out := make([]Record, len(recs))
	for i, r := range recs {
		r.PushID, r.ConnID, r.TraceID = string([]byte(r.PushID)), string([]byte(r.ConnID)), string([]byte(r.TraceID))
		r.Service, r.ClientIP = string([]byte(r.Service)), string([]byte(r.ClientIP))
		out[i] = r
	}
	return out
}
