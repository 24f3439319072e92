// Package telemetry sets up Herald's OpenTelemetry: the tracing (a tracer
// provider for fanout's change spans and one batcher that exports them
// with the push spans fanout records as values, over OTLP/HTTP or gRPC
// when an endpoint is configured), and the metrics served for Prometheus
// at /metrics on the admin listener.
//
// Metrics mostly read state that already exists (the Hub's counters, the
// gateway's connections, the tracker Recorder's stats) at scrape time
// through Sources; only the latency histograms are recorded as events
// happen (PushLatency, RequestMetrics).
//
// The Prometheus text format is written here from the SDK's ManualReader:
// the upstream Prometheus exporter needs a newer prometheus/client_golang
// than the one nacos-sdk-go pins, and dependencies are not upgraded.
package telemetry
