package tracker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-gateway/herald/internal/redistest"
)

func TestRedisStore(t *testing.T) {
	srv := redistest.Start(t)
	testStore(t, func(t *testing.T) Store {
		client := redis.NewClient(&redis.Options{Addr: srv.Addr()})
		if err := client.FlushAll(t.Context()).Err(); err != nil {
			t.Fatalf("flush: %v", err)
		}
		s := NewRedisStore(client, RedisOptions{})
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// TestRedisStoreCluster runs the contract through a ClusterClient against
// a one-node cluster: pipelines across slots, SCAN on every master.
func TestRedisStoreCluster(t *testing.T) {
	srv := redistest.StartWith(t, "--cluster-enabled", "yes")
	makeCluster(t, srv.Addr())
	testStore(t, func(t *testing.T) Store {
		client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{srv.Addr()}})
		if err := client.ForEachMaster(t.Context(), func(ctx context.Context, c *redis.Client) error {
			return c.FlushAll(ctx).Err()
		}); err != nil {
			t.Fatalf("flush: %v", err)
		}
		s := NewRedisStore(client, RedisOptions{})
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// makeCluster gives the one node every slot and waits for the cluster to
// be up.
func makeCluster(t *testing.T, addr string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	ctx := t.Context()
	if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatalf("cluster addslots: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := c.ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster not ok after 10s: %v %q", err, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// newTestRedisStore returns a store on a fresh server and a second client
// for looking at the keys.
func newTestRedisStore(t *testing.T) (*RedisStore, *redis.Client, *redistest.Server) {
	srv := redistest.Start(t)
	s := NewRedisStore(redis.NewClient(&redis.Options{Addr: srv.Addr()}), RedisOptions{})
	t.Cleanup(func() { _ = s.Close() })
	look := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = look.Close() })
	return s, look, srv
}

func TestRedisKeysCarryHashTags(t *testing.T) {
	s, look, _ := newTestRedisStore(t)
	mustAppend(t, s, rec("p", baseTime(), "prod", "DEFAULT_GROUP", "orders", "10.0.0.7"))
	keys, err := look.Keys(t.Context(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	want := []string{"herald:trk:ip:{10.0.0.7}", "herald:trk:svc:{prod|DEFAULT_GROUP|orders}"}
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %q, want %q", keys, want)
	}
	for _, k := range keys {
		if typ := look.Type(t.Context(), k).Val(); typ != "stream" {
			t.Errorf("%s is a %s, want a stream", k, typ)
		}
	}
}

// TestRedisNamesCannotCollide: names built to collide if parts were
// joined or braced naively each get their own stream, whose hash tag is
// the whole (escaped) selector.
func TestRedisNamesCannotCollide(t *testing.T) {
	s, look, _ := newTestRedisStore(t)
	names := [][3]string{
		{"", "g|x", "y"}, {"", "g", "x|y"}, {"", "g", "x%7Cy"},
		{"ns", "g", "a}b"}, {"ns", "g", "a{b"}, {"ns", "g", "{a}"}, {"ns", "g", "a%7Db"},
		{"n}s", "g", "svc"}, {"n", "s}g", "svc"}, {"ns", "g", "with space"}, {"ns", "g", "with%20space"},
	}
	t0 := baseTime()
	for i, n := range names {
		mustAppend(t, s, rec(fmt.Sprint("p", i), t0, n[0], n[1], n[2], fmt.Sprint("10.0.0.", i)))
	}
	for i, n := range names {
		assertPushIDs(t, findAll(t, s, svcQuery(n[0], n[1], n[2])), fmt.Sprint("p", i))
	}
	keys := look.Keys(t.Context(), serviceKeyPrefix+"*").Val()
	if len(keys) != len(names) {
		t.Fatalf("%d service keys for %d names: %q", len(keys), len(names), keys)
	}
	for _, k := range keys {
		tag := strings.TrimSuffix(strings.TrimPrefix(k, serviceKeyPrefix+"{"), "}")
		if strings.ContainsAny(tag, "{}") || strings.Count(tag, "|") != 2 {
			t.Errorf("key %q: hash tag %q must hold no braces and exactly two separators", k, tag)
		}
	}
}

func TestRedisKeySlotIsTheTag(t *testing.T) {
	srv := redistest.StartWith(t, "--cluster-enabled", "yes")
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer c.Close()
	for _, k := range []string{topicKey(KindNaming, "n}s", "g|x", "{svc}"), ipKey("fe80::1%eth0")} {
		tag := k[strings.IndexByte(k, '{') : strings.LastIndexByte(k, '}')+1]
		slot, err1 := c.ClusterKeySlot(t.Context(), k).Result()
		tagSlot, err2 := c.ClusterKeySlot(t.Context(), "other:"+tag).Result()
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		if slot != tagSlot {
			t.Errorf("%s: slot %d, but its tag %s hashes to %d", k, slot, tag, tagSlot)
		}
	}
}

func TestRedisOutage(t *testing.T) {
	s, _, srv := newTestRedisStore(t)
	r := rec("p", baseTime(), "ns", "g", "svc", "10.0.0.1")
	mustAppend(t, s, r)

	// go-redis retries a refused dial for about 3s by default; the
	// caller's deadline is what makes a failing Append quick.
	srv.Stop()
	for _, op := range []string{"Append", "Find"} {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		start := time.Now()
		var err error
		if op == "Append" {
			err = s.Append(ctx, []Record{r})
		} else {
			_, err = s.Find(ctx, svcQuery("ns", "g", "svc"))
		}
		cancel()
		if err == nil {
			t.Fatalf("%s with Redis stopped: no error", op)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("%s with Redis stopped took %v; the context allowed 1s", op, d)
		}
	}

	srv.Restart()
	ctx2, cancel2 := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel2()
	if err := s.Append(ctx2, []Record{r}); err != nil {
		t.Fatalf("Append after restart: %v", err)
	}
	assertPushIDs(t, findAll(t, s, svcQuery("ns", "g", "svc")), "p") // the restarted server kept nothing
}

func TestRedisTrimDeletesEmptyStreams(t *testing.T) {
	s, look, _ := newTestRedisStore(t)
	t0 := baseTime()
	const gap = 2 * packSpanMs // so Trim's slack keeps no earlier record
	for i := range int64(30) {
		mustAppend(t, s, rec(fmt.Sprint("p", i), t0+gap*i, "ns", "g", fmt.Sprint("svc", i%3), fmt.Sprint("10.0.0.", i)))
	}
	if err := look.Set(t.Context(), keyPrefix+"not-a-stream", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Trim(t.Context(), time.UnixMilli(t0+gap*29)); err != nil {
		t.Fatal(err)
	}
	keys := look.Keys(t.Context(), "*").Val()
	slices.Sort(keys)
	want := []string{"herald:trk:ip:{10.0.0.29}", keyPrefix + "not-a-stream", "herald:trk:svc:{ns|g|svc2}"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys after Trim %q, want %q", keys, want)
	}
}

func TestRedisCorruptEntryIsAnError(t *testing.T) {
	s, look, _ := newTestRedisStore(t)
	key := topicKey(KindNaming, "ns", "g", "svc")
	if err := look.XAdd(t.Context(), &redis.XAddArgs{Stream: key, Values: []any{"other", "x"}}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := look.XAdd(t.Context(), &redis.XAddArgs{Stream: key, Values: []any{recordField, "{not json"}}).Err(); err != nil {
		t.Fatal(err)
	}
	q := svcQuery("ns", "g", "svc")
	for _, oldest := range []bool{true, false} {
		q.Oldest = oldest
		if _, err := s.Find(t.Context(), q); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("oldest=%v: err %v, want an error naming %s", oldest, err, key)
		}
	}
}
