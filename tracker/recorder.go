package tracker

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-gateway/herald/fanout"
)

// RecorderOptions configure a Recorder. Zero values take the defaults.
type RecorderOptions struct {
	Node         string        // this gateway's name, stored in every record
	Buffer       int           // outcomes queued between the push path and the writer; default 65536
	Batch        int           // most records per store write; default 8192
	FlushEvery   time.Duration // longest a record waits for its batch; default 50ms
	WriteTimeout time.Duration // one store write; default 2s
	Backlog      int           // records held while the store is down; default 200000
	RetryEvery   time.Duration // retry pace while the store is down; default 1s
	// Retention is how long records are kept; every TrimEvery the store
	// is trimmed to it, so streams no longer written are emptied too.
	// Default 24h.
	Retention time.Duration
	TrimEvery time.Duration // default min(Retention/10, 10m)
	Logger    *slog.Logger
}

func (o *RecorderOptions) defaults() {
	setInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	setDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	setInt(&o.Buffer, 65536)
	setInt(&o.Batch, 8192)
	setInt(&o.Backlog, 200000)
	setDur(&o.FlushEvery, 50*time.Millisecond)
	setDur(&o.WriteTimeout, 2*time.Second)
	setDur(&o.RetryEvery, time.Second)
	setDur(&o.Retention, DefaultRetention)
	setDur(&o.TrimEvery, min(o.Retention/10, 10*time.Minute))
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Recorder is a fanout.Observer that writes outcomes to a Store in
// batches, off the push path. Observe never blocks: when the queue is full
// the outcome is dropped and counted. When the store fails, batches are
// held up to Backlog records and retried; beyond that the oldest are
// dropped and counted, and writing resumes when the store answers again.
type Recorder struct {
	store   Store
	opts    RecorderOptions
	log     *slog.Logger
	queue   chan fanout.Outcome
	batches chan []Record // collect -> writeLoop; closed by collect
	free    chan []Record // writeLoop -> collect: written batches, cleared, to fill again
	done    chan struct{}
	stop    sync.Once // closes done
	traces  traceHex  // collect's own
	wg      sync.WaitGroup

	dropped atomic.Uint64 // outcomes lost (queue full or backlog full)
	written atomic.Uint64 // records stored
	down    atomic.Bool   // the last write failed
	lagMs   atomic.Int64  // age of the oldest record of the last batch written, when written
	held    atomic.Int64  // records in writeLoop's backlog, waiting for the store
}

// RecorderStats are the Recorder's counters.
type RecorderStats struct {
	Written   uint64 `json:"written"`
	Dropped   uint64 `json:"dropped"`
	Queued    int    `json:"queued"`
	StoreDown bool   `json:"storeDown"`
	// Backlog is the number of records held for the store (while it is
	// down or slow), at most RecorderOptions.Backlog.
	Backlog int `json:"backlog"`
	// LagMs is how far behind the writer is: the age, at the time it was
	// written, of the oldest record in the last batch stored.
	LagMs int64 `json:"lagMs"`
}

// NewRecorder starts a Recorder writing to store. Close stops it.
func NewRecorder(store Store, opts RecorderOptions) *Recorder {
	opts.defaults()
	r := &Recorder{
		store: store, opts: opts, log: opts.Logger,
		queue:   make(chan fanout.Outcome, opts.Buffer),
		batches: make(chan []Record, 1),
		free:    make(chan []Record, 2),
		done:    make(chan struct{}),
	}
	r.wg.Add(3)
	go r.collect()
	go r.writeLoop()
	go r.trimLoop()
	return r
}

// trimLoop trims the store to the retention every TrimEvery until Close.
func (r *Recorder) trimLoop() {
	defer r.wg.Done()
	t := time.NewTicker(r.opts.TrimEvery)
	defer t.Stop()
	for {
		select {
		case <-r.done:
			return
		case now := <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if err := r.store.Trim(ctx, now.Add(-r.opts.Retention)); err != nil {
				r.log.Warn("tracker trim failed", "err", err)
			}
			cancel()
		}
	}
}

// Observe implements fanout.Observer. It never blocks.
func (r *Recorder) Observe(o fanout.Outcome) {
	select {
	case r.queue <- o:
	default:
		r.drop(1, "queue full")
	}
}

// Stats returns the counters.
func (r *Recorder) Stats() RecorderStats {
	return RecorderStats{
		Written: r.written.Load(), Dropped: r.dropped.Load(),
		Queued: len(r.queue), StoreDown: r.down.Load(), LagMs: r.lagMs.Load(), Backlog: int(r.held.Load()),
	}
}

// Close stops the Recorder after one last attempt to write what it holds.
// It may be called more than once.
func (r *Recorder) Close() {
	r.stop.Do(func() { close(r.done) })
	r.wg.Wait()
}

// drop counts lost records; the first loss of an outage is logged.
func (r *Recorder) drop(n int, why string) {
	if r.dropped.Add(uint64(n)) == uint64(n) || r.dropped.Load()%100000 < uint64(n) {
		r.log.Warn("tracker dropping push records", "why", why, "dropped_total", r.dropped.Load())
	}
}
