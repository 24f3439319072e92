package redistest

import (
	"context"
	"fmt"
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

// MasterOf returns the address of the master serving key's slot, as a
// live node sees it now (a client's cached slot map may be older).
func (c *Cluster) MasterOf(key string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var slot int64
	err := withNode(c.liveAddrs()[0], func(n *redis.Client) error {
		var err error
		slot, err = n.ClusterKeySlot(ctx, key).Result()
		return err
	})
	if err != nil {
		c.t.Fatalf("redistest: keyslot %q: %v", key, err)
	}
	nodes, err := c.view(ctx)
	if err != nil {
		c.t.Fatalf("redistest: cluster nodes: %v", err)
	}
	if n := ownerOf(nodes, int(slot)); n != nil {
		return n.addr
	}
	return ""
}

// Server returns the node at addr (one of Addrs), or nil for an unknown
// address. To bring back a node KillMaster stopped, use Cluster.Restart.
func (c *Cluster) Server(addr string) *Server {
	for _, s := range c.servers {
		if s.Addr() == addr {
			return s
		}
	}
	return nil
}

// Stop stops every node; it also runs when the test ends.
func (c *Cluster) Stop() {
	for _, s := range c.servers {
		s.Stop()
	}
}
