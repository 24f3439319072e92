package telemetry

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// writeProm renders collected metrics in the Prometheus text format.
// Instrument names are already Prometheus names; monotonic sums become
// counters (with a _total suffix), other sums and gauges gauges, and
// histograms cumulative _bucket/_sum/_count series.
func writeProm(w io.Writer, rm *metricdata.ResourceMetrics) error {
	bw := bufio.NewWriter(w)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			writeMetric(bw, m)
		}
	}
	return bw.Flush()
}

func writeMetric(w *bufio.Writer, m metricdata.Metrics) {
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		writePoints(w, sumName(m.Name, d.IsMonotonic), m.Description, sumType(d.IsMonotonic), d.DataPoints)
	case metricdata.Sum[float64]:
		writePoints(w, sumName(m.Name, d.IsMonotonic), m.Description, sumType(d.IsMonotonic), d.DataPoints)
	case metricdata.Gauge[int64]:
		writePoints(w, m.Name, m.Description, "gauge", d.DataPoints)
	case metricdata.Gauge[float64]:
		writePoints(w, m.Name, m.Description, "gauge", d.DataPoints)
	case metricdata.Histogram[float64]:
		writeHistogram(w, m.Name, m.Description, d.DataPoints)
	case metricdata.Histogram[int64]:
		writeHistogram(w, m.Name, m.Description, d.DataPoints)
	}
}

func sumName(name string, monotonic bool) string {
	if monotonic && !strings.HasSuffix(name, "_total") {
		return name + "_total"
	}
	return name
}

func sumType(monotonic bool) string {
	if monotonic {
		return "counter"
	}
	return "gauge"
}

func writeHeader(w *bufio.Writer, name, help, typ string) {
	w.WriteString("# HELP " + name + " " + escapeHelp(help) + "\n")
	w.WriteString("# TYPE " + name + " " + typ + "\n")
}

func writePoints[N int64 | float64](w *bufio.Writer, name, help, typ string, dps []metricdata.DataPoint[N]) {
	if len(dps) == 0 {
		return
	}
	writeHeader(w, name, help, typ)
	for _, dp := range dps {
		writeSample(w, name, labels(dp.Attributes, ""), float64(dp.Value))
	}
}

func writeHistogram[N int64 | float64](w *bufio.Writer, name, help string, dps []metricdata.HistogramDataPoint[N]) {
	if len(dps) == 0 {
		return
	}
	writeHeader(w, name, help, "histogram")
	for _, dp := range dps {
		var cum uint64
		for i, n := range dp.BucketCounts {
			cum += n
			le := math.Inf(1)
			if i < len(dp.Bounds) {
				le = dp.Bounds[i]
			}
			writeSample(w, name+"_bucket", labels(dp.Attributes, formatFloat(le)), float64(cum))
		}
		writeSample(w, name+"_sum", labels(dp.Attributes, ""), float64(dp.Sum))
		writeSample(w, name+"_count", labels(dp.Attributes, ""), float64(dp.Count))
	}
}

func writeSample(w *bufio.Writer, name, labels string, v float64) {
	w.WriteString(name + labels + " " + formatFloat(v) + "\n")
}

// labels renders a label set ({k="v",...}), with le appended when set.
func labels(set attribute.Set, le string) string {
	if set.Len() == 0 && le == "" {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	it := set.Iter()
	for it.Next() {
		kv := it.Attribute()
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(string(kv.Key) + `="` + escapeLabel(kv.Value.String()) + `"`)
	}
	if le != "" {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(`le="` + le + `"`)
	}
	b.WriteByte('}')
	return b.String()
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
