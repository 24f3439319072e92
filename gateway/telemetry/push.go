package telemetry

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/metric"

	"github.com/herald-gateway/herald/fanout"
)

// PushLatency is a fanout.Observer recording each acknowledged push's
// latency, from send to ack, in the herald_push_ack_seconds histogram.
// Counts by result come from the Hub's own counters (Sources.Pushes).
type PushLatency struct {
	hist metric.Float64Histogram
}

// NewPushLatency makes the histogram.
func (m *Metrics) NewPushLatency() (*PushLatency, error) {
	h, err := m.meter.Float64Histogram("herald_push_ack_seconds",
		metric.WithDescription("Push latency from send to the client's acknowledgement."), metric.WithUnit("s"))
	if err != nil {
		return nil, fmt.Errorf("push latency histogram: %w", err)
	}
	return &PushLatency{hist: h}, nil
}

// Observe implements fanout.Observer; it never blocks.
func (p *PushLatency) Observe(o fanout.Outcome) {
	if o.Event == fanout.EventAcked && !o.SentAt.IsZero() {
		p.hist.Record(context.Background(), o.Latency().Seconds())
	}
}
