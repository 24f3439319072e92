package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Keys. Each gateway's entry is one string key holding its JSON, set
// with a TTL, so a gateway that stops publishing leaves the view on its
// own; a sorted set names the members with their entry's expiry, so
// listing needs no SCAN across a cluster's masters. Each key is its own
// hash tag (one slot each): writes touch two keys, reads one plus one per
// member (pipelined; go-redis splits a pipeline by slot).
const (
	membersKey  = "herald:fleet:members"
	entryPrefix = "herald:fleet:gw:"
)

func entryKey(node string) string { return entryPrefix + "{" + url.QueryEscape(node) + "}" }

// Store keeps the fleet view in Redis (a single server or a Cluster,
// through any go-redis UniversalClient).
type Store struct {
	rdb redis.UniversalClient
}

// NewStore returns a Store on rdb, which the caller owns.
func NewStore(rdb redis.UniversalClient) *Store { return &Store{rdb: rdb} }

// Publish writes g, alive for ttl from now.
func (s *Store) Publish(ctx context.Context, g Gateway, ttl time.Duration, now time.Time) error {
	b, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("fleet entry %s: %w", g.Node, err)
	}
	if err := s.rdb.Set(ctx, entryKey(g.Node), b, ttl).Err(); err != nil {
		return fmt.Errorf("fleet publish %s: %w", g.Node, err)
	}
	expiry := float64(now.Add(ttl).UnixMilli())
	if err := s.rdb.ZAdd(ctx, membersKey, redis.Z{Score: expiry, Member: g.Node}).Err(); err != nil {
		return fmt.Errorf("fleet publish %s: %w", g.Node, err)
	}
	return nil
}

// Withdraw removes node's entry (a gateway stopping).
func (s *Store) Withdraw(ctx context.Context, node string) error {
	err := errors.Join(s.rdb.Del(ctx, entryKey(node)).Err(), s.rdb.ZRem(ctx, membersKey, node).Err())
	if err != nil {
		return fmt.Errorf("fleet withdraw %s: %w", node, err)
	}
	return nil
}

// Live returns the entries of the gateways alive at now, sorted by node;
// members whose entry has expired are dropped from the set.
func (s *Store) Live(ctx context.Context, now time.Time) ([]Gateway, error) {
	cut := strconv.FormatInt(now.UnixMilli(), 10)
	if err := s.rdb.ZRemRangeByScore(ctx, membersKey, "-inf", "("+cut).Err(); err != nil {
		return nil, fmt.Errorf("fleet members: %w", err)
	}
	nodes, err := s.rdb.ZRangeByScore(ctx, membersKey, &redis.ZRangeBy{Min: cut, Max: "+inf"}).Result()
	if err != nil {
		return nil, fmt.Errorf("fleet members: %w", err)
	}
	cmds := make([]*redis.StringCmd, len(nodes))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, n := range nodes {
			cmds[i] = p.Get(ctx, entryKey(n))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("fleet entries: %w", err)
	}
	out := make([]Gateway, 0, len(nodes))
	for i, c := range cmds {
		b, err := c.Bytes()
		if errors.Is(err, redis.Nil) {
			continue // expired between the two reads
		}
		if err != nil {
			return nil, fmt.Errorf("fleet entry %s: %w", nodes[i], err)
		}
		var g Gateway
		if err := json.Unmarshal(b, &g); err != nil {
			return nil, fmt.Errorf("fleet entry %s: %w", nodes[i], err)
		}
		out = append(out, g)
	}
	return out, nil
}
