package gateway

import (
	"strconv"
	"testing"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// BenchmarkEncodePush measures encoding one NotifySubscriberRequest frame,
// done once per (revision, cluster filter) however many subscribers.
func BenchmarkEncodePush(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(strconv.Itoa(n)+"hosts", func(b *testing.B) {
			svc := upstream.Service{Key: upstream.ServiceKey{Name: "bench"}.Normalize(), Revision: 1}
			for i := range n {
				svc.Instances = append(svc.Instances, upstream.Instance{
					IP: "10.0.0." + strconv.Itoa(i%250), Port: uint64(8000 + i), Weight: 1, Healthy: true, Enabled: true,
					ClusterName: "DEFAULT", Metadata: map[string]string{"zone": "a", "version": "v1"},
				})
			}
			enc := pushEncoder{ids: &requestIDs{}}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := enc.Encode(fanout.NamingTopic(svc.Key), fanout.NamingSnapshot(svc), ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
