package tracker

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Find reads one page from the query's stream with XREVRANGE (newest
// first) or XRANGE (oldest first), one entry more than the page size so
// that Next is "" exactly on the last page.
func (s *RedisStore) Find(ctx context.Context, q Query) (Page, error) {
	if s.closed.Load() {
		return Page{}, ErrClosed
	}
	w, err := q.bounds()
	if err != nil {
		return Page{}, err
	}
	if w.empty {
		return Page{Records: []Record{}}, nil
	}
	key, n := q.streamKey(), int64(q.limit()+1)
	var msgs []redis.XMessage
	if q.Oldest {
		msgs, err = s.client.XRangeN(ctx, key, w.lo.String(), w.hi.String(), n).Result()
	} else {
		msgs, err = s.client.XRevRangeN(ctx, key, w.hi.String(), w.lo.String(), n).Result()
	}
	if err != nil {
		return Page{}, fmt.Errorf("tracker: find in %s: %w", key, err)
	}
	return pageOf(key, msgs, q.limit())
}

// pageOf decodes up to limit entries; Next is set when there were more.
func pageOf(key string, msgs []redis.XMessage, limit int) (Page, error) {
	p := Page{Records: make([]Record, 0, min(len(msgs), limit))}
	for _, m := range msgs[:min(len(msgs), limit)] {
		r, err := decodeEntry(m)
		if err != nil {
			return Page{}, fmt.Errorf("tracker: find in %s: entry %s: %w", key, m.ID, err)
		}
		p.Records = append(p.Records, r)
	}
	if len(msgs) > limit {
		p.Next = p.Records[limit-1].ID
	}
	return p, nil
}

// decodeEntry turns a stream entry into its Record, with the entry id as
// the record's ID.
func decodeEntry(m redis.XMessage) (Record, error) {
	data, ok := m.Values[recordField].(string)
	if !ok {
		return Record{}, fmt.Errorf("no %q field", recordField)
	}
	r, err := decodeRecord(data)
	if err != nil {
		return Record{}, err
	}
	r.ID = m.ID
	return r, nil
}
