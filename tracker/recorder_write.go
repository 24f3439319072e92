package tracker

import (
	"context"
	"time"

	"github.com/herald-gateway/herald/fanout"
)

// run batches the queue into store writes until Close.
func (r *Recorder) run() {
	defer r.wg.Done()
	flush := time.NewTicker(r.opts.FlushEvery)
	defer flush.Stop()
	var batch, backlog []Record
	lastTry := time.Time{}
	for {
		select {
		case o := <-r.queue:
			batch = append(batch, toRecord(o, r.opts.Node))
			if len(batch) < r.opts.Batch {
				continue
			}
		case <-flush.C:
		case <-r.done:
			r.drainQueue(&batch)
			all := append(backlog, batch...)
			if n := r.write(all); n < len(all) {
				r.drop(len(all)-n, "store unavailable at shutdown")
			}
			return
		}
		backlog = r.hold(backlog, batch)
		batch = nil
		if len(backlog) == 0 || r.down.Load() && time.Since(lastTry) < r.opts.RetryEvery {
			continue
		}
		lastTry = time.Now()
		n := r.write(backlog)
		backlog = append(backlog[:0], backlog[n:]...)
	}
}

// hold appends batch to the backlog, dropping the oldest records beyond
// the bound.
func (r *Recorder) hold(backlog, batch []Record) []Record {
	backlog = append(backlog, batch...)
	if over := len(backlog) - r.opts.Backlog; over > 0 {
		r.drop(over, "store unavailable, backlog full")
		backlog = append(backlog[:0], backlog[over:]...)
	}
	return backlog
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
			*batch = append(*batch, toRecord(o, r.opts.Node))
		default:
			return
		}
	}
}

// toRecord turns a push outcome into a stored record.
func toRecord(o fanout.Outcome, node string) Record {
	rec := Record{
		PushID: o.ConnID + "/" + o.RequestID, Result: o.Event.String(), At: o.At.UnixMilli(),
		Attempt: o.Attempt, Namespace: o.Key.Namespace, Group: o.Key.Group, Service: o.Key.Name,
		Clusters: o.Clusters, ClientIP: o.Client.IP, ConnID: o.ConnID, ClientVersion: o.Client.Version,
		ClientApp: o.Client.App, Instances: o.Hosts, Revision: o.Revision, Bytes: o.Bytes,
		Node: node, Reason: o.Reason,
	}
	if o.TraceID.IsValid() {
		rec.TraceID = o.TraceID.String()
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
	return rec
}
