package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"
	"github.com/redis/go-redis/v9"

	"github.com/herald-gateway/herald/internal/redistest"
	"github.com/herald-gateway/herald/tracker"
)

// The tracker on a real three-master Redis Cluster with a replica each:
// an SDK subscriber's pushes on services whose streams lie on every
// master are recorded; a master is killed and its replica promoted while
// changes are pushed: every push still reaches the subscriber within the
// usual bound, and once the replica is promoted the tracker writes again
// (its backlog emptied) and the pushes made after it are recorded for
// every service, on every master.
func TestTrackerOnRedisClusterFailover(t *testing.T) {
	c := redistest.StartCluster(t, 3, 1)
	cfg := trackingConfig(t, "")
	cfg.Tracker.Redis, cfg.Tracker.Cluster = c.Addrs(), true
	d := startHerald(t, cfg)
	services := spreadServices(t, c, 6)
	port := grpcPort(t, d)
	sub, reg := newClient(t, port, ""), newClient(t, port, "")
	watchers := make([]*watcher, len(services))
	for i, s := range services {
		watchers[i] = newWatcher()
		subscribe(t, sub, watchers[i], vo.SubscribeParam{ServiceName: s})
	}
	// round registers instance 10.3.0.1:<n> in every service and waits
	// for each push.
	round := func(n uint64) {
		t.Helper()
		for i, s := range services {
			mustRegister(t, reg, instance(s, "10.3.0.1", n))
			watchers[i].waitFor(t, fmt.Sprintf("%s with port %d", s, n), wait, hasAddr("10.3.0.1:"+strconv.FormatUint(n, 10)))
		}
	}
	round(1)
	for _, s := range services {
		findResult(t, d, "/v1/tracks/service", url.Values{"service": {s}}, "acked")
	}

	killed := c.KillMaster(1)
	for n := uint64(2); n <= 4; n++ { // pushes while the master is gone
		round(n)
	}
	c.AwaitFailover(1, killed)
	promoted := time.Now().UnixMilli()
	round(5)
	for _, s := range services {
		eventually(t, "a record after the promotion for "+s, 30*time.Second, func() error {
			page, err := tracks(t, d, "/v1/tracks/service", url.Values{"service": {s}})
			if err != nil {
				return err
			}
			if len(page.Records) == 0 || page.Records[0].At < promoted {
				return fmt.Errorf("%d records, none after the promotion", len(page.Records))
			}
			return nil
		})
	}
	eventually(t, "tracker backlog written", 30*time.Second, func() error {
		var st struct {
			Tracker tracker.RecorderStats `json:"tracker"`
		}
		_, body := adminGet(t, d, "/stats", nil)
		if err := json.Unmarshal(body, &st); err != nil {
			return err
		}
		if st.Tracker.StoreDown || st.Tracker.Backlog != 0 {
			return fmt.Errorf("tracker stats %+v", st.Tracker)
		}
		return nil
	})
}

// spreadServices returns n service names whose tracker streams (hash tag
// "{public|DEFAULT_GROUP|<name>}") lie on every master of c.
func spreadServices(t *testing.T, c *redistest.Cluster, n int) []string {
	t.Helper()
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer client.Close()
	var names []string
	on := map[string]bool{}
	for i := 0; len(names) < n || len(on) < len(c.Masters()); i++ {
		if i > 1000 {
			t.Fatalf("no %d service names spread over the masters: %v", n, on)
		}
		name := "spread-" + strconv.Itoa(i)
		m, err := client.MasterForKey(t.Context(), "{public|DEFAULT_GROUP|"+name+"}")
		if err != nil {
			t.Fatal(err)
		}
		if len(names) < n && (!on[m.Options().Addr] || len(on) == len(c.Masters())) {
			names = append(names, name)
			on[m.Options().Addr] = true
		}
	}
	return names
}

// hasAddr is true when the instances include addr ("ip:port").
func hasAddr(addr string) func([]model.Instance) bool {
	return func(ins []model.Instance) bool {
		return slices.ContainsFunc(ins, func(in model.Instance) bool {
			return fmt.Sprintf("%s:%d", in.Ip, in.Port) == addr
		})
	}
}

// The slot of a service's tracker stream moves to another master between
// pushes (as redis-cli --cluster reshard moves it): the pushes after the
// move are recorded too, nothing is dropped and no record is written twice.
func TestTrackerOnRedisClusterSlotMove(t *testing.T) {
	c := redistest.StartCluster(t, 3, 0)
	cfg := trackingConfig(t, "")
	cfg.Tracker.Redis, cfg.Tracker.Cluster = c.Addrs(), true
	d := startHerald(t, cfg)
	port := grpcPort(t, d)
	sub, reg := newClient(t, port, ""), newClient(t, port, "")
	w := newWatcher()
	subscribe(t, sub, w, vo.SubscribeParam{ServiceName: "moving"})
	push := func(n uint64) {
		t.Helper()
		mustRegister(t, reg, instance("moving", "10.4.0.1", n))
		w.waitFor(t, fmt.Sprintf("port %d", n), wait, hasAddr("10.4.0.1:"+strconv.FormatUint(n, 10)))
	}
	q := url.Values{"service": {"moving"}}
	push(1)
	findResult(t, d, "/v1/tracks/service", q, "acked")

	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer client.Close()
	const tag = "{public|DEFAULT_GROUP|moving}"
	slot, err := client.ClusterKeySlot(t.Context(), tag).Result()
	if err != nil {
		t.Fatal(err)
	}
	from, err := client.MasterForKey(t.Context(), tag)
	if err != nil {
		t.Fatal(err)
	}
	to := c.Masters()[0]
	if to == from.Options().Addr {
		to = c.Masters()[1]
	}
	c.MoveSlot(int(slot), to)
	for n := uint64(2); n <= 4; n++ {
		push(n)
	}
	eventually(t, "every push acked and recorded once", 30*time.Second, func() error {
		page, err := tracks(t, d, "/v1/tracks/service", q)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		acked := 0
		for _, r := range page.Records {
			id := fmt.Sprintf("%s %s %d", r.PushID, r.Result, r.Attempt)
			if seen[id] {
				return fmt.Errorf("record %s written twice", id)
			}
			seen[id] = true
			if r.Result == "acked" {
				acked++
			}
		}
		if acked < 4 {
			return fmt.Errorf("%d acked records of at least 4 pushes", acked)
		}
		return nil
	})
	var st struct {
		Tracker tracker.RecorderStats `json:"tracker"`
	}
	_, body := adminGet(t, d, "/stats", nil)
	if err := json.Unmarshal(body, &st); err != nil || st.Tracker.Dropped != 0 || st.Tracker.StoreDown {
		t.Fatalf("tracker stats %s (%v)", body, err)
	}
}
