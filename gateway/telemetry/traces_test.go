package telemetry

import (
	"context"
	"net"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"

	"github.com/herald-gateway/herald/conf"
)

// grpcCollector is an OTLP/gRPC trace collector on 127.0.0.1 that hands
// over the names of the spans it receives.
type grpcCollector struct {
	coltracepb.UnimplementedTraceServiceServer
	names chan string
}

func (c *grpcCollector) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				select {
				case c.names <- s.Name:
				default:
				}
			}
		}
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func startCollector(t *testing.T) (*grpcCollector, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &grpcCollector{names: make(chan string, 16)}
	srv := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(srv, c)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return c, "http://" + ln.Addr().String()
}

func tracesConfig(endpoint, sampler string) conf.TracesConfig {
	cfg := conf.Default().Telemetry.Traces
	cfg.Endpoint, cfg.Protocol, cfg.Sampler, cfg.ExportInterval = endpoint, "grpc", sampler, 20*time.Millisecond
	return cfg
}

// With protocol grpc a sampled span reaches a real OTLP/gRPC collector;
// with sampler off none does, though the span still has a trace id.
func TestOTLPGRPCExport(t *testing.T) {
	col, endpoint := startCollector(t)
	for _, tc := range []struct {
		sampler string
		want    bool
	}{{"off", false}, {"always", true}} {
		tp, err := NewTracerProvider(tracesConfig(endpoint, tc.sampler), "test")
		if err != nil {
			t.Fatal(err)
		}
		_, span := tp.Tracer(TracerName).Start(context.Background(), "span-"+tc.sampler)
		if !span.SpanContext().TraceID().IsValid() {
			t.Errorf("sampler %s: span has no trace id", tc.sampler)
		}
		span.End()
		if err := tp.Shutdown(context.Background()); err != nil { // flushes
			t.Fatalf("sampler %s: shutdown: %v", tc.sampler, err)
		}
		// Shutdown returns after the export call, so what was sent is in.
		select {
		case name := <-col.names:
			if !tc.want || name != "span-"+tc.sampler {
				t.Errorf("sampler %s: collector got %q", tc.sampler, name)
			}
		default:
			if tc.want {
				t.Errorf("sampler %s: nothing exported by shutdown", tc.sampler)
			}
		}
	}
}
