package daemon

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway/telemetry"
	"github.com/herald-gateway/herald/tracker"
)

// telemetryParts are the daemon's tracing and metrics.
type telemetryParts struct {
	tracing  telemetry.Tracing
	metrics  *telemetry.Metrics
	latency  *telemetry.PushLatency
	requests *telemetry.RequestMetrics
}

// startTelemetry makes the tracer provider (exporting when an endpoint
// is configured) and the metric instruments recorded on the hot paths.
func (d *Daemon) startTelemetry() error {
	tracing, err := telemetry.NewTracing(d.cfg.Telemetry.Traces, d.cfg.Node)
	if err != nil {
		return fmt.Errorf("telemetry: %w", err)
	}
	m := telemetry.NewMetrics()
	d.tel = telemetryParts{tracing: tracing, metrics: m}
	if d.tel.latency, err = m.NewPushLatency(); err == nil {
		d.tel.requests, err = m.NewRequestMetrics()
	}
	if err != nil {
		d.stopTelemetry()
		return fmt.Errorf("telemetry: %w", err)
	}
	return nil
}

// hubTelemetry is what the Hub is given: the tracker recorder composed
// with the push latency histogram, and its tracing.
func (d *Daemon) hubTelemetry(rec *tracker.Recorder) (fanout.Observer, telemetry.Tracing) {
	return fanout.Observers{rec, d.tel.latency}, d.tel.tracing
}

// observeState registers the metrics read from the running parts.
func (d *Daemon) observeState() error {
	if err := d.tel.metrics.ObserveRefusals(d.refusals); err != nil {
		return err
	}
	return d.tel.metrics.Observe(telemetry.Sources{
		// A 1.x client holds no connection: "http" counts the instances
		// kept alive by beats, "udp" the UDP push subscribers.
		Connections: func() map[string]int {
			conns, _ := d.grpc.Stats()
			beats, udp := d.http.Stats()
			return map[string]int{"grpc": conns, "http": beats, "udp": udp}
		},
		Subscriptions: func() (int, int) { return d.hub.Stats(fanout.KindNaming) },
		Pushes:        d.hub.Counts,
		RetryQueue:    d.hub.Retrying,
		Tracker:       d.recorder.Stats,
	})
}

// stopTelemetry flushes batched spans and stops the providers.
func (d *Daemon) stopTelemetry() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if d.tel.tracing.Provider != nil {
		if err := d.tel.tracing.Provider.Shutdown(ctx); err != nil {
			d.log.Warn("tracer shutdown", "err", err)
		}
	}
	if d.tel.metrics != nil {
		if err := d.tel.metrics.Shutdown(ctx); err != nil {
			d.log.Warn("metrics shutdown", "err", err)
		}
	}
}

// serveMetrics answers GET /metrics in the Prometheus text format.
func (d *Daemon) serveMetrics(ctx context.Context, c *app.RequestContext) {
	var buf bytes.Buffer
	if err := d.tel.metrics.WritePrometheus(ctx, &buf); err != nil {
		d.log.Error("metrics scrape", "err", err)
		c.String(http.StatusInternalServerError, "metrics: %v\n", err)
		return
	}
	c.Data(http.StatusOK, telemetry.ContentType, buf.Bytes())
}
