package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/herald-gateway/herald/gateway/daemon"
	"github.com/herald-gateway/herald/tracker"
)

// pushAcked has an SDK client subscribe to service, registers an
// instance from another client, and returns the acked tracker record of
// the push that followed.
func pushAcked(t *testing.T, d *daemon.Daemon, service string) tracker.Record {
	t.Helper()
	port := grpcPort(t, d)
	sub, reg := newClient(t, port, ""), newClient(t, port, "")
	w := newWatcher()
	subscribe(t, sub, w, vo.SubscribeParam{ServiceName: service})
	mustRegister(t, reg, instance(service, "10.7.0.1", 80))
	w.waitFor(t, "the instance", 20*time.Second, hasAddrs("10.7.0.1:80"))
	return findResult(t, d, "/v1/tracks/service", url.Values{"service": {service}}, "acked")
}

// A push to a real SDK client is exported over OTLP/HTTP as a change span
// with a push span under it, and the tracker record of that push carries
// the same trace id.
func TestTraceExportedOverOTLPHTTP(t *testing.T) {
	rcv := newOTLPReceiver(t)
	cfg := trackingConfig(t, "")
	cfg.Telemetry.Traces.Endpoint = rcv.srv.URL
	cfg.Telemetry.Traces.ExportInterval = 50 * time.Millisecond
	d := startHerald(t, cfg)
	rec := pushAcked(t, d, "traced")
	if len(rec.TraceID) != 32 {
		t.Fatalf("acked record has trace id %q", rec.TraceID)
	}
	var push, change *tracepb.Span
	rcv.waitSpans(t, "the push and change spans of trace "+rec.TraceID, 20*time.Second, func(spans []*tracepb.Span) bool {
		push, change = nil, nil
		for _, s := range spans {
			switch {
			case traceHex(s) != rec.TraceID:
			case s.Name == "herald.push" && spanAttr(s, "herald.result").GetStringValue() == "acked":
				push = s
			case s.Name == "herald.change":
				change = s
			}
		}
		return push != nil && change != nil
	})
	if !bytes.Equal(push.ParentSpanId, change.SpanId) {
		t.Errorf("push span parent %x, want the change span %x", push.ParentSpanId, change.SpanId)
	}
	want := map[string]string{"herald.service": "traced", "herald.group": "DEFAULT_GROUP",
		"herald.namespace": "public", "herald.connection_id": rec.ConnID, "herald.push_id": rec.PushID,
		"herald.client_ip": rec.ClientIP}
	for k, v := range want {
		if got := spanAttr(push, k).GetStringValue(); got != v {
			t.Errorf("push span %s = %q, want %q", k, got, v)
		}
	}
	if got := spanAttr(push, "herald.revision").GetIntValue(); got != rec.Revision {
		t.Errorf("push span revision %d, record %d", got, rec.Revision)
	}
	if spanAttr(push, "herald.payload_bytes").GetIntValue() != int64(rec.Bytes) || spanAttr(push, "herald.attempt").GetIntValue() != 1 {
		t.Errorf("push span attributes %v, record %+v", push.Attributes, rec)
	}
}

// With no endpoint nothing is exported and nothing sampled, yet tracker
// records still carry a trace id.
func TestTraceIDWithoutExport(t *testing.T) {
	d := startHerald(t, trackingConfig(t, ""))
	if rec := pushAcked(t, d, "untraced"); len(rec.TraceID) != 32 {
		t.Fatalf("acked record has trace id %q, want one whatever the sampling", rec.TraceID)
	}
}

// scrape GETs /metrics and parses it.
func scrape(t *testing.T, d *daemon.Daemon) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + d.AdminAddr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics status %d", resp.StatusCode)
	}
	// Herald writes only legacy (ASCII) metric names.
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// sample returns the value of family's series with the given labels
// (counter, gauge, or a histogram's count); 0 when absent.
func sample(fams map[string]*dto.MetricFamily, family string, labels ...string) float64 {
	f := fams[family]
	if f == nil {
		return 0
	}
	for _, m := range f.Metric {
		if hasLabels(m, labels) {
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return 0
}

// hasLabels reports whether m has every name=value pair of kv.
func hasLabels(m *dto.Metric, kv []string) bool {
	for i := 0; i+1 < len(kv); i += 2 {
		found := false
		for _, l := range m.Label {
			found = found || l.GetName() == kv[i] && l.GetValue() == kv[i+1]
		}
		if !found {
			return false
		}
	}
	return true
}

// /metrics parses as Prometheus text, and the connection, subscription,
// push, latency and request series move with a push to an SDK client.
func TestMetricsScraped(t *testing.T) {
	d := startHerald(t, trackingConfig(t, ""))
	before := scrape(t, d)
	pushAcked(t, d, "metered")
	// A 1.x client: an ephemeral instance kept alive by beats.
	if code, body := nacosCall(t, d, "POST", "/v1/ns/instance", url.Values{
		"serviceName": {"metered-http"}, "ip": {"10.9.0.1"}, "port": {"80"}, "ephemeral": {"true"},
	}); code != 200 {
		t.Fatalf("HTTP register: %d %s", code, body)
	}
	var after map[string]*dto.MetricFamily
	checks := []struct {
		family string
		labels []string
		min    float64 // after must reach before + min
	}{
		{"herald_connections", []string{"protocol", "grpc"}, 2},
		{"herald_subscriptions", nil, 1},
		{"herald_upstream_subscriptions", nil, 1},
		{"herald_pushes_total", []string{"result", "acked"}, 1},
		{"herald_push_ack_seconds", nil, 1},
		{"herald_tracker_written_total", nil, 1},
		{"herald_requests_total", []string{"protocol", "grpc", "type", "InstanceRequest", "code", "200"}, 1},
		{"herald_request_duration_seconds", []string{"type", "SubscribeServiceRequest"}, 1},
		{"herald_connections", []string{"protocol", "http"}, 1},
		{"herald_requests_total", []string{"protocol", "http", "type", "POST /nacos/v1/ns/instance", "code", "200"}, 1},
	}
	eventually(t, "metrics to move", 20*time.Second, func() error {
		after = scrape(t, d)
		for _, c := range checks {
			if b, a := sample(before, c.family, c.labels...), sample(after, c.family, c.labels...); a < b+c.min {
				return fmt.Errorf("%s%v went from %v to %v, want +%v", c.family, c.labels, b, a, c.min)
			}
		}
		return nil
	})
	for _, f := range []string{"herald_push_retry_queue", "herald_tracker_dropped_total", "herald_tracker_writer_lag_seconds", "herald_tracker_queued"} {
		if after[f] == nil {
			t.Errorf("/metrics lacks %s", f)
		}
	}
}
