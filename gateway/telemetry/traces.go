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
	"go.opentelemetry.io/otel/trace"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/fanout"
)

// TracerName is the instrumentation scope of Herald's spans.
const TracerName = "github.com/herald-gateway/herald/fanout"

// Tracing is Herald's tracing: the provider of the change spans and the
// recorder of the push spans (fanout.Options.Tracer and PushSpans).
type Tracing struct {
	Provider *sdktrace.TracerProvider
	// Pushes is nil without an endpoint: nothing is sampled then.
	Pushes fanout.PushSpanRecorder
}

// Tracer is the tracer of Herald's spans.
func (t Tracing) Tracer() trace.Tracer { return t.Provider.Tracer(TracerName) }

// NewTracing returns the tracing for cfg. With an endpoint, spans the
// sampler keeps (and the push spans under them) are batched and exported
// over OTLP by one spanBatcher (push spans encoded by otlpPushes); without one nothing is sampled or
// exported. Either way every span gets ids, so push records carry a trace
// id whatever the sampling. Shut the provider down to flush what is
// batched.
func NewTracing(cfg conf.TracesConfig, node string) (Tracing, error) {
	res := resource.NewSchemaless(
		attribute.String("service.name", "herald"),
		attribute.String("service.instance.id", node),
	)
	if cfg.Endpoint == "" {
		return Tracing{Provider: sdktrace.NewTracerProvider(sdktrace.WithResource(res),
			sdktrace.WithSampler(sdktrace.NeverSample()))}, nil
	}
	client, err := newClient(cfg)
	if err != nil {
		return Tracing{}, err
	}
	exp, err := otlptrace.New(context.Background(), client)
	if err != nil {
		return Tracing{}, fmt.Errorf("otlp %s exporter: %w", cfg.Protocol, err)
	}
	// Push spans go to the exporter's client as OTLP messages.
	b := newSpanBatcher(exp, client, res, cfg.ExportInterval)
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res),
		sdktrace.WithSampler(sampler(cfg)), sdktrace.WithSpanProcessor(b))
	return Tracing{Provider: tp, Pushes: b}, nil
}

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

// newClient makes the OTLP client for cfg.Endpoint (validated by conf: an
// http or https URL). Started by otlptrace.New, it connects lazily: a
// collector that is down costs dropped spans, not a failed start.
func newClient(cfg conf.TracesConfig) (otlptrace.Client, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("telemetry.traces.endpoint: %w", err)
	}
	if cfg.Protocol == "grpc" {
		opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(u.Host)}
		if u.Scheme == "http" {
			opts = append(opts, otlptracegrpc.WithInsecure())
		}
		return otlptracegrpc.NewClient(opts...), nil
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpoint(u.Host)}
	if u.Path != "" && u.Path != "/" {
		opts = append(opts, otlptracehttp.WithURLPath(u.Path))
	}
	if u.Scheme == "http" {
		opts = append(opts, otlptracehttp.WithInsecure())
	}
	return otlptracehttp.NewClient(opts...), nil
}
