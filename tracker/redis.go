package tracker

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRetention is how long stores keep records when their options
// leave Retention zero.
const DefaultRetention = 24 * time.Hour

// RedisOptions configures a RedisStore.
type RedisOptions struct {
	// Retention is how long records are kept; <= 0 means DefaultRetention.
	Retention time.Duration
	// Now is the clock for write-time trimming; nil means time.Now.
	Now func() time.Time
}

// RedisStore keeps records in Redis streams (Redis 7 or later; a single
// server, Sentinel or Cluster, through any go-redis UniversalClient).
//
// Streams. Each record is written to two streams:
//
//	herald:trk:svc:{<namespace>|<group>|<service>}   one per service
//	herald:trk:ip:{<client ip>}                      one per client IP
//
// Each name part is escaped: '%', '{', '}', '|', space, control bytes and
// DEL become "%XX" (upper-case hex); all other bytes, UTF-8 included, stay
// as they are. So no name can end the hash tag early or shift the '|'
// separators, and distinct names give distinct keys. The part in braces
// is the Redis Cluster hash tag: each stream lives whole in one slot, and
// the two streams of one record usually live in different slots. A record
// with an empty Service or ClientIP is not written to that stream (no
// query could read it).
//
// Entries. A stream entry holds the records of one Append bound for that
// stream, in append order: its one field, "r", holds each record as
// compact JSON (see wireRecord), separated by '\n' (recordSep). An entry
// holds at most packMaxRecords records whose At lie at most packSpanMs
// apart; Append cuts a stream's records into as many entries as that
// takes: usually one per stream, several for a service's fan-out of
// more than packMaxRecords records. So an Append costs about one XADD
// per stream it touches rather than two per record: a fan-out batch of
// 1000 (one service, many clients) costs 8 XADDs for the service plus
// one per distinct client IP. The
// entry id is "<ms>-*" with ms the entry's smallest At (or the previous
// entry's ms in the same Append, if later), so Redis numbers the entries
// of one millisecond 0, 1, 2...; if the stream already holds a later id
// (another node wrote newer records first), the entry is added with "*"
// instead, which Redis makes later than the stream's last id. An entry
// written before records were packed (one record, no '\n') reads as an
// entry of one record.
//
// Why this form: one JSON field per record was measured against one
// stream field per record field (BenchmarkRedisEncoding): fields need
// about 30% less Redis memory but append at half the rate and read pages
// 3 times slower. '\n' was chosen over a JSON array because an entry then
// splits into its records with a vectorized byte search, about 30 times
// faster than walking the JSON to find the array's elements
// (BenchmarkEntrySplit), so a page decodes only the records it returns.
//
// Record ids and windows. A record's ID is "<entry id>:<index>": its
// entry and its place in it, from 0. Records are ordered by entry id,
// then index; a cursor is the ID of the last record of a page, and must
// be in exactly that form. The same record has different IDs in its
// service and IP streams. A record's time, for Find's window, is its At,
// or its entry's id time if that is later (a record written after newer
// ones), so it lies between the entry's id time and packSpanMs after it:
// Find reads the entries with ids from From - packSpanMs to To and keeps
// their records one by one. A window's edge therefore costs reading up to
// packSpanMs worth of the stream's entries around it.
//
// Retention. Redis drops whole entries, so trimming keeps an entry while
// any of its records may be young enough: the XADDs of one Append in
// writeTrimEvery trim their streams with "MINID ~ <now - Retention -
// packSpanMs>" (approximate trimming, which leaves at most one stream
// node, up to stream-node-max-entries, 100 by default, of expired
// entries), and Trim(before) trims with an exact "MINID <before -
// packSpanMs>". Records up to packSpanMs older than the cutoff may stay;
// none younger is dropped. Trimming on write keeps the streams being
// written from growing past the retention; a stream no longer written is
// trimmed by Trim only. Trim SCANs every master (ForEachMaster on a
// ClusterClient, every shard of a Ring, the server otherwise) for stream
// keys matching "herald:trk:*" and runs a small script per key that
// XTRIMs it and deletes it if it is left empty, so streams of clients and
// services that went away do not pile up. Finding the keys by SCAN needs
// no bookkeeping on the write path and works the same on a cluster.
//
// Append is at least once: a batch that fails part way marks in the
// caller's records the streams it did write them to, so the caller's
// retry of the same records writes only the rest; a write whose reply is
// lost (the connection to a master breaking mid-pipeline) counts as
// failed though Redis may have applied it, and is written again. On a
// ClusterClient a failed write also reloads the slot map, so the retry
// follows a failover (see reloadSlots).
type RedisStore struct {
	client    redis.UniversalClient
	retention time.Duration
	now       func() time.Time
	closed    atomic.Bool
	appends   atomic.Uint64 // Append calls, for writeTrimEvery
}

var _ Store = (*RedisStore)(nil)

// recordField is the stream entry field that holds the encoded records.
const recordField = "r"

// Entry bounds, see RedisStore. packSpanMs bounds how far apart (in ms)
// the At of one entry's records may be: the Recorder flushes every 50ms,
// so live batches fit in one entry, while a batch held through a Redis
// outage is cut into entries a second long. It is also how far past a
// window's edge Find reads, and how much older than Trim's cutoff kept
// records may be. packMaxRecords bounds an entry to about 50 KB (47 KB
// of benchmark records), so a page of 100 reads little it does not
// return; cutting a fan-out batch of 1000 into 8 entries instead of 1
// adds about 1% to its XADDs.
const (
	packSpanMs     = 1000
	packMaxRecords = 128
)

// writeTrimEvery: one Append in writeTrimEvery trims the streams it
// writes. MINID makes an XADD cost Redis about a third more CPU
// (BenchmarkRedisAppend, fan-out mix, measured in one session: about
// 205,000 events per Redis CPU second with MINID on every XADD, 270,000
// with writeTrimEvery 8), while a stream written by most Appends is
// still trimmed every few of them.
const writeTrimEvery = 8

// NewRedisStore returns a store writing through client and takes
// ownership of it: Close closes the client.
func NewRedisStore(client redis.UniversalClient, opts RedisOptions) *RedisStore {
	s := &RedisStore{client: client, retention: opts.Retention, now: opts.Now}
	if s.retention <= 0 {
		s.retention = DefaultRetention
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Close closes the client; later calls return ErrClosed. Closing twice
// returns nil.
func (s *RedisStore) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("tracker: close redis client: %w", err)
	}
	return nil
}
