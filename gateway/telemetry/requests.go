package telemetry

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// RequestMetrics counts client requests and their latency by protocol
// (grpc, http, ...), request type and result code: herald_requests_total
// and herald_request_duration_seconds. Every endpoint reports through
// Observe; it is safe for concurrent use.
type RequestMetrics struct {
	count metric.Int64Counter
	hist  metric.Float64Histogram
	// labels caches the attribute sets by requestLabels: building them
	// allocated four times per request. The keys are bounded as the
	// label values are.
	labels sync.Map // requestLabels -> *requestSets
}

type requestLabels struct {
	protocol, typ string
	code          int
}

// requestSets are one label combination's attributes: the counter's
// (protocol, type, code) and the histogram's (protocol, type).
type requestSets struct {
	count, hist metric.MeasurementOption
}

// NewRequestMetrics makes the request instruments.
func (m *Metrics) NewRequestMetrics() (*RequestMetrics, error) {
	c, err := m.meter.Int64Counter("herald_requests",
		metric.WithDescription("Client requests by protocol, type and result code."))
	if err != nil {
		return nil, fmt.Errorf("request counter: %w", err)
	}
	h, err := m.meter.Float64Histogram("herald_request_duration_seconds",
		metric.WithDescription("Client request latency by protocol and type."), metric.WithUnit("s"))
	if err != nil {
		return nil, fmt.Errorf("request histogram: %w", err)
	}
	return &RequestMetrics{count: c, hist: h}, nil
}

// Observe records one request of type typ served over protocol in d with
// result code (Nacos codes: 200 ok, 4xx/5xx errors). Callers bound typ to
// known request types, so label cardinality stays small.
func (r *RequestMetrics) Observe(protocol, typ string, d time.Duration, code int) {
	ctx := context.Background()
	sets := r.sets(requestLabels{protocol, typ, code})
	r.count.Add(ctx, 1, sets.count)
	r.hist.Record(ctx, d.Seconds(), sets.hist)
}

func (r *RequestMetrics) sets(l requestLabels) *requestSets {
	if v, ok := r.labels.Load(l); ok {
		return v.(*requestSets)
	}
	p, t := attribute.String("protocol", l.protocol), attribute.String("type", l.typ)
	v, _ := r.labels.LoadOrStore(l, &requestSets{
		count: metric.WithAttributeSet(attribute.NewSet(p, t, attribute.String("code", strconv.Itoa(l.code)))),
		hist:  metric.WithAttributeSet(attribute.NewSet(p, t)),
	})
	return v.(*requestSets)
}
