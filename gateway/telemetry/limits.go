package telemetry

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// ObserveRefusals registers herald_limit_refusals_total: what each abuse
// limit refused since start, by limit (connections_per_ip,
// requests_per_second, subscriptions_per_client), read from src at scrape
// time. src must be safe for concurrent use.
func (m *Metrics) ObserveRefusals(src func() map[string]uint64) error {
	c, err := m.meter.Int64ObservableCounter("herald_limit_refusals",
		metric.WithDescription("Connections, requests and subscriptions refused by a per-client limit, by limit."))
	if err != nil {
		return fmt.Errorf("metric instrument: %w", err)
	}
	_, err = m.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		counts := src()
		for _, limit := range slices.Sorted(maps.Keys(counts)) {
			o.ObserveInt64(c, int64(counts[limit]), metric.WithAttributes(attribute.String("limit", limit)))
		}
		return nil
	}, c)
	if err != nil {
		return fmt.Errorf("register metric callback: %w", err)
	}
	return nil
}
