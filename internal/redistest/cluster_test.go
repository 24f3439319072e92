package redistest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"
)

// writeKeys sets n keys through a cluster client (spread over every slot
// range) and fails the test on any error.
func writeKeys(t *testing.T, c *redis.ClusterClient, prefix string, n int) {
	t.Helper()
	for i := range n {
		if err := c.Set(t.Context(), fmt.Sprintf("%s:%d", prefix, i), i, 0).Err(); err != nil {
			t.Fatalf("set %s:%d: %v", prefix, i, err)
		}
	}
}

func TestClusterThreeMastersFailover(t *testing.T) {
	c := StartCluster(t, 3, 1)
	if got := len(c.Addrs()); got != 6 {
		t.Fatalf("%d nodes, want 6", got)
	}
	masters := c.Masters()
	if len(masters) != 3 || slices.Contains(masters, "") || masters[0] == masters[1] || masters[1] == masters[2] {
		t.Fatalf("masters %v", masters)
	}
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer client.Close()
	writeKeys(t, client, "before", 100)
	perMaster := map[string]int{}
	for i := range 100 {
		slot, err := client.ClusterKeySlot(t.Context(), fmt.Sprintf("before:%d", i)).Result()
		if err != nil {
			t.Fatal(err)
		}
		for m, r := range c.ranges {
			if int(slot) >= r[0] && int(slot) <= r[1] {
				perMaster[masters[m]]++
			}
		}
	}
	if len(perMaster) != 3 {
		t.Fatalf("100 keys on %d masters: %v", len(perMaster), perMaster)
	}

	killed := c.KillMaster(1)
	if killed != masters[1] {
		t.Fatalf("killed %s, master 1 was %s", killed, masters[1])
	}
	promoted := c.AwaitFailover(1, killed)
	if promoted == killed || slices.Contains(masters, promoted) {
		t.Fatalf("promoted %s; masters were %v", promoted, masters)
	}
	if got := c.Masters(); got[1] != promoted || got[0] != masters[0] || got[2] != masters[2] {
		t.Fatalf("masters after failover %v, want %s in place 1 of %v", got, promoted, masters)
	}
	// go-redis reloads its slot map on MOVED or every 60s, not when a
	// master stops answering, so the old client may still dial the dead
	// master (the tracker's Redis store asks it to reload after a failed
	// write); a new client loads the map as it is now.
	fresh := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer fresh.Close()
	writeKeys(t, fresh, "after", 100)

	c.Restart(killed) // comes back as a replica
	if got := c.Masters()[1]; got != promoted {
		t.Fatalf("slot range 1 at %s after the old master returned, want %s", got, promoted)
	}
	// The old master is now the promoted one's replica: a second failover
	// of range 1 goes back to it.
	if back := c.Failover(1); back != killed {
		t.Fatalf("second failover of range 1 promoted %s, want the old master %s", back, killed)
	}
}

func TestClusterGracefulFailover(t *testing.T) {
	c := StartCluster(t, 3, 1)
	old := c.Masters()[2]
	promoted := c.Failover(2)
	if promoted == old {
		t.Fatalf("failover kept %s", old)
	}
	if got := c.Masters()[2]; got != promoted {
		t.Fatalf("slot range 2 at %s, want %s", got, promoted)
	}
}

func TestParseClusterNodes(t *testing.T) {
	text := "07c3 127.0.0.1:30004@31004,host slave e7d1 0 1426238317239 4 connected\n" +
		"67ed 127.0.0.1:30002@31002 master - 0 1426238316232 2 connected 5461-10922 [5461->-e7d1]\n" +
		"e7d1 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460 16000\n"
	nodes, err := parseClusterNodes(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 3 || nodes[0].master != "e7d1" || !nodes[0].has("slave") || nodes[0].addr != "127.0.0.1:30004" {
		t.Fatalf("nodes %+v", nodes)
	}
	if n := ownerOf(nodes, 16000); n == nil || n.id != "e7d1" {
		t.Fatalf("owner of 16000: %+v", n)
	}
	if n := ownerOf(nodes, 6000); n == nil || n.id != "67ed" {
		t.Fatalf("owner of 6000: %+v", n)
	}
	if n := ownerOf(nodes, 12000); n != nil {
		t.Fatalf("owner of unserved 12000: %+v", n)
	}
	if _, err := parseClusterNodes("short line\n"); err == nil {
		t.Fatal("short line parsed")
	}
}

func TestClusterMoveSlot(t *testing.T) {
	c := StartCluster(t, 3, 0)
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer client.Close()
	const key = "{moved}:k"
	slot, err := client.ClusterKeySlot(t.Context(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := client.RPush(t.Context(), key, i).Err(); err != nil {
			t.Fatal(err)
		}
	}
	from, err := client.MasterForKey(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	to := c.Masters()[0]
	if to == from.Options().Addr {
		to = c.Masters()[1]
	}
	c.MoveSlot(int(slot), to)
	if err := client.RPush(t.Context(), key, 50).Err(); err != nil { // MOVED, followed
		t.Fatalf("push after the move: %v", err)
	}
	n, err := client.LLen(t.Context(), key).Result()
	if err != nil || n != 51 {
		t.Fatalf("list length %d, %v; want 51", n, err)
	}
	if now := c.MasterOf(key); now != to {
		t.Fatalf("key on %s after the move, want %s", now, to)
	}
}
