package redistest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster timing. NodeTimeout is Redis's cluster-node-timeout: a master
// that does not answer for this long is failed over to a replica, which
// then takes about NodeTimeout more to be elected. clusterTimeout bounds
// every wait of the helper (creation, failover, slot moves), generous
// because the test machines are shared.
const (
	NodeTimeout    = 1500 * time.Millisecond
	clusterTimeout = 45 * time.Second
	slotCount      = 16384
)

// Cluster is a real Redis Cluster owned by a test: masters plus replicas,
// each a redis-server with --cluster-enabled yes on free 127.0.0.1 ports
// (client and bus). The slots are split evenly over the masters in order
// (master 0 holds the lowest slots). Its methods are safe for concurrent
// use; they fail the test (t.Fatal) when the cluster does not reach the
// state they wait for within a bound.
type Cluster struct {
	t testing.TB

	// mu protects killed.
	mu      sync.Mutex
	killed  map[string]bool // addresses of nodes KillMaster stopped
	servers []*Server       // every node, in creation order; fixed
	ranges  [][2]int        // slot range i, first and last slot, of master i
}

// StartCluster starts masters*(1+replicasPerMaster) servers, makes the
// first masters of them masters holding an even share of the 16384 slots
// each and the rest their replicas (replicasPerMaster per master), and
// waits until every node reports cluster_state:ok, knows every other node
// and every replica's link to its master is up. The servers stop when the
// test ends.
func StartCluster(t testing.TB, masters, replicasPerMaster int) *Cluster {
	t.Helper()
	if masters < 1 || replicasPerMaster < 0 {
		t.Fatalf("redistest: StartCluster(%d, %d): need at least one master", masters, replicasPerMaster)
	}
	c := &Cluster{t: t, killed: map[string]bool{}}
	args := []string{"--cluster-enabled", "yes",
		"--cluster-node-timeout", strconv.Itoa(int(NodeTimeout.Milliseconds())),
		// A replica may always be promoted, however long its link was down.
		"--cluster-replica-validity-factor", "0"}
	for range masters * (1 + replicasPerMaster) {
		c.servers = append(c.servers, startServer(t, true, args))
	}
	for i := range masters {
		lo := i * slotCount / masters
		hi := (i+1)*slotCount/masters - 1
		c.ranges = append(c.ranges, [2]int{lo, hi})
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if err := c.create(ctx, masters, replicasPerMaster); err != nil {
		t.Fatalf("redistest: create cluster: %v", err)
	}
	return c
}

// create assigns the slots, joins the nodes, attaches the replicas and
// waits for the cluster to settle.
func (c *Cluster) create(ctx context.Context, masters, replicas int) error {
	for i := range masters {
		r := c.ranges[i]
		err := c.do(ctx, c.servers[i].Addr(), "CLUSTER", "ADDSLOTSRANGE", r[0], r[1])
		if err == nil { // distinct epochs, as redis-cli --cluster create sets them
			err = c.do(ctx, c.servers[i].Addr(), "CLUSTER", "SET-CONFIG-EPOCH", i+1)
		}
		if err != nil {
			return fmt.Errorf("master %d: %w", i, err)
		}
	}
	first := c.servers[0]
	for _, s := range c.servers[1:] {
		if err := c.do(ctx, s.Addr(), "CLUSTER", "MEET", "127.0.0.1", first.port, first.bus); err != nil {
			return fmt.Errorf("meet %s: %w", s.Addr(), err)
		}
	}
	if err := c.await(ctx, "every node knows every node", c.allKnown); err != nil {
		return err
	}
	for j, s := range c.servers[masters:] {
		m := c.servers[j%masters]
		id, err := nodeID(ctx, m.Addr())
		if err == nil {
			err = c.do(ctx, s.Addr(), "CLUSTER", "REPLICATE", id)
		}
		if err != nil {
			return fmt.Errorf("replica %s of %s: %w", s.Addr(), m.Addr(), err)
		}
	}
	return c.await(ctx, "cluster ok with every replica in sync", func(ctx context.Context) error {
		return c.settled(ctx, masters*replicas)
	})
}

// Addrs returns the addresses of every node started, masters first: the
// seeds for a cluster client. Killed nodes stay in the list, as they
// would in a client's configuration.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.servers))
	for i, s := range c.servers {
		addrs[i] = s.Addr()
	}
	return addrs
}

// Masters returns, for each slot range (master i's at creation), the
// address of the node that now serves it as seen by a live node: after a
// failover the promoted replica takes the killed master's place.
func (c *Cluster) Masters() []string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nodes, err := c.view(ctx)
	if err != nil {
		c.t.Fatalf("redistest: cluster nodes: %v", err)
	}
	out := make([]string, len(c.ranges))
	for i, r := range c.ranges {
		if n := ownerOf(nodes, r[0]); n != nil {
			out[i] = n.addr
		}
	}
	return out
}

// Server returns the node at addr (one of Addrs), for Stop or Restart; a
// restarted node rejoins the cluster with the configuration it saved (a
// killed master comes back as a replica of its successor). It returns nil
// for an unknown address.
func (c *Cluster) Server(addr string) *Server {
	for _, s := range c.servers {
		if s.Addr() == addr {
			return s
		}
	}
	return nil
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

// Stop stops every node; it also runs when the test ends.
func (c *Cluster) Stop() {
	for _, s := range c.servers {
		s.Stop()
	}
}

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
