package tracker

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// xadd is one planned stream write.
type xadd struct {
	key  string
	id   string // "<ms>-*", or "*" when retried
	data []byte // shared by the record's two writes
}

// Append writes every record to its service and IP streams in one
// pipelined round trip (per cluster node). Records that arrive out of
// order for a stream are written in a second round trip with a
// Redis-chosen id. recs is not modified.
func (s *RedisStore) Append(ctx context.Context, recs []Record) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if len(recs) == 0 {
		return nil
	}
	late, err := s.write(ctx, planAppend(recs))
	if err != nil {
		return fmt.Errorf("tracker: append %d records: %w", len(recs), err)
	}
	if len(late) == 0 {
		return nil
	}
	for i := range late {
		late[i].id = "*"
	}
	if _, err := s.write(ctx, late); err != nil {
		return fmt.Errorf("tracker: append %d out-of-order records: %w", len(late), err)
	}
	return nil
}

// planAppend encodes each record once and plans its writes. Within the
// batch a stream's ids never go back in time, so a batch never collides
// with itself; only the stream's existing entries can make a write late.
func planAppend(recs []Record) []xadd {
	adds := make([]xadd, 0, 2*len(recs))
	lastMs := make(map[string]int64)
	for i := range recs {
		r := &recs[i]
		data := encodeRecord(r)
		for _, key := range recordKeys(r) {
			ms := max(r.At, lastMs[key], 0)
			lastMs[key] = ms
			adds = append(adds, xadd{key: key, id: strconv.FormatInt(ms, 10) + "-*", data: data})
		}
	}
	return adds
}

// recordKeys returns the streams r belongs to: its service and its client
// IP, each only if named.
func recordKeys(r *Record) []string {
	keys := make([]string, 0, 2)
	if r.Service != "" {
		keys = append(keys, serviceKey(r.Namespace, r.Group, r.Service))
	}
	if r.ClientIP != "" {
		keys = append(keys, ipKey(r.ClientIP))
	}
	return keys
}

// write runs adds in one pipeline. It returns the writes Redis refused
// because the stream already holds a later id; any other failure is err.
func (s *RedisStore) write(ctx context.Context, adds []xadd) (late []xadd, err error) {
	minID := s.minID()
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
		switch err := cmd.Err(); {
		case err == nil:
		case isLateID(err):
			late = append(late, adds[i])
		default:
			return nil, fmt.Errorf("xadd %s: %w", adds[i].key, err)
		}
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

// minID is the write-time trimming bound, "" (no trimming) before the
// retention has passed since the epoch.
func (s *RedisStore) minID() string {
	ms := s.now().Add(-s.retention).UnixMilli()
	if ms <= 0 {
		return ""
	}
	return strconv.FormatInt(ms, 10)
}
