package tracker

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// trimScript trims one stream exactly and deletes it if nothing is left,
// atomically, so a concurrent XADD is never deleted.
// KEYS[1] = stream, ARGV[1] = min id. Returns 1 if the key was deleted.
var trimScript = redis.NewScript(`
redis.call('XTRIM', KEYS[1], 'MINID', '=', ARGV[1])
if redis.call('XLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`)

// trimScanCount is the SCAN COUNT hint and so the size of each pipeline of
// trim scripts.
const trimScanCount = 1000

// Trim drops, from every stream of the layout on every master, the
// entries all of whose records are before before (millisecond precision;
// see trimBefore), and deletes streams left empty.
func (s *RedisStore) Trim(ctx context.Context, before time.Time) error {
	if s.closed.Load() {
		return ErrClosed
	}
	minID := trimBefore(before.UnixMilli())
	if minID == "" {
		return nil
	}
	if err := s.forEachNode(ctx, func(ctx context.Context, node redis.UniversalClient) error {
		return trimNode(ctx, node, minID)
	}); err != nil {
		return fmt.Errorf("tracker: trim before %s: %w", before.Format(time.RFC3339Nano), err)
	}
	return nil
}

// trimBefore is the MINID that drops the entries whose records are all
// before ms: an entry holds records up to packSpanMs after its id, so
// entries with ids from ms - packSpanMs on stay. Records up to packSpanMs
// older than ms may therefore stay too. "" means there is nothing to
// trim.
func trimBefore(ms int64) string {
	if ms <= packSpanMs {
		return ""
	}
	return strconv.FormatInt(ms-packSpanMs, 10)
}

// forEachNode calls fn for every node that holds a share of the keys,
// concurrently on a cluster.
func (s *RedisStore) forEachNode(ctx context.Context, fn func(context.Context, redis.UniversalClient) error) error {
	switch c := s.client.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error { return fn(ctx, node) })
	case *redis.Ring:
		return c.ForEachShard(ctx, func(ctx context.Context, node *redis.Client) error { return fn(ctx, node) })
	}
	return fn(ctx, s.client)
}

// trimNode scans one node's stream keys and trims them, one pipeline per
// SCAN batch.
func trimNode(ctx context.Context, node redis.UniversalClient, minID string) error {
	var cursor uint64
	for {
		keys, next, err := node.ScanType(ctx, cursor, keyPattern, trimScanCount, "stream").Result()
		if err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		if err := trimKeys(ctx, node, keys, minID); err != nil {
			return err
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// trimKeys runs trimScript on keys in one pipeline.
func trimKeys(ctx context.Context, node redis.UniversalClient, keys []string, minID string) error {
	if len(keys) == 0 {
		return nil
	}
	pipe := node.Pipeline()
	cmds := make([]*redis.Cmd, len(keys))
	for i, key := range keys {
		cmds[i] = trimScript.Eval(ctx, pipe, []string{key}, minID)
	}
	_, _ = pipe.Exec(ctx) // errors are read per command below
	for i, cmd := range cmds {
		if err := cmd.Err(); err != nil {
			return fmt.Errorf("trim %s: %w", keys[i], err)
		}
	}
	return nil
}
