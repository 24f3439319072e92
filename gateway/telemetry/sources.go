package telemetry

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/herald-gateway/herald/tracker"
)

// Sources are the state the gauges and counters read at scrape time. They
// are called from the scraping goroutine and must be safe for concurrent
// use; a nil source leaves its metrics out.
type Sources struct {
	// Connections counts live client connections by protocol ("grpc";
	// "http" and "udp" when those endpoints exist).
	Connections func() map[string]int
	// Subscriptions counts services with an upstream subscription and
	// client subscriptions (fanout.Hub.Stats).
	Subscriptions func() (upstream, subscriptions int)
	// Pushes counts push outcomes by result (fanout.Hub.Counts).
	Pushes func() map[string]uint64
	// RetryQueue is how many subscriptions wait for a retry
	// (fanout.Hub.Retrying).
	RetryQueue func() int
	// Tracker is the push-record writer's counters (tracker.Recorder.Stats).
	Tracker func() tracker.RecorderStats
}

// instruments are the observable instruments Sources feed.
type instruments struct {
	conns, subs, upstream, retry, trQueued metric.Int64ObservableGauge
	pushes, trDropped, trWritten           metric.Int64ObservableCounter
	trLag                                  metric.Float64ObservableGauge
}

// Observe registers the observable metrics read from src.
func (m *Metrics) Observe(src Sources) error {
	in, err := newInstruments(m.meter)
	if err != nil {
		return err
	}
	_, err = m.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		in.observe(o, src)
		return nil
	}, in.conns, in.subs, in.upstream, in.retry, in.trQueued, in.pushes, in.trDropped, in.trWritten, in.trLag)
	if err != nil {
		return fmt.Errorf("register metric callback: %w", err)
	}
	return nil
}

func newInstruments(mt metric.Meter) (*instruments, error) {
	var in instruments
	var errs [9]error
	in.conns, errs[0] = mt.Int64ObservableGauge("herald_connections", metric.WithDescription("Live client connections by protocol."))
	in.subs, errs[1] = mt.Int64ObservableGauge("herald_subscriptions", metric.WithDescription("Client subscriptions (connection, service, cluster filter)."))
	in.upstream, errs[2] = mt.Int64ObservableGauge("herald_upstream_subscriptions", metric.WithDescription("Services with an upstream subscription."))
	in.retry, errs[3] = mt.Int64ObservableGauge("herald_push_retry_queue", metric.WithDescription("Subscriptions whose push waits for a retry."))
	in.trQueued, errs[4] = mt.Int64ObservableGauge("herald_tracker_queued", metric.WithDescription("Push outcomes queued for the tracker store."))
	in.pushes, errs[5] = mt.Int64ObservableCounter("herald_pushes", metric.WithDescription("Push outcomes by result: sent, retried, acked, failed, timeout, superseded, dropped."))
	in.trDropped, errs[6] = mt.Int64ObservableCounter("herald_tracker_dropped", metric.WithDescription("Push records lost (queue or backlog full)."))
	in.trWritten, errs[7] = mt.Int64ObservableCounter("herald_tracker_written", metric.WithDescription("Push records stored."))
	in.trLag, errs[8] = mt.Float64ObservableGauge("herald_tracker_writer_lag_seconds", metric.WithDescription("Age of the oldest record of the last batch written, when written."))
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("metric instrument: %w", err)
		}
	}
	return &in, nil
}

// observe reads every source once.
func (in *instruments) observe(o metric.Observer, src Sources) {
	if src.Connections != nil {
		conns := src.Connections()
		for _, proto := range slices.Sorted(maps.Keys(conns)) {
			o.ObserveInt64(in.conns, int64(conns[proto]), metric.WithAttributes(attribute.String("protocol", proto)))
		}
	}
	if src.Subscriptions != nil {
		up, subs := src.Subscriptions()
		o.ObserveInt64(in.upstream, int64(up))
		o.ObserveInt64(in.subs, int64(subs))
	}
	if src.Pushes != nil {
		for result, n := range src.Pushes() {
			o.ObserveInt64(in.pushes, int64(n), metric.WithAttributes(attribute.String("result", result)))
		}
	}
	if src.RetryQueue != nil {
		o.ObserveInt64(in.retry, int64(src.RetryQueue()))
	}
	if src.Tracker != nil {
		st := src.Tracker()
		o.ObserveInt64(in.trQueued, int64(st.Queued))
		o.ObserveInt64(in.trDropped, int64(st.Dropped))
		o.ObserveInt64(in.trWritten, int64(st.Written))
		o.ObserveFloat64(in.trLag, float64(st.LagMs)/1000)
	}
}
