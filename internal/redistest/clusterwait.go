package redistest

// Waiting for cluster states, and talking to one node at a time.

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

func (c *Cluster) isKilled(addr string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.killed[addr]
}

// liveAddrs are the nodes KillMaster has not stopped.
func (c *Cluster) liveAddrs() []string {
	var out []string
	for _, a := range c.Addrs() {
		if !c.isKilled(a) {
			out = append(out, a)
		}
	}
	return out
}

// view is the cluster's nodes as the first live node that answers sees
// them.
func (c *Cluster) view(ctx context.Context) ([]clusterNode, error) {
	var lastErr error
	for _, a := range c.liveAddrs() {
		nodes, err := clusterNodes(ctx, a)
		if err == nil {
			return nodes, nil
		}
		lastErr = err
	}
	return nil, fmt.Errorf("no live node answers CLUSTER NODES: %v", lastErr)
}

// everyLive runs check against every live node.
func (c *Cluster) everyLive(ctx context.Context, check func(context.Context, string) error) error {
	for _, a := range c.liveAddrs() {
		if err := check(ctx, a); err != nil {
			return fmt.Errorf("%s: %w", a, err)
		}
	}
	return nil
}

// allKnown: every node lists every node.
func (c *Cluster) allKnown(ctx context.Context) error {
	return c.everyLive(ctx, func(ctx context.Context, a string) error {
		nodes, err := clusterNodes(ctx, a)
		if err != nil {
			return err
		}
		if len(nodes) != len(c.servers) {
			return fmt.Errorf("knows %d of %d nodes", len(nodes), len(c.servers))
		}
		return nil
	})
}

// settled: every node is ok and sees want replicas, each linked to its
// master and in sync.
func (c *Cluster) settled(ctx context.Context, want int) error {
	return c.everyLive(ctx, func(ctx context.Context, a string) error {
		if err := clusterOK(ctx, a); err != nil {
			return err
		}
		nodes, err := clusterNodes(ctx, a)
		if err != nil {
			return err
		}
		replicas := 0
		for _, n := range nodes {
			if n.has("slave") {
				replicas++
			}
		}
		if replicas != want {
			return fmt.Errorf("sees %d of %d replicas", replicas, want)
		}
		return linkUp(ctx, a)
	})
}

// await polls check every 50ms until it returns nil or ctx ends.
func (c *Cluster) await(ctx context.Context, what string, check func(context.Context) error) error {
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: not within %v: %w", what, clusterTimeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// do runs one command on the node at addr.
func (c *Cluster) do(ctx context.Context, addr string, args ...any) error {
	return withNode(addr, func(n *redis.Client) error { return n.Do(ctx, args...).Err() })
}

// withNode runs f with a client of the node at addr alone.
func withNode(addr string, f func(*redis.Client) error) error {
	n := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second,
		ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second, PoolSize: 1})
	defer n.Close()
	return f(n)
}

// clusterOK: the node reports cluster_state:ok.
func clusterOK(ctx context.Context, addr string) error {
	return withNode(addr, func(n *redis.Client) error {
		info, err := n.ClusterInfo(ctx).Result()
		if err != nil {
			return err
		}
		if !containsLine(info, "cluster_state:ok") {
			return fmt.Errorf("cluster_state not ok")
		}
		return nil
	})
}

// linkUp: a replica's link to its master is up and its initial sync done;
// a master passes.
func linkUp(ctx context.Context, addr string) error {
	return withNode(addr, func(n *redis.Client) error {
		info, err := n.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if containsLine(info, "role:slave") && !containsLine(info, "master_link_status:up") {
			return fmt.Errorf("replica link not up")
		}
		return nil
	})
}

// nodeID is the node's cluster id.
func nodeID(ctx context.Context, addr string) (string, error) {
	var id string
	err := withNode(addr, func(n *redis.Client) error {
		var err error
		id, err = n.Do(ctx, "CLUSTER", "MYID").Text()
		return err
	})
	return id, err
}

// ownerOf is the master serving slot among nodes, or nil.
func ownerOf(nodes []clusterNode, slot int) *clusterNode {
	for i := range nodes {
		n := &nodes[i]
		if n.has("master") && slices.ContainsFunc(n.slots, func(r [2]int) bool { return r[0] <= slot && slot <= r[1] }) {
			return n
		}
	}
	return nil
}
