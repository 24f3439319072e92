package telemetry

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/herald-gateway/herald/fanout"
)

// spanBatcher is the span processor of Herald's tracer provider and the
// Hub's push span recorder: it queues the sampled SDK spans (changes) and
// the push span values, and one goroutine exports both, every interval or
// as soon as a batch is full, batch by batch: the SDK spans through the
// exporter, the push spans (off the push path) encoded to OTLP and
// uploaded through the exporter's client, or, without one, made SDK spans
// for the exporter. A span that does not fit the queue is dropped, never
// waited for, and every drop is reported through the OTel error handler.
type spanBatcher struct {
	exp      sdktrace.SpanExporter
	res      *resource.Resource
	scope    instrumentation.Scope
	interval time.Duration
	// otlp, when not nil, is exp's OTLP client: push
	// spans are encoded by enc and uploaded through it instead of being
	// made SDK spans for exp.
	otlp otlptrace.Client
	enc  otlpPushes

	mu      sync.Mutex // protects spans, pushes, dropped and stopped
	spans   []sdktrace.ReadOnlySpan
	pushes  []fanout.PushSpan
	dropped int
	stopped bool

	// Owned by run: the buffers handed back to the queue at the next swap.
	spareSpans  []sdktrace.ReadOnlySpan
	sparePushes []fanout.PushSpan

	kick   chan struct{}      // a batch is full (buffer 1)
	flush  chan chan struct{} // ForceFlush: export all, then close the channel
	stop   chan struct{}      // closed by Shutdown
	exited chan struct{}      // closed when run returns
}

// Batching bounds. The SDK's default batch processor (2048 queued, 512 a
// batch) dropped about half the push spans of a 5,000-subscriber fan-out
// at ~9,000 pushes/s with sampler always, and a queue of 16,384 still
// dropped some when the sink competed for the CPU (benchmarks/RESULTS.md).
// A queued push span is a ~400-byte value, so the 65,536 queued cost at
// most ~26 MB; after a burst only buffers of up to spareMax spans are kept.
const (
	spanQueue     = 65536
	spanBatch     = 2048
	spareMax      = 4 * spanBatch
	exportTimeout = 30 * time.Second
)

// newSpanBatcher starts a batcher exporting to exp; push spans get
// resource res and scope TracerName, and go to otlp (exp's client) as OTLP
// messages, or through exp as SDK spans when otlp is nil.
func newSpanBatcher(exp sdktrace.SpanExporter, otlp otlptrace.Client, res *resource.Resource, interval time.Duration) *spanBatcher {
	b := &spanBatcher{
		exp: exp, otlp: otlp, res: res, scope: instrumentation.Scope{Name: TracerName}, interval: interval,
		enc:  newOTLPPushes(res, instrumentation.Scope{Name: TracerName}),
		kick: make(chan struct{}, 1), flush: make(chan chan struct{}),
		stop: make(chan struct{}), exited: make(chan struct{}),
	}
	go b.run()
	return b
}

// OnStart implements sdktrace.SpanProcessor; nothing happens at start.
func (b *spanBatcher) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd implements sdktrace.SpanProcessor: a sampled span is queued.
func (b *spanBatcher) OnEnd(s sdktrace.ReadOnlySpan) {
	if !s.SpanContext().IsSampled() {
		return
	}
	b.mu.Lock()
	if b.roomLocked() {
		b.spans = append(b.spans, s)
	}
	b.unlockAndKick()
}

// RecordPush implements fanout.PushSpanRecorder: the push span is queued.
func (b *spanBatcher) RecordPush(ps fanout.PushSpan) {
	b.mu.Lock()
	if b.roomLocked() {
		b.pushes = append(b.pushes, ps)
	}
	b.unlockAndKick()
}

// roomLocked reports whether one more span may be queued, counting a
// drop when the queue is full.
func (b *spanBatcher) roomLocked() bool {
	if b.stopped {
		return false
	}
	if len(b.spans)+len(b.pushes) >= spanQueue {
		b.dropped++
		return false
	}
	return true
}

// unlockAndKick releases the lock and, when the queue just filled a
// batch, has the exporter take it.
func (b *spanBatcher) unlockAndKick() {
	n := len(b.spans) + len(b.pushes)
	b.mu.Unlock()
	if n == spanBatch {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
}

// ForceFlush implements sdktrace.SpanProcessor: it returns once what was
// queued has been exported, or when ctx is done.
func (b *spanBatcher) ForceFlush(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case b.flush <- done:
	case <-b.exited:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Shutdown implements sdktrace.SpanProcessor: it stops queueing, exports
// what is queued and shuts the exporter down.
func (b *spanBatcher) Shutdown(ctx context.Context) error {
	b.mu.Lock()
	already := b.stopped
	b.stopped = true
	b.mu.Unlock()
	if already {
		return nil
	}
	close(b.stop)
	select {
	case <-b.exited:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := b.exp.Shutdown(ctx); err != nil {
		return fmt.Errorf("span exporter shutdown: %w", err)
	}
	return nil
}

// run exports every interval, on a kick or a flush, and once more at
// shutdown.
func (b *spanBatcher) run() {
	defer close(b.exited)
	tick := time.NewTicker(b.interval)
	defer tick.Stop()
	for {
		select {
		case <-b.stop:
			b.exportQueued()
			return
		case done := <-b.flush:
			b.exportQueued()
			close(done)
		case <-tick.C:
			b.exportQueued()
		case <-b.kick:
			b.exportQueued()
		}
	}
}

// exportQueued takes the queue (leaving the spare buffers in its place)
// and exports it batch by batch.
func (b *spanBatcher) exportQueued() {
	b.mu.Lock()
	spans, pushes, dropped := b.spans, b.pushes, b.dropped
	b.spans, b.pushes, b.dropped = b.spareSpans[:0], b.sparePushes[:0], 0
	b.mu.Unlock()
	if dropped > 0 {
		otel.Handle(fmt.Errorf("trace export: queue of %d spans full, %d spans dropped", spanQueue, dropped))
	}
	batch := make([]sdktrace.ReadOnlySpan, 0, min(spanBatch, len(spans)+len(pushes)))
	for rest := pushes; b.otlp != nil && len(rest) > 0; {
		n := min(spanBatch, len(rest))
		b.upload(rest[:n])
		rest = rest[n:]
	}
	for i := 0; b.otlp == nil && i < len(pushes); i++ {
		batch = b.export(append(batch, sdkPushSpan(&pushes[i], b.res, b.scope)))
	}
	for _, s := range spans {
		batch = b.export(append(batch, s))
	}
	if len(batch) > 0 {
		b.send(batch)
	}
	b.spareSpans, b.sparePushes = spare(spans), spare(pushes)
}

// spare returns buf emptied for reuse, or nil if it grew too big to keep.
func spare[T any](buf []T) []T {
	if cap(buf) > spareMax {
		return nil
	}
	clear(buf)
	return buf[:0]
}

// export sends batch once it is full and returns a new one; else batch.
func (b *spanBatcher) export(batch []sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	if len(batch) < spanBatch {
		return batch
	}
	b.send(batch)
	return make([]sdktrace.ReadOnlySpan, 0, spanBatch)
}

// upload sends push spans encoded to OTLP through the exporter's client; a
// failure is reported as send does.
func (b *spanBatcher) upload(pushes []fanout.PushSpan) {
	ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
	defer cancel()
	if err := b.otlp.UploadTraces(ctx, b.enc.encode(pushes)); err != nil {
		otel.Handle(fmt.Errorf("trace export of %d push spans: %w", len(pushes), err))
	}
}

// send exports one batch; a failure is reported through the OTel error
// handler, as the SDK's batch processor does.
func (b *spanBatcher) send(batch []sdktrace.ReadOnlySpan) {
	ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
	defer cancel()
	if err := b.exp.ExportSpans(ctx, batch); err != nil {
		otel.Handle(fmt.Errorf("trace export of %d spans: %w", len(batch), err))
	}
}
