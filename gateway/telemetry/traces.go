package telemetry

import (
	"context"
	"fmt"
	"net/url"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/herald-gateway/herald/conf"
)

// TracerName is the instrumentation scope of Herald's spans.
const TracerName = "github.com/herald-gateway/herald/fanout"

// NewTracerProvider returns the provider for cfg. With an endpoint, spans
// the sampler keeps are batched and exported over OTLP; without one
// nothing is sampled or exported. Either way every span gets ids, so push
// records carry a trace id whatever the sampling. Shut the provider down
// to flush what is batched.
func NewTracerProvider(cfg conf.TracesConfig, node string) (*sdktrace.TracerProvider, error) {
	res := resource.NewSchemaless(
		attribute.String("service.name", "herald"),
		attribute.String("service.instance.id", node),
	)
	if cfg.Endpoint == "" {
		return sdktrace.NewTracerProvider(sdktrace.WithResource(res),
			sdktrace.WithSampler(sdktrace.NeverSample())), nil
	}
	exp, err := newExporter(cfg)
	if err != nil {
		return nil, err
	}
	return sdktrace.NewTracerProvider(sdktrace.WithResource(res),
		sdktrace.WithSampler(sampler(cfg)),
		sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(cfg.ExportInterval),
			sdktrace.WithMaxQueueSize(spanQueue), sdktrace.WithMaxExportBatchSize(spanBatch)),
	), nil
}

// The batch span processor's bounds. The SDK's defaults (2048 queued, 512
// a batch) dropped about half the push spans of a 5,000-subscriber fan-out
// at ~9,000 pushes/s with sampler always (benchmarks/RESULTS.md); a span
// that does not fit is dropped, never waited for.
const (
	spanQueue = 16384
	spanBatch = 2048
)

// sampler is the parent-based sampler cfg names.
func sampler(cfg conf.TracesConfig) sdktrace.Sampler {
	switch cfg.Sampler {
	case "ratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.Ratio))
	case "off":
		return sdktrace.ParentBased(sdktrace.NeverSample())
	default:
		return sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
}

// newExporter makes the OTLP exporter for cfg.Endpoint (validated by conf:
// an http or https URL). It connects lazily: a collector that is down
// costs dropped spans, not a failed start.
func newExporter(cfg conf.TracesConfig) (*otlptrace.Exporter, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("telemetry.traces.endpoint: %w", err)
	}
	ctx := context.Background()
	if cfg.Protocol == "grpc" {
		opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(u.Host)}
		if u.Scheme == "http" {
			opts = append(opts, otlptracegrpc.WithInsecure())
		}
		exp, err := otlptracegrpc.New(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("otlp grpc exporter: %w", err)
		}
		return exp, nil
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpoint(u.Host)}
	if u.Path != "" && u.Path != "/" {
		opts = append(opts, otlptracehttp.WithURLPath(u.Path))
	}
	if u.Scheme == "http" {
		opts = append(opts, otlptracehttp.WithInsecure())
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("otlp http exporter: %w", err)
	}
	return exp, nil
}
