package fanout

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/herald-gateway/herald/upstream"
)

// benchSub acks every push as soon as it is queued, like an instant client.
type benchSub struct {
	id  string
	hub *Hub
	wg  *sync.WaitGroup
}

func (b *benchSub) ID() string         { return b.id }
func (b *benchSub) Client() ClientInfo { return ClientInfo{} }
func (b *benchSub) Close(string)       {}
func (b *benchSub) Encoder() Encoder   { return benchEnc }

var benchEnc = &testEncoder{}

func (b *benchSub) Send(p *Push) error {
	go func() { // acks arrive on another goroutine, as from the network
		b.hub.Ack(b.id, p.RequestID, true)
		b.wg.Done()
	}()
	return nil
}

// BenchmarkDispatch measures one change fanned out to N subscribers and
// acknowledged by all: encode once, worker pool, ack matching.
func BenchmarkDispatch(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchDispatch(b, n, func(*Options) {}) })
	}
}

// BenchmarkDispatchTraced is BenchmarkDispatch with a change span and a
// span per push: sampler off (ids only), ratio 0.01 and always (change
// spans batched to an exporter that discards them; push spans queued as
// values, as the batcher does; what the exporter's side then makes of
// them is gateway/telemetry's benchmark).
func BenchmarkDispatchTraced(b *testing.B) {
	samplers := []struct {
		name string
		s    sdktrace.Sampler
	}{
		{"off", sdktrace.NeverSample()},
		{"ratio0.01", sdktrace.TraceIDRatioBased(0.01)},
		{"always", sdktrace.AlwaysSample()},
	}
	for _, sm := range samplers {
		b.Run(sm.name, func(b *testing.B) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(sm.s)),
				sdktrace.WithBatcher(tracetest.NewNoopExporter()))
			defer tp.Shutdown(context.Background())
			benchDispatch(b, 1000, func(o *Options) {
				o.Tracer = tp.Tracer("fanout-bench")
				o.PushSpans = &queueRecorder{}
			})
		})
	}
}

// queueRecorder queues push spans in batches of 2048 and forgets them.
type queueRecorder struct {
	mu    sync.Mutex // protects queue
	queue []PushSpan
}

func (r *queueRecorder) RecordPush(ps PushSpan) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.queue = append(r.queue, ps); len(r.queue) == 2048 {
		clear(r.queue)
		r.queue = r.queue[:0]
	}
}

func benchDispatch(b *testing.B, n int, with func(*Options)) {
	reg := upstream.NewEmbedded()
	defer reg.Close()
	opts := Options{Workers: 32}
	with(&opts)
	hub, err := NewHub(NamingSource(reg), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer hub.Close()
	key := upstream.ServiceKey{Name: "bench"}.Normalize()
	topic := NamingTopic(key)
	var wg sync.WaitGroup
	subs := make([]*subscription, n)
	for i := range subs {
		su := &subscription{hub: hub, sub: &benchSub{id: "c" + strconv.Itoa(i), hub: hub, wg: &wg},
			topic: topic, policy: &hub.opts.Naming}
		subs[i] = su
	}
	rev := time.Now().UnixMilli()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rev++
		wg.Add(n)
		snap := NamingSnapshot(upstream.Service{Key: key, Revision: rev})
		var change changeTrace
		hub.tr.changed(&change, topic, rev, time.Now())
		hub.send(topic, snap, group{enc: benchEnc}, subs, change.context(), time.Now())
		wg.Wait()
		hub.tr.dispatched(change, rev, n, time.Now())
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/push")
}
