package fanout

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

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
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			reg := upstream.NewEmbedded()
			defer reg.Close()
			hub, err := NewHub(reg, Options{Workers: 32})
			if err != nil {
				b.Fatal(err)
			}
			defer hub.Close()
			key := upstream.ServiceKey{Name: "bench"}.Normalize()
			var wg sync.WaitGroup
			subs := make([]*subscription, n)
			for i := range subs {
				su := &subscription{hub: hub, sub: &benchSub{id: "c" + strconv.Itoa(i), hub: hub, wg: &wg}, key: key}
				subs[i] = su
			}
			rev := time.Now().UnixMilli()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rev++
				wg.Add(n)
				hub.send(upstream.Service{Key: key, Revision: rev}, group{enc: benchEnc}, subs, trace.SpanContext{}, time.Now())
				wg.Wait()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/push")
		})
	}
}
