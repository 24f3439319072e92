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
// Layout. Each record is written to two streams:
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
// Entries. One field, "r", holds the record as compact JSON (see
// wireRecord), about 420 bytes of Redis memory per entry, so about 850
// per record. One stream field per record field was measured too
// (BenchmarkRedisEncoding): it needs about 30% less Redis memory but
// appends at about half the rate and reads pages 3 times slower, so the
// store uses the JSON field. The entry id is the
// record's ID: "<At ms>-*", so Redis numbers records of one millisecond
// 0, 1, 2...; if the stream already holds a later id (another node wrote
// newer records first), the record is added with "*" instead, which Redis
// makes later than the stream's last id. Record.ID is therefore the
// position in the stream being read: its time is At, or later for a
// record that arrived out of order, and the same record has different
// IDs in its service and IP streams. Find's time window applies to ids.
//
// Retention. Every XADD trims with "MINID ~ <now - Retention>": cheap,
// approximate trimming that leaves at most one stream node (up to
// stream-node-max-entries, 100 by default) of expired records. Trim trims
// exactly: it SCANs every master (ForEachMaster on a ClusterClient, every
// shard of a Ring, the server otherwise) for stream keys matching
// "herald:trk:*" and runs a small script per key that XTRIMs it with an
// exact MINID and deletes it if it is left empty, so streams of clients
// and services that went away do not pile up. Finding the keys by SCAN
// needs no bookkeeping on the write path and works the same on a cluster.
//
// Append is at least once: a batch that fails part way may have written
// some records; the caller's retry writes them again.
type RedisStore struct {
	client    redis.UniversalClient
	retention time.Duration
	now       func() time.Time
	closed    atomic.Bool
}

var _ Store = (*RedisStore)(nil)

// recordField is the stream entry field that holds the encoded record.
const recordField = "r"

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
