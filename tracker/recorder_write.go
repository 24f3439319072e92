package tracker

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/herald-gateway/herald/fanout"
)

// collect turns queued outcomes into batches of records and hands them to
// writeLoop, so the next batch is built while the previous one is being
// written. A batch is handed over when full or every FlushEvery. On Close
// it hands over what is queued and closes batches.
func (r *Recorder) collect() {
	defer r.wg.Done()
	defer close(r.batches)
	flush := time.NewTicker(r.opts.FlushEvery)
	defer flush.Stop()
	var batch []Record
	for {
		select {
		case o := <-r.queue:
			batch = r.takeQueued(append(batch, toRecord(o, r.opts.Node, &r.traces)))
			if len(batch) < r.opts.Batch {
				continue
			}
		case <-flush.C:
			if len(batch) == 0 {
				continue
			}
		case <-r.done:
			r.drainQueue(&batch)
			r.batches <- batch
			return
		}
		select {
		case r.batches <- batch:
		case <-r.done:
			r.drainQueue(&batch)
			r.batches <- batch
			return
		}
		batch = r.emptyBatch()
	}
}

// takeQueued adds what else is queued to batch, up to a full batch,
// without waiting: outcomes come in bursts (a fan-out's), and a
// non-blocking receive costs a fraction of the three-way select above
// (which was a quarter of the Recorder's CPU when it ran per outcome).
func (r *Recorder) takeQueued(batch []Record) []Record {
	for len(batch) < r.opts.Batch {
		select {
		case o := <-r.queue:
			batch = append(batch, toRecord(o, r.opts.Node, &r.traces))
		default:
			return batch
		}
	}
	return batch
}

// emptyBatch is a written batch's array back from writeLoop or, while
// writeLoop still holds both, a new one that grows as it is filled: a
// batch of 8192 records is 4 MiB, too much to allocate every FlushEvery
// for the few records a quiet gateway makes.
func (r *Recorder) emptyBatch() []Record {
	select {
	case b := <-r.free:
		return b
	default:
		return make([]Record, 0, 64)
	}
}

// recycle clears a written batch (its records' strings can then be
// collected) and offers its array to collect; not a backlog grown past a
// batch during an outage, which would otherwise stay allocated.
func (r *Recorder) recycle(b []Record) {
	if cap(b) > 2*r.opts.Batch {
		return
	}
	clear(b)
	select {
	case r.free <- b[:0]:
	default:
	}
}

// writeLoop stores the batches collect hands over, holding a bounded
// backlog while the store fails and retrying it every RetryEvery, until
// collect closes batches; then it makes one last attempt.
func (r *Recorder) writeLoop() {
	defer r.wg.Done()
	retry := time.NewTicker(r.opts.RetryEvery)
	defer retry.Stop()
	var backlog []Record
	lastTry := time.Time{}
	for {
		select {
		case batch, ok := <-r.batches:
			if !ok {
				if n := r.write(backlog); n < len(backlog) {
					r.drop(len(backlog)-n, "store unavailable at shutdown")
				}
				return
			}
			backlog = r.hold(backlog, batch)
			r.held.Store(int64(len(backlog)))
		case <-retry.C:
		}
		if len(backlog) == 0 || r.down.Load() && time.Since(lastTry) < r.opts.RetryEvery {
			continue
		}
		lastTry = time.Now()
		if n := r.write(backlog); n == len(backlog) {
			r.recycle(backlog)
			backlog = nil
		} else {
			backlog = shift(backlog, n)
		}
		r.held.Store(int64(len(backlog)))
	}
}

// hold appends batch to the backlog, dropping the oldest records beyond
// the bound.
func (r *Recorder) hold(backlog, batch []Record) []Record {
	if len(backlog) == 0 {
		backlog = batch // the usual case: nothing held, no copy
	} else {
		backlog = append(backlog, batch...)
		r.recycle(batch)
	}
	if over := len(backlog) - r.opts.Backlog; over > 0 {
		r.drop(over, "store unavailable, backlog full")
		backlog = shift(backlog, over)
	}
	return backlog
}

// shift drops the first n records of recs in place, clearing the tail it
// leaves behind so the array holds no dropped record.
func shift(recs []Record, n int) []Record {
	m := copy(recs, recs[n:])
	clear(recs[m:])
	return recs[:m]
}

// write stores recs in batches until one fails, and returns how many
// were stored.
func (r *Recorder) write(recs []Record) int {
	done := 0
	for done < len(recs) {
		n := min(len(recs)-done, r.opts.Batch)
		ctx, cancel := context.WithTimeout(context.Background(), r.opts.WriteTimeout)
		err := r.store.Append(ctx, recs[done:done+n])
		cancel()
		if err != nil {
			if !r.down.Swap(true) {
				r.log.Error("tracker store write failed; buffering push records", "err", err)
			}
			return done
		}
		if r.down.Swap(false) {
			r.log.Info("tracker store writes resumed")
		}
		r.written.Add(uint64(n))
		r.lagMs.Store(max(0, time.Now().UnixMilli()-recs[done].At))
		done += n
	}
	return done
}

// drainQueue moves what is queued into batch (used on Close).
func (r *Recorder) drainQueue(batch *[]Record) {
	for {
		select {
		case o := <-r.queue:
			*batch = append(*batch, toRecord(o, r.opts.Node, &r.traces))
		default:
			return
		}
	}
}

// traceHex keeps the hex form of the last trace id it formatted: the
// pushes of one change share its trace, so a fan-out's records reuse one
// string instead of formatting (and allocating) one each.
type traceHex struct {
	id  trace.TraceID
	hex string
}

// of is id in hex, "" for an invalid id; a nil traceHex keeps nothing.
func (t *traceHex) of(id trace.TraceID) string {
	switch {
	case !id.IsValid():
		return ""
	case t == nil:
		return id.String()
	case id != t.id:
		t.id, t.hex = id, id.String()
	}
	return t.hex
}

// toRecord turns a push outcome into a stored record; traces (may be
// nil) is the caller's own.
func toRecord(o fanout.Outcome, node string, traces *traceHex) Record {
	rec := Record{
		Kind: o.Topic.Kind.String(), PushID: o.ConnID + "/" + o.RequestID, Result: o.Event.String(),
		At: o.At.UnixMilli(), Attempt: o.Attempt,
		Namespace: o.Topic.Namespace, Group: o.Topic.Group, Service: o.Topic.Name,
		Clusters: o.View, ClientIP: o.Client.IP, ConnID: o.ConnID, ClientVersion: o.Client.Version,
		ClientApp: o.Client.App, User: o.Client.User, Instances: o.Items, Revision: o.Revision, Bytes: o.Bytes,
		Node: node, Reason: o.Reason, TraceID: traces.of(o.TraceID),
	}
	if !o.SentAt.IsZero() {
		rec.Sent = o.SentAt.UnixMilli()
	}
	// Durations are differences of the stored millisecond times, so a
	// record is consistent with itself (acked - sent = networkMs).
	if o.Event == fanout.EventAcked && rec.Sent != 0 {
		rec.Acked = rec.At
		rec.NetworkMs = rec.Acked - rec.Sent
	}
	if !o.Changed.IsZero() {
		rec.EndToEndMs = rec.At - o.Changed.UnixMilli()
	}
	if o.Topic.Kind == fanout.KindConfig {
		configFields(&rec, o)
	}
	if o.Event >= fanout.EventChanged {
		rec.PushID = "" // not a push
	}
	return rec
}
