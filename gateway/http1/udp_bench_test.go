package http1

import (
	"strconv"
	"testing"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// BenchmarkUDPEncode encodes one revision of a 20-instance service, once
// per (revision, cluster filter) as the Hub does for all UDP subscribers.
func BenchmarkUDPEncode(b *testing.B) {
	enc := newUDPEncoder()
	svc := upstream.Service{Key: upstream.ServiceKey{Name: "svc"}.Normalize(), Revision: 1}
	for i := range 20 {
		svc.Instances = append(svc.Instances, upstream.Instance{IP: "10.0.0." + strconv.Itoa(i), Port: 8080,
			ClusterName: "DEFAULT", Weight: 1, Enabled: true, Healthy: true, Metadata: map[string]string{"zone": "a"}})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := enc.Encode(fanout.NamingTopic(svc.Key), fanout.NamingSnapshot(svc), ""); err != nil {
			b.Fatal(err)
		}
	}
}
