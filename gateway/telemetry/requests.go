package telemetry

import (
	"context"
	"fmt"
	"strconv"
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
	p, t := attribute.String("protocol", protocol), attribute.String("type", typ)
	r.count.Add(ctx, 1, metric.WithAttributes(p, t, attribute.String("code", strconv.Itoa(code))))
	r.hist.Record(ctx, d.Seconds(), metric.WithAttributes(p, t))
}
