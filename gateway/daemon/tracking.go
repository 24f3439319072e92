package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/tracker"
)

// newStore returns the configured track store: Redis when addresses are
// given, else the bounded in-memory store. A Redis that does not answer at
// start is not fatal: records are buffered until it does.
func newStore(cfg conf.TrackerConfig, d *Daemon) (tracker.Store, error) {
	if len(cfg.Redis) == 0 {
		return tracker.NewMemoryStore(tracker.MemoryOptions{MaxRecords: cfg.MemoryRecords, Retention: cfg.Retention}), nil
	}
	client := newRedisClient(cfg)
	d.redis = client // the fleet view shares it (fleet.go)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		d.log.Warn("tracker redis not reachable at start; records are buffered until it is", "addrs", cfg.Redis, "err", err)
	}
	return tracker.NewRedisStore(client, tracker.RedisOptions{Retention: cfg.Retention}), nil
}

// newRedisClient is the client of cfg.Redis: a Cluster client with
// cluster set or several addresses.
func newRedisClient(cfg conf.TrackerConfig) redis.UniversalClient {
	if cfg.Cluster || len(cfg.Redis) > 1 {
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: cfg.Redis})
	}
	return redis.NewClient(&redis.Options{Addr: cfg.Redis[0]})
}

// startTracking opens the store and the recorder that feeds it.
func (d *Daemon) startTracking() error {
	store, err := newStore(d.cfg.Tracker, d)
	if err != nil {
		return fmt.Errorf("tracker store: %w", err)
	}
	d.store = store
	d.recorder = tracker.NewRecorder(store, tracker.RecorderOptions{
		Node: d.cfg.Node, Buffer: d.cfg.Tracker.Buffer, Backlog: d.cfg.Tracker.Backlog,
		Retention: d.cfg.Tracker.Retention,
		Logger:    d.log.With("component", "tracker"),
	})
	return nil
}

// stopTracking flushes the recorder and closes the store.
func (d *Daemon) stopTracking() {
	if d.recorder != nil {
		d.recorder.Close()
	}
	if d.store != nil {
		if err := d.store.Close(); err != nil {
			d.log.Warn("tracker store close", "err", err)
		}
	}
}
