package telemetry

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/herald-gateway/herald/tracker"
)

// The text written parses as Prometheus 0.0.4 with the types, labels and
// cumulative histogram buckets expected, label values escaped.
func TestWritePrometheus(t *testing.T) {
	m := NewMetrics()
	defer m.Shutdown(context.Background())
	err := m.Observe(Sources{
		Connections:   func() map[string]int { return map[string]int{"grpc": 3, `we"ird\`: 1} },
		Subscriptions: func() (int, int) { return 2, 5 },
		Pushes:        func() map[string]uint64 { return map[string]uint64{"acked": 7} },
		RetryQueue:    func() int { return 1 },
		Tracker:       func() tracker.RecorderStats { return tracker.RecorderStats{Written: 9, LagMs: 1500} },
	})
	if err != nil {
		t.Fatal(err)
	}
	rm, err := m.NewRequestMetrics()
	if err != nil {
		t.Fatal(err)
	}
	rm.Observe("grpc", "InstanceRequest", 3*time.Millisecond, 200)
	rm.Observe("grpc", "InstanceRequest", 2*time.Second, 500)
	rm.Observe("grpc", "InstanceRequest", 4*time.Millisecond, 200) // the first one's labels again
	var buf bytes.Buffer
	if err := m.WritePrometheus(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	// Herald writes only legacy (ASCII) metric names.
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, buf.String())
	}
	want := map[string]float64{"herald_subscriptions": 5, "herald_upstream_subscriptions": 2,
		"herald_pushes_total": 7, "herald_push_retry_queue": 1, "herald_tracker_written_total": 9,
		"herald_tracker_writer_lag_seconds": 1.5}
	for name, v := range want {
		f := fams[name]
		if f == nil || len(f.Metric) != 1 {
			t.Errorf("%s missing or not one series", name)
			continue
		}
		got := f.Metric[0].GetGauge().GetValue() + f.Metric[0].GetCounter().GetValue()
		if got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	if f := fams["herald_connections"]; f == nil || len(f.Metric) != 2 {
		t.Fatalf("connections: %v", f)
	}
	h := fams["herald_request_duration_seconds"].GetMetric()[0].GetHistogram()
	if h.GetSampleCount() != 3 || h.GetSampleSum() < 2 {
		t.Errorf("request histogram count %d sum %v", h.GetSampleCount(), h.GetSampleSum())
	}
	for _, b := range h.GetBucket() {
		wantCum := uint64(0)
		if b.GetUpperBound() >= 0.005 {
			wantCum = 2
		}
		if b.GetUpperBound() >= 2.5 {
			wantCum = 3
		}
		if b.GetCumulativeCount() != wantCum {
			t.Errorf("bucket le=%v count %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), wantCum)
		}
	}
	byCode := map[string]float64{}
	for _, m := range fams["herald_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "code" {
				byCode[l.GetValue()] = m.GetCounter().GetValue()
			}
		}
	}
	if len(byCode) != 2 || byCode["200"] != 2 || byCode["500"] != 1 {
		t.Errorf("requests_total by code %v, want 200: 2, 500: 1", byCode)
	}
}
