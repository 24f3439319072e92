package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// WriteSummary prints the report for people, then one JSON line with
// every figure.
func (r *Report) WriteSummary(w io.Writer) error {
	var b strings.Builder
	status := "OK"
	if !r.OK {
		status = "FAILED: " + r.Error
	}
	fmt.Fprintf(&b, "scenario %s: %s\n", r.Scenario, status)
	fmt.Fprintf(&b, "  machine: %d cpu (%s), %.1f GiB, %s, kernel %s, load %s -> %s\n",
		r.Machine.NProc, r.Machine.CPU, float64(r.Machine.MemTotalKiB)/(1<<20), r.Machine.GoVersion,
		r.Machine.Kernel, r.Machine.LoadAvg, r.LoadEnd)
	fmt.Fprintf(&b, "  herald %s: %s\n", r.Commit, strings.Join(slices.Concat(r.Herald.Env, r.Herald.Args), " "))
	switch {
	case r.Idle != nil:
		r.Idle.summary(&b)
	case r.Fanout != nil:
		r.Fanout.summary(&b)
	case r.Register != nil:
		r.Register.summary(&b)
	case r.Chain != nil:
		r.Chain.summary(&b)
	case r.LongPoll != nil:
		r.LongPoll.summary(&b)
	}
	if r.Herald.Log != "" {
		fmt.Fprintf(&b, "  herald log tail:\n%s\n", r.Herald.Log)
	}
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	b.Write(line)
	b.WriteByte('\n')
	_, err = io.WriteString(w, b.String())
	return err
}

func (r *IdleResult) summary(b *strings.Builder) {
	fmt.Fprintf(b, "  connections: %d subscribed in %.1fs (%.0f/s); herald stats %+v; dropped %d; detections acked %d\n",
		r.Conns, r.OpenSeconds, r.OpensPerSecond, r.Stats, r.Dropped, r.Detections)
	fmt.Fprintf(b, "  herald VmRSS: %d KiB idle -> %d KiB loaded (RssAnon %d -> %d KiB, threads %d)\n",
		r.Baseline.RSSKiB, r.Loaded.RSSKiB, r.Baseline.AnonKiB, r.Loaded.AnonKiB, r.Loaded.Threads)
	fmt.Fprintf(b, "  cpu while opening: %s\n", r.OpenCPU)
	if g := r.GCLoaded; g != nil {
		fmt.Fprintf(b, "  herald last GC (#%d): heap live %d MB, goal %d MB, stacks %d MB\n",
			g.Cycle, g.HeapLiveMB, g.HeapGoalMB, g.StacksMB)
	}
	fmt.Fprintf(b, "  => %.1f KiB per connection (RssAnon %.1f KiB)\n", r.KiBPerConn, r.AnonKiBPerConn)
}

func (r *FanoutResult) summary(b *strings.Builder) {
	fmt.Fprintf(b, "  %d subscribers, %d changes, %s; dropped %d\n", r.Subs, r.Changes, r.Mode, r.Dropped)
	fmt.Fprintf(b, "  delivered %d / expected %d (final change %d); changes timed out %d; unmatched pushes %d\n",
		r.Delivered, r.Expected, r.DeliveredFinal, r.TimedOut, r.Unmatched)
	fmt.Fprintf(b, "  change-to-ack: p50 %.2f ms, p99 %.2f ms, max %.2f ms, mean %.2f ms (%d clamped from < 0)\n",
		r.Latency.P50Ms, r.Latency.P99Ms, r.Latency.MaxMs, r.Latency.MeanMs, r.NegativeClamped)
	fmt.Fprintf(b, "  from register sent: p50 %.2f ms, p99 %.2f ms, max %.2f ms; register call p50 %.2f ms, max %.2f ms\n",
		r.FromSend.P50Ms, r.FromSend.P99Ms, r.FromSend.MaxMs, r.RegisterMs.P50Ms, r.RegisterMs.MaxMs)
	fmt.Fprintf(b, "  cpu: %s; herald %.1f µs per push\n", r.CPU, r.HeraldCPUPerPushUs)
	fmt.Fprintf(b, "  => %.0f pushes acked/s over %.3fs\n", r.PushesPerSecond, r.RunSeconds)
}

func (r *ChainResult) summary(b *strings.Builder) {
	where := "edge"
	if r.Direct {
		where = "core (direct baseline)"
	}
	fmt.Fprintf(b, "  %d subscribers on the %s over %d services, %d changes on the core; dropped %d\n",
		r.Subs, where, r.Services, r.Changes, r.Dropped)
	fmt.Fprintf(b, "  edge subscriptions %d; core subscribed services %d, subscriptions %d; upstream subscribes sent %d\n",
		r.EdgeSubscriptions, r.CoreServices, r.CoreSubscriptions, r.UpstreamSubscribes)
	fmt.Fprintf(b, "  per change: core pushes %.2f, upstream pushes received by the edge %.2f, edge pushes %.2f\n",
		r.CorePushesPerChange, r.UpstreamPushesPerChange, r.EdgePushesPerChange)
	fmt.Fprintf(b, "  delivered %d / expected %d; changes timed out %d\n", r.Delivered, r.Expected, r.TimedOut)
	fmt.Fprintf(b, "  core change-to-edge-ack: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		r.Latency.P50Ms, r.Latency.P99Ms, r.Latency.MaxMs)
}

func (r *RegisterResult) summary(b *strings.Builder) {
	fmt.Fprintf(b, "  %d connections (shared service: %v), %d calls in %.2fs, %d errors\n",
		r.Conns, r.Shared, r.Ops, r.Seconds, r.Errors)
	fmt.Fprintf(b, "  latency: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", r.Latency.P50Ms, r.Latency.P99Ms, r.Latency.MaxMs)
	fmt.Fprintf(b, "  cpu: %s; herald %.1f µs per call\n", r.CPU, r.HeraldCPUPerOpUs)
	fmt.Fprintf(b, "  => %.0f ops/s\n", r.OpsPerSecond)
}

func (c CPU) String() string {
	return fmt.Sprintf("herald %.2fs, loadgen %.2fs over %.2fs wall", c.HeraldSeconds, c.LoadgenSeconds, c.WallSeconds)
}
