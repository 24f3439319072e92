package tracker

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// xadd is one planned stream write: one entry of one or more records.
type xadd struct {
	key    string
	id     string    // "<ms>-*", or "*" when retried
	data   []byte    // the entry's records, see appendScratch.entry
	recs   []int     // the entry's records, as indexes into the batch
	stream streamSet // which of their streams key is
	done   bool      // Redis accepted it
}

// Append writes the records in one pipelined round trip (per cluster
// node): per stream, one entry for each run of records that entryRuns
// allows together, usually one per stream. Entries that arrive out of
// order for a stream are written in a second round trip with a
// Redis-chosen id.
//
// A successful Append does not modify recs. A failed one marks in recs
// the streams it did write each record to (on a cluster, the masters that
// answered), and a later Append of the same records skips them: the
// Recorder retries its backlog in place, so a master failing over does
// not make every retry write the records of the healthy masters again.
func (s *RedisStore) Append(ctx context.Context, recs []Record) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if len(recs) == 0 {
		return nil
	}
	sc := scratchPool.Get().(*appendScratch)
	defer sc.release() // the pipeline is done with the bytes when write returns
	minID := s.writeMinID()
	adds := sc.plan(recs)
	late, err := s.write(ctx, adds, minID)
	if err != nil {
		markStored(recs, adds)
		s.reloadSlots()
		return fmt.Errorf("tracker: append %d records: %w", len(recs), err)
	}
	if len(late) == 0 {
		return nil
	}
	for i := range late {
		late[i].id = "*"
	}
	if _, err := s.write(ctx, late, minID); err != nil {
		markStored(recs, adds)
		markStored(recs, late)
		s.reloadSlots()
		return fmt.Errorf("tracker: append %d out-of-order entries: %w", len(late), err)
	}
	return nil
}

// markStored marks in recs the streams of the adds Redis accepted (write
// sets done on each).
func markStored(recs []Record, adds []xadd) {
	for _, a := range adds {
		if a.done {
			for _, i := range a.recs {
				recs[i].stored |= a.stream
			}
		}
	}
}

// appendScratch holds the bytes of one Append: the records' encodings
// and the entries built from them. Appends reuse them through scratchPool,
// which saves allocating and clearing about a megabyte per batch of 1000.
type appendScratch struct {
	enc     []byte // the records' encodings, back to back
	ends    []int  // where each record's encoding ends in enc
	entries []byte // the entries' bytes, back to back
}

var scratchPool = sync.Pool{New: func() any { return new(appendScratch) }}

// maxPooledScratch bounds the bytes a pooled appendScratch keeps: the
// scratch of an unusually large Append is left to the garbage collector.
const maxPooledScratch = 32 << 20

func (sc *appendScratch) release() {
	if cap(sc.enc)+cap(sc.entries) <= maxPooledScratch {
		scratchPool.Put(sc)
	}
}

// plan encodes each record once and plans the entries: the batch's
// records grouped by stream, streams in the order they first appear, each
// group cut into runs by entryRuns. An entry's id is "<ms>-*" with ms its
// smallest At, raised to the stream's previous entry in the batch if that
// is later, so a batch never collides with itself; only the stream's
// existing entries can make a write late. The entries' data point into
// sc until the next plan.
func (sc *appendScratch) plan(recs []Record) []xadd {
	sc.encode(recs)
	groups := groupByStream(recs)
	size := 0
	for _, g := range groups {
		for _, i := range g.recs {
			size += len(sc.encoded(i)) + 1
		}
	}
	sc.entries = slices.Grow(sc.entries[:0], size)
	adds := make([]xadd, 0, len(groups))
	for _, g := range groups {
		var ms int64
		for run, minAt := range entryRuns(g.recs, recs) {
			ms = max(minAt, ms, 0)
			adds = append(adds, xadd{key: g.key, id: explicitID(ms), data: sc.entry(run), recs: run, stream: g.stream})
		}
	}
	return adds
}

// explicitID is "<ms>-*".
func explicitID(ms int64) string {
	var b [24]byte
	return string(append(strconv.AppendInt(b[:0], ms, 10), "-*"...))
}

// entry appends the entry of the records run to sc.entries and returns
// it: their encodings in run's order, separated by recordSep.
func (sc *appendScratch) entry(run []int) []byte {
	start := len(sc.entries)
	for k, i := range run {
		if k > 0 {
			sc.entries = append(sc.entries, recordSep)
		}
		sc.entries = append(sc.entries, sc.encoded(i)...)
	}
	end := len(sc.entries)
	return sc.entries[start:end:end]
}

// encode encodes recs into sc.enc.
func (sc *appendScratch) encode(recs []Record) {
	sc.enc, sc.ends = sc.enc[:0], sc.ends[:0]
	for i := range recs {
		sc.enc = appendRecord(sc.enc, &recs[i])
		sc.ends = append(sc.ends, len(sc.enc))
	}
}

// encoded is the encoding of record i.
func (sc *appendScratch) encoded(i int) []byte {
	start := 0
	if i > 0 {
		start = sc.ends[i-1]
	}
	return sc.enc[start:sc.ends[i]]
}

// streamGroup is the records of a batch bound for one stream, as indexes
// into the batch, in batch order.
type streamGroup struct {
	key    string
	stream streamSet
	recs   []int
}

// serviceName selects a topic stream.
type serviceName struct{ kind, namespace, group, service string }

// groupByStream groups the batch by stream, streams in the order they
// first appear, leaving out the streams a record is marked stored in. It
// builds each stream's key once, and all groups share one slice of
// indexes.
func groupByStream(recs []Record) []streamGroup {
	var groups []streamGroup
	services := make(map[serviceName]int)
	ips := make(map[string]int)
	type slot struct{ group, rec int }
	slots := make([]slot, 0, 2*len(recs))
	for i := range recs {
		r := &recs[i]
		if r.Service != "" && r.stored&topicStream == 0 {
			name := serviceName{r.Kind, r.Namespace, r.Group, r.Service}
			g, ok := services[name]
			if !ok {
				g = len(groups)
				services[name] = g
				groups = append(groups, streamGroup{key: topicKey(r.Kind, r.Namespace, r.Group, r.Service), stream: topicStream})
			}
			slots = append(slots, slot{g, i})
		}
		if r.ClientIP != "" && r.stored&ipStream == 0 {
			g, ok := ips[r.ClientIP]
			if !ok {
				g = len(groups)
				ips[r.ClientIP] = g
				groups = append(groups, streamGroup{key: ipKey(r.ClientIP), stream: ipStream})
			}
			slots = append(slots, slot{g, i})
		}
	}
	counts := make([]int, len(groups))
	for _, sl := range slots {
		counts[sl.group]++
	}
	backing := make([]int, len(slots))
	for g, n := range counts {
		groups[g].recs, backing = backing[:0:n], backing[n:]
	}
	for _, sl := range slots {
		groups[sl.group].recs = append(groups[sl.group].recs, sl.rec)
	}
	return groups
}

// entryRuns cuts one stream's records (indexes into recs) into the runs
// that share an entry: consecutive records whose At all lie within
// packSpanMs of one another, at most packMaxRecords of them. It yields
// each run with its smallest At.
func entryRuns(idx []int, recs []Record) iter.Seq2[[]int, int64] {
	return func(yield func([]int, int64) bool) {
		for len(idx) > 0 {
			lo, hi := recs[idx[0]].At, recs[idx[0]].At
			n := 1
			for ; n < len(idx) && n < packMaxRecords; n++ {
				at := recs[idx[n]].At
				nlo, nhi := min(lo, at), max(hi, at)
				if uint64(nhi-nlo) > packSpanMs { // the exact difference, even where int64 overflows
					break
				}
				lo, hi = nlo, nhi
			}
			if !yield(idx[:n], lo) {
				return
			}
			idx = idx[n:]
		}
	}
}

// write runs adds in one pipeline, trimming each stream with "MINID ~
// minID" unless minID is "", and sets done on each add Redis accepted. It
// returns the writes Redis refused because the stream already holds a
// later id; any other failure is err.
func (s *RedisStore) write(ctx context.Context, adds []xadd, minID string) (late []xadd, err error) {
	pipe := s.client.Pipeline()
	cmds := make([]*redis.StringCmd, len(adds))
	for i, a := range adds {
		cmds[i] = pipe.XAdd(ctx, &redis.XAddArgs{
			Stream: a.key, ID: a.id, MinID: minID, Approx: true,
			Values: []any{recordField, a.data},
		})
	}
	_, execErr := pipe.Exec(ctx)
	for i, cmd := range cmds {
		switch cerr := cmd.Err(); {
		case cerr == nil:
			adds[i].done = true
		case isLateID(cerr):
			late = append(late, adds[i])
		case err == nil:
			err = fmt.Errorf("xadd %s: %w", adds[i].key, cerr)
		}
	}
	if err != nil {
		return nil, err
	}
	if execErr != nil && len(late) == 0 {
		return nil, execErr
	}
	return late, nil
}

// isLateID reports Redis refusing an explicit id that is not after the
// stream's last id.
func isLateID(err error) bool {
	return strings.Contains(err.Error(), "equal or smaller than the target stream top item")
}

// writeMinID is the write-time trimming bound for this Append: "" (no
// trimming) for all but one Append in writeTrimEvery, and until the
// bound would be after the epoch. It keeps every entry that may hold a
// record younger than the retention; see trimBefore.
func (s *RedisStore) writeMinID() string {
	if (s.appends.Add(1)-1)%writeTrimEvery != 0 {
		return ""
	}
	return trimBefore(s.now().Add(-s.retention).UnixMilli())
}

// reloadSlots makes a cluster client read the slot map again after a
// failed write. go-redis reloads it by itself on MOVED and ASK, and
// otherwise only every minute, so after a master fails over to its
// replica it would go on dialling the dead master for up to a minute
// (TestRecorderClusterFailover fails without this). The reload runs in
// the background (go-redis: one at a time, asking the nodes it knows
// until one answers), so the Recorder's next retry, RetryEvery later,
// finds the promoted replica; it never blocks the writer.
func (s *RedisStore) reloadSlots() {
	if cc, ok := s.client.(*redis.ClusterClient); ok {
		cc.ReloadState(context.Background())
	}
}
