package telemetry

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/herald-gateway/herald/fanout"
)

// captureClient is an OTLP client that keeps what it is asked to upload.
type captureClient struct{ got []*tracepb.ResourceSpans }

func (c *captureClient) Start(context.Context) error { return nil }
func (c *captureClient) Stop(context.Context) error  { return nil }
func (c *captureClient) UploadTraces(_ context.Context, rs []*tracepb.ResourceSpans) error {
	c.got = append(c.got, rs...)
	return nil
}

// Push spans encoded by otlpPushes are, message for message, what the
// OTLP exporter uploads for the same spans made SDK spans: an acked first
// attempt and a timed-out retry with its link, encoded in one batch.
func TestOTLPPushesAreTheExportersMessages(t *testing.T) {
	res := resource.NewSchemaless(attribute.String("service.name", "herald"), attribute.String("service.instance.id", "n1"))
	scope := instrumentation.Scope{Name: TracerName}
	change := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{7, 1}, SpanID: trace.SpanID{7, 2},
		TraceFlags: trace.FlagsSampled})
	acked := pushSpan(change, 1)
	retry := pushSpan(change, 2)
	retry.Event, retry.Attempt, retry.Reason = fanout.EventTimedOut, 2, "no acknowledgement"
	retry.First = trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{6}, SpanID: trace.SpanID{6},
		TraceFlags: trace.FlagsSampled})
	retry.At = retry.At.Add(time.Second)
	pushes := []fanout.PushSpan{acked, retry}

	client := &captureClient{}
	exp, err := otlptrace.New(context.Background(), client)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(context.Background(), []sdktrace.ReadOnlySpan{sdkPushSpan(&acked, res, scope), sdkPushSpan(&retry, res, scope)}); err != nil {
		t.Fatal(err)
	}
	got := newOTLPPushes(res, scope).encode(pushes)
	if len(client.got) != 1 || len(got) != 1 {
		t.Fatalf("exporter uploaded %d resource spans, encode made %d; want 1 and 1", len(client.got), len(got))
	}
	if !proto.Equal(got[0], client.got[0]) {
		t.Fatalf("encoded push spans differ from the exporter's\n got %v\nwant %v", got[0], client.got[0])
	}
}
