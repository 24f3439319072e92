package telemetry

import (
	"context"
	"fmt"
	"io"

	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// LatencyBuckets are the histogram bucket bounds, in seconds, of every
// latency histogram: 0.5 ms to 10 s.
var LatencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Metrics is Herald's meter provider, read at scrape time.
type Metrics struct {
	provider *sdkmetric.MeterProvider
	reader   sdkmetric.Reader
	meter    metric.Meter
}

// NewMetrics returns a meter provider whose metrics WritePrometheus
// renders.
func NewMetrics() *Metrics {
	reader := sdkmetric.NewManualReader()
	hist := sdkmetric.NewView(sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: LatencyBuckets}})
	p := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithView(hist))
	return &Metrics{provider: p, reader: reader, meter: p.Meter("github.com/herald-gateway/herald")}
}

// Meter is the meter Herald's instruments are made with.
func (m *Metrics) Meter() metric.Meter { return m.meter }

// WritePrometheus collects every metric (running the observable
// callbacks) and writes them in the Prometheus text format 0.0.4.
func (m *Metrics) WritePrometheus(ctx context.Context, w io.Writer) error {
	var rm metricdata.ResourceMetrics
	if err := m.reader.Collect(ctx, &rm); err != nil {
		return fmt.Errorf("collect metrics: %w", err)
	}
	return writeProm(w, &rm)
}

// Shutdown stops the provider.
func (m *Metrics) Shutdown(ctx context.Context) error { return m.provider.Shutdown(ctx) }

// ContentType is the media type WritePrometheus produces.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"
