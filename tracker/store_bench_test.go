package tracker

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-gateway/herald/internal/redistest"
)

// Benchmark shape: records in batches of benchBatch, one millisecond
// apart (a batch spans 999 ms, within one entry's packSpanMs; live
// batches span about the Recorder's 50ms flush interval), spread over
// services and client IPs as a benchMix says. The Find dataset holds
// HERALD_BENCH_RECORDS records (default 200,000; the 1,000,000
// take about 10 s per mix to load into a local Redis on 2 cores).
const (
	benchServices = 100
	benchIPs      = 1000
	benchBatch    = 1000
	benchClients  = 10 * benchIPs // fan-out subscribers, 10 per host
)

// benchMix is how benchmark records spread over services and client IPs.
type benchMix struct {
	name     string
	services int // named svc-0 ... svc-<services-1>
	record   func(i int, t0 int64) Record
}

// benchMixes: uniform sends record i to service i%100 and client IP
// i%1000, so a batch of 1000 touches 100 services and all 1000 IPs, one
// record each: the worst case for packing records into entries. fanout is
// one service pushed to 10,000 subscribers on 1000 hosts (10 per client
// IP, as many subscribers share hosts) in a fixed shuffled order, so a
// batch of 1000 touches the service and about 650 IPs.
var benchMixes = []benchMix{
	{"uniform", benchServices, benchRecord},
	{"fanout", 1, fanoutRecord},
}

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

// benchRecord is the i-th record of the uniform mix: one ms apart,
// realistic sizes, unique push, connection and trace ids.
func benchRecord(i int, t0 int64) Record {
	conn := fmt.Sprintf("1700000000%03d_10.1.%d.%d_5%04d", i%1000, i%benchIPs/250, i%benchIPs%250, i%10000)
	return Record{
		PushID: conn + "/" + strconv.Itoa(i), Result: "acked", At: t0 + int64(i), Sent: t0 + int64(i) - 5,
		Acked: t0 + int64(i), Attempt: 1, Namespace: "prod", Group: "DEFAULT_GROUP",
		Service: "svc-" + strconv.Itoa(i%benchServices), ClientIP: benchIPName(i),
		ConnID: conn, ClientVersion: "Nacos-Go-Client:v2.3.2", ClientApp: "checkout",
		Instances: 12, Revision: t0, Bytes: 2048, Node: "herald-0",
		TraceID: fmt.Sprintf("%032x", i), EndToEndMs: 9, NetworkMs: 5,
	}
}

// fanoutOrder is the order the fan-out mix visits its subscribers.
var fanoutOrder = rand.New(rand.NewPCG(1, 2)).Perm(benchClients)

// fanoutRecord is the i-th record of the fan-out mix: subscriber
// fanoutOrder[i%10000] (whose client IP is its number mod 1000) of
// service svc-0.
func fanoutRecord(i int, t0 int64) Record {
	r := benchRecord(fanoutOrder[i%benchClients], t0)
	r.Service = "svc-0"
	r.PushID = r.ConnID + "/" + strconv.Itoa(i)
	r.At, r.Sent, r.Acked = t0+int64(i), t0+int64(i)-5, t0+int64(i)
	r.TraceID = fmt.Sprintf("%032x", i)
	return r
}

func benchIPName(i int) string {
	return fmt.Sprintf("10.1.%d.%d", i%benchIPs/250, i%benchIPs%250)
}

func benchBatches(n int, t0 int64, mix benchMix) [][]Record {
	var batches [][]Record
	for start := 0; start < n; start += benchBatch {
		batch := make([]Record, 0, benchBatch)
		for i := start; i < min(start+benchBatch, n); i++ {
			batch = append(batch, mix.record(i, t0))
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

// appendShape is how a benchmark feeds Append: records per batch, and how
// densely they lie in time (records per millisecond). 1000 per batch at
// one per ms was the original shape; live traffic at the target rate of
// 200,000 events/s puts 200 records in each ms, and a Recorder that is
// behind takes up to RecorderOptions.Batch records per write.
type appendShape struct {
	batch, perMs int
}

var appendShapes = []appendShape{{1000, 1}, {1000, 200}, {8192, 200}}

// benchAppend measures events (records) per second for each shape and
// mix, each record stored under its service and its IP. Records keep
// moving forward in time, as live ones do, so no write takes the
// out-of-order path. For a Redis store it also reports the events per
// second of the server's own CPU time (what one Redis core sustains,
// however much CPU the benchmark process takes from it on a small
// machine) and the Redis memory per event.
func benchAppend(b *testing.B, newStore func(*testing.B) Store) {
	for _, shape := range appendShapes {
		for _, mix := range benchMixes {
			name := fmt.Sprintf("batch=%d/perMs=%d/%s", shape.batch, shape.perMs, mix.name)
			b.Run(name, func(b *testing.B) { benchAppendShape(b, newStore(b), shape, mix) })
		}
	}
}

func benchAppendShape(b *testing.B, s Store, shape appendShape, mix benchMix) {
	ctx := context.Background()
	t0 := time.Now().Add(-time.Hour).UnixMilli()
	batches := make([][]Record, 0, 10)
	for i := range 10 {
		batch := make([]Record, shape.batch)
		for j := range batch {
			batch[j] = mix.record(i*shape.batch+j, t0)
		}
		batches = append(batches, batch)
	}
	rs, isRedis := s.(*RedisStore)
	var cpu0, own0 float64
	var mem0 int64
	if isRedis {
		cpu0, mem0, own0 = redisCPU(b, rs.client), usedMemory(b, rs.client), processCPU(b)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		batch := batches[i%len(batches)]
		for j := range batch {
			batch[j].At = t0 + int64((i*shape.batch+j)/shape.perMs)
		}
		if err := s.Append(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	events := float64(b.N * shape.batch)
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	if isRedis {
		b.ReportMetric(events/(redisCPU(b, rs.client)-cpu0), "events/redis-cpu-s")
		b.ReportMetric(events/(processCPU(b)-own0), "events/herald-cpu-s")
		b.ReportMetric(float64(usedMemory(b, rs.client)-mem0)/events, "redis-B/event")
	}
}

// BenchmarkRedisClusterAppend is BenchmarkRedisAppend on a three-master
// Redis Cluster without replicas: each Append's pipeline splits over the
// masters by slot. Redis CPU and memory are summed over the masters.
func BenchmarkRedisClusterAppend(b *testing.B) {
	benchAppend(b, func(b *testing.B) Store {
		c := redistest.StartCluster(b, 3, 0)
		s := NewRedisStore(redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()}), RedisOptions{})
		b.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// redisCPU is the server's CPU time so far, user and system, in seconds
// (on a cluster, of all its masters).
func redisCPU(b *testing.B, client redis.UniversalClient) float64 {
	var seconds float64
	for _, node := range redisNodes(b, client) {
		for _, name := range []string{"used_cpu_user", "used_cpu_sys"} {
			v, err := strconv.ParseFloat(redisInfo(b, node, "cpu", name), 64)
			if err != nil {
				b.Fatalf("INFO cpu %s: %v", name, err)
			}
			seconds += v
		}
	}
	return seconds
}

func BenchmarkRedisAppend(b *testing.B) {
	benchAppend(b, func(b *testing.B) Store { return benchRedisStore(b) })
}

func BenchmarkMemoryAppend(b *testing.B) {
	benchAppend(b, func(*testing.B) Store { return NewMemoryStore(MemoryOptions{}) })
}

// benchFind loads each mix's dataset once and reads pages of 100 by
// service and by IP: the first page of each order, a page inside a
// window, and a page after a cursor in the middle. It reports the 99th
// percentile latency besides the mean.
func benchFind(b *testing.B, newStore func(*testing.B) Store) {
	for _, mix := range benchMixes {
		b.Run(mix.name, func(b *testing.B) { benchFindMix(b, newStore(b), mix) })
	}
}

func benchFindMix(b *testing.B, s Store, mix benchMix) {
	ctx := context.Background()
	n := benchRecords(b)
	t0 := time.Now().Add(-time.Hour).UnixMilli()
	start := time.Now()
	for _, batch := range benchBatches(n, t0, mix) {
		if err := s.Append(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("loaded %d records in %v", n, time.Since(start).Round(time.Millisecond))
	mid := time.UnixMilli(t0 + int64(n/2))
	svc := func(i int) Query {
		return Query{Namespace: "prod", Group: "DEFAULT_GROUP", Service: "svc-" + strconv.Itoa(i%mix.services), Limit: 100}
	}
	// The cursors are the ids of each service's newest records at mid.
	cursors := make([]string, mix.services)
	for i := range cursors {
		q := svc(i)
		q.To, q.Limit = mid, 1
		cursors[i] = mustFind(b, s, q).Records[0].ID
	}
	cases := []struct {
		name  string
		query func(i int) Query
	}{
		{"service/newest", svc},
		{"service/oldest", func(i int) Query { q := svc(i); q.Oldest = true; return q }},
		{"service/window-oldest", func(i int) Query { q := svc(i); q.From, q.Oldest = mid, true; return q }},
		{"service/cursor-newest", func(i int) Query { q := svc(i); q.Cursor = cursors[i%len(cursors)]; return q }},
		{"ip/newest", func(i int) Query { return Query{ClientIP: benchIPName(i), Limit: 100} }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			took := make([]time.Duration, b.N)
			for i := range b.N {
				start := time.Now()
				p, err := s.Find(ctx, c.query(i))
				took[i] = time.Since(start)
				if err != nil || len(p.Records) != 100 {
					b.Fatalf("%d records, err %v", len(p.Records), err)
				}
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

func BenchmarkRedisFind(b *testing.B) {
	benchFind(b, func(b *testing.B) Store { return benchRedisStore(b) })
}

func BenchmarkMemoryFind(b *testing.B) {
	benchFind(b, func(*testing.B) Store { return NewMemoryStore(MemoryOptions{}) })
}

// BenchmarkMemoryBytesPerRecord reports the heap a MemoryStore holds per
// record for the benchmark records, with push, connection and trace ids,
// service and IP each a string of its own (records sharing strings cost
// less).
func BenchmarkMemoryBytesPerRecord(b *testing.B) {
	const n = 200_000
	batches := benchBatches(n, time.Now().Add(-time.Hour).UnixMilli(), benchMixes[0])
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
