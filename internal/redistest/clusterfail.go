package redistest

// Failures: killing, restarting and failing over a cluster's nodes.

import (
	"context"
	"fmt"
)

// Restart starts the node at addr again (after KillMaster, or stops and
// starts it) and waits until it has rejoined (see rejoined). It rejoins with
// the configuration it saved and no data: a master that was failed over
// comes back as a replica of its successor.
func (c *Cluster) Restart(addr string) {
	c.t.Helper()
	s := c.Server(addr)
	if s == nil {
		c.t.Fatalf("redistest: restart %s: not a node of the cluster", addr)
	}
	s.Restart()
	c.mu.Lock()
	delete(c.killed, addr)
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if err := c.await(ctx, addr+" back in the cluster", func(ctx context.Context) error { return c.rejoined(ctx, addr) }); err != nil {
		c.t.Fatalf("redistest: %v", err)
	}
}

// rejoined: the node at addr is ok, agrees with the other nodes on who
// serves each slot range, is seen by them without a failure flag and, as
// a replica, is in sync with its master.
func (c *Cluster) rejoined(ctx context.Context, addr string) error {
	if err := clusterOK(ctx, addr); err != nil {
		return err
	}
	mine, err := clusterNodes(ctx, addr)
	if err != nil {
		return err
	}
	for _, other := range c.liveAddrs() {
		if other == addr {
			continue
		}
		theirs, err := clusterNodes(ctx, other)
		if err != nil {
			return err
		}
		for _, n := range theirs {
			if n.addr == addr && (n.has("fail") || n.has("fail?") || !n.has("master") && n.master == "") {
				return fmt.Errorf("%s sees %s as %v", other, addr, n.flags)
			}
		}
		for _, r := range c.ranges {
			a, b := ownerOf(mine, r[0]), ownerOf(theirs, r[0])
			if a == nil || b == nil || a.addr != b.addr {
				return fmt.Errorf("%s and %s disagree on slot %d", addr, other, r[0])
			}
		}
		break // one other node's view is the cluster's
	}
	return linkUp(ctx, addr)
}

// KillMaster kills the process of the node serving slot range i (see
// Masters) and returns its address. The cluster fails it over to one of
// its replicas after about NodeTimeout; AwaitFailover waits for that.
func (c *Cluster) KillMaster(i int) string {
	c.t.Helper()
	addr := c.Masters()[i]
	s := c.Server(addr)
	if s == nil {
		c.t.Fatalf("redistest: slot range %d has no live master", i)
	}
	c.mu.Lock()
	c.killed[addr] = true
	c.mu.Unlock()
	s.Stop()
	return addr
}

// AwaitFailover waits until slot range i is served by a live master other
// than the killed address was, and every live node reports
// cluster_state:ok; it returns the promoted master's address.
func (c *Cluster) AwaitFailover(i int, killed string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	var promoted string
	err := c.await(ctx, fmt.Sprintf("slot range %d failed over from %s", i, killed), func(ctx context.Context) error {
		if err := c.everyLive(ctx, clusterOK); err != nil {
			return err
		}
		nodes, err := c.view(ctx)
		if err != nil {
			return err
		}
		n := ownerOf(nodes, c.ranges[i][0])
		if n == nil || n.addr == killed || c.isKilled(n.addr) || n.has("fail") || n.has("fail?") {
			return fmt.Errorf("slot %d owner %+v", c.ranges[i][0], n)
		}
		promoted = n.addr
		return nil
	})
	if err != nil {
		c.t.Fatalf("redistest: %v", err)
	}
	return promoted
}

// Failover promotes a replica of slot range i's master gracefully (CLUSTER
// FAILOVER on the replica: no writes lost) and waits until it serves the
// range; it returns the new master's address.
func (c *Cluster) Failover(i int) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	old := c.Masters()[i]
	oldID, err := nodeID(ctx, old)
	if err != nil {
		c.t.Fatalf("redistest: failover %d: %v", i, err)
	}
	nodes, err := c.view(ctx)
	if err != nil {
		c.t.Fatalf("redistest: failover %d: %v", i, err)
	}
	replica := ""
	for _, n := range nodes {
		if n.master == oldID && !n.has("fail") && !c.isKilled(n.addr) {
			replica = n.addr
			break
		}
	}
	if replica == "" {
		c.t.Fatalf("redistest: failover %d: master %s has no live replica", i, old)
	}
	if err := c.do(ctx, replica, "CLUSTER", "FAILOVER"); err != nil {
		c.t.Fatalf("redistest: failover %d to %s: %v", i, replica, err)
	}
	err = c.await(ctx, fmt.Sprintf("%s serving slot range %d", replica, i), func(ctx context.Context) error {
		if err := c.everyLive(ctx, clusterOK); err != nil {
			return err
		}
		for _, s := range c.liveAddrs() {
			nodes, err := clusterNodes(ctx, s)
			if err != nil {
				return err
			}
			if n := ownerOf(nodes, c.ranges[i][0]); n == nil || n.addr != replica {
				return fmt.Errorf("%s sees slot %d at %+v", s, c.ranges[i][0], n)
			}
		}
		return nil
	})
	if err != nil {
		c.t.Fatalf("redistest: %v", err)
	}
	return replica
}
