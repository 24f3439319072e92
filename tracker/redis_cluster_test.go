package tracker

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/internal/redistest"
	"github.com/herald-gateway/herald/upstream"
)

// Streams the cluster tests write: enough services and client IPs that
// their hash tags land on every master.
const (
	loadServices = 60
	loadIPs      = 30
)

// TestRedisStoreThreeMasterCluster runs the store contract against a
// real three-master cluster: pipelines split over three nodes, Trim's
// SCAN on each master.
func TestRedisStoreThreeMasterCluster(t *testing.T) {
	c := redistest.StartCluster(t, 3, 0)
	testStore(t, func(t *testing.T) Store {
		client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
		if err := client.ForEachMaster(t.Context(), func(ctx context.Context, m *redis.Client) error {
			return m.FlushAll(ctx).Err()
		}); err != nil {
			t.Fatalf("flush: %v", err)
		}
		s := NewRedisStore(client, RedisOptions{})
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// A master is killed while outcomes stream in and its replica is
// promoted: Observe never blocks, the Recorder holds its backlog while
// the store is down and empties it once the promoted master answers, and
// every outcome ends written or counted as dropped; every stream, on
// every master, gets records again.
func TestRecorderClusterFailover(t *testing.T) {
	c := redistest.StartCluster(t, 3, 1)
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	store := NewRedisStore(client, RedisOptions{})
	t.Cleanup(func() { _ = store.Close() })
	requireSpread(t, client, c.Masters())
	r := NewRecorder(store, RecorderOptions{Node: "n1", FlushEvery: 20 * time.Millisecond, RetryEvery: 100 * time.Millisecond})
	l := startLoad(r)
	defer l.stop()

	awaitStats(t, r, "first records written", func(s RecorderStats) bool { return s.Written > 0 })
	killed := c.KillMaster(1)
	awaitStats(t, r, "store down, backlog held", func(s RecorderStats) bool { return s.StoreDown && s.Backlog > 0 })
	promoted := c.AwaitFailover(1, killed)
	resumed := time.Now()
	before := r.Stats().Written
	awaitStats(t, r, "writes resumed, backlog empty", func(s RecorderStats) bool {
		return !s.StoreDown && s.Backlog == 0 && s.Written > before
	})
	l.stop()
	r.Close()

	st := r.Stats()
	if st.Written+st.Dropped != l.observed.Load() {
		t.Fatalf("observed %d, written %d + dropped %d", l.observed.Load(), st.Written, st.Dropped)
	}
	if m := time.Duration(l.maxObserve.Load()); m > time.Second { // a non-blocking send; generous for a loaded machine
		t.Fatalf("an Observe took %v during the failover", m)
	}
	stored, dups := 0, 0
	for i := range loadServices {
		recs := findAll(t, store, svcQuery("public", "G", loadService(i)))
		stored += len(recs)
		seen := map[string]bool{}
		for _, rc := range recs {
			if seen[rc.PushID] {
				dups++
			}
			seen[rc.PushID] = true
		}
		if len(recs) == 0 || recs[0].At < resumed.UnixMilli() {
			t.Fatalf("service %s: no record after the promotion (%d records)", loadService(i), len(recs))
		}
	}
	// Duplicates are the batch in flight when the master died: go-redis
	// reports its commands failed, though the live masters applied them.
	t.Logf("promoted %s for %s; observed %d, written %d, dropped %d, in service streams %d, of them written twice %d",
		promoted, killed, l.observed.Load(), st.Written, st.Dropped, stored, dups)
}

// A slot holding a busy stream moves to another master while it is being
// written (ASK, then MOVED): nothing is dropped, and the stream holds
// exactly the records written to it.
func TestRecorderClusterSlotMove(t *testing.T) {
	c := redistest.StartCluster(t, 3, 0)
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	store := NewRedisStore(client, RedisOptions{})
	t.Cleanup(func() { _ = store.Close() })
	key := topicKey(KindNaming, "public", "G", loadService(0))
	slot, err := client.ClusterKeySlot(t.Context(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	from, err := client.MasterForKey(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	to := c.Masters()[0]
	if to == from.Options().Addr {
		to = c.Masters()[1]
	}
	r := NewRecorder(store, RecorderOptions{Node: "n1", FlushEvery: 20 * time.Millisecond, RetryEvery: 100 * time.Millisecond})
	l := startLoad(r)
	defer l.stop()

	awaitStats(t, r, "first records written", func(s RecorderStats) bool { return s.Written > 0 })
	c.MoveSlot(int(slot), to)
	moved := r.Stats().Written
	awaitStats(t, r, "records written after the move", func(s RecorderStats) bool { return s.Written > moved+1000 })
	l.stop()
	r.Close()

	st := r.Stats()
	if st.Dropped != 0 || st.Written != l.observed.Load() {
		t.Fatalf("observed %d, written %d, dropped %d", l.observed.Load(), st.Written, st.Dropped)
	}
	recs := findAll(t, store, svcQuery("public", "G", loadService(0)))
	if want := l.perService(0); len(recs) != want {
		t.Fatalf("moved stream holds %d records, %d were written to it", len(recs), want)
	}
	if now := c.MasterOf(key); now != to {
		t.Fatalf("stream on %s after the move, want %s", now, to)
	}
}

// requireSpread checks that the load's streams live on every master.
func requireSpread(t *testing.T, client *redis.ClusterClient, masters []string) {
	t.Helper()
	on := map[string]int{}
	for i := range loadServices {
		m, err := client.MasterForKey(t.Context(), topicKey(KindNaming, "public", "G", loadService(i)))
		if err != nil {
			t.Fatal(err)
		}
		on[m.Options().Addr]++
	}
	for _, m := range masters {
		if on[m] == 0 {
			t.Fatalf("no service stream on master %s: %v", m, on)
		}
	}
}

func awaitStats(t *testing.T, r *Recorder, what string, ok func(RecorderStats) bool) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for !ok(r.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 45s; stats %+v", what, r.Stats())
		}
		time.Sleep(10 * time.Millisecond) // polling counters that have no event to await
	}
}

func loadService(i int) string { return "svc-" + strconv.Itoa(i) }

// load feeds a Recorder outcomes as a busy gateway would: every 2ms a
// burst of one outcome of service 0 and 5 cycling over loadServices
// services, each over loadIPs client IPs; at most loadMax outcomes.
type load struct {
	observed   atomic.Uint64
	maxObserve atomic.Int64 // longest Observe call, ns
	done       chan struct{}
	once       sync.Once
	wg         sync.WaitGroup

	// mu protects svc.
	mu  sync.Mutex
	svc map[int]int // outcomes per service
}

const loadMax = 200000

func startLoad(r *Recorder) *load {
	l := &load{done: make(chan struct{}), svc: map[int]int{}}
	l.wg.Add(1)
	go l.run(r)
	return l
}

func (l *load) run(r *Recorder) {
	defer l.wg.Done()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	cycle := 0
	for i := 0; i < loadMax; {
		select {
		case <-l.done:
			return
		case <-tick.C:
		}
		for k := range 6 {
			svc := 0 // in every burst
			if k > 0 {
				svc = cycle % loadServices // the other 5 cycle over all
				cycle++
			}
			o := loadOutcome(i, svc)
			start := time.Now()
			r.Observe(o)
			if d := int64(time.Since(start)); d > l.maxObserve.Load() {
				l.maxObserve.Store(d)
			}
			l.observed.Add(1)
			l.mu.Lock()
			l.svc[svc]++
			l.mu.Unlock()
			i++
		}
	}
}

// stop ends the load and waits for it; calling it again does nothing.
func (l *load) stop() {
	l.once.Do(func() { close(l.done) })
	l.wg.Wait()
}

func (l *load) perService(i int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.svc[i]
}

func loadOutcome(i, svc int) fanout.Outcome {
	now := time.Now()
	return fanout.Outcome{
		Event: fanout.EventSent, At: now, ConnID: fmt.Sprintf("c%d", i%1000), RequestID: strconv.Itoa(i),
		Topic:   fanout.NamingTopic(upstream.ServiceKey{Namespace: "public", Group: "G", Name: loadService(svc)}),
		Attempt: 1, SentAt: now, Revision: int64(i),
		Client: fanout.ClientInfo{IP: fmt.Sprintf("10.1.0.%d", i%loadIPs)},
	}
}

// An Append that fails on one master (killed, the cluster told to go on
// serving the others) writes the records of the other masters' streams
// once, and retrying the same slice writes them no second time: each
// stream ends holding each of its records exactly once.
func TestRedisClusterRetryWritesOnlyWhatFailed(t *testing.T) {
	c := redistest.StartCluster(t, 3, 0)
	for _, a := range c.Addrs() {
		n := redis.NewClient(&redis.Options{Addr: a})
		err := n.ConfigSet(t.Context(), "cluster-require-full-coverage", "no").Err()
		_ = n.Close()
		if err != nil {
			t.Fatalf("config set on %s: %v", a, err)
		}
	}
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	store := NewRedisStore(client, RedisOptions{})
	t.Cleanup(func() { _ = store.Close() })
	requireSpread(t, client, c.Masters())
	var recs []Record
	t0 := time.Now().UnixMilli()
	for i := range 3 * loadServices {
		recs = append(recs, rec(strconv.Itoa(i), t0+int64(i), "public", "G", loadService(i%loadServices), fmt.Sprintf("10.1.0.%d", i%loadIPs)))
	}
	mustAppend(t, store, recs[:loadServices]...) // one record per stream before the outage
	recs = recs[loadServices:]

	killed := c.KillMaster(1)
	for attempt := range 3 {
		if err := store.Append(t.Context(), recs); err == nil {
			t.Fatalf("attempt %d: Append succeeded with a master down", attempt)
		}
	}
	c.Restart(killed) // back, empty, serving its slots again
	deadline := time.Now().Add(30 * time.Second)
	for err := store.Append(t.Context(), recs); err != nil; err = store.Append(t.Context(), recs) {
		if time.Now().After(deadline) {
			t.Fatalf("Append still failing 30s after the master returned: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // the cluster has no event to await
	}
	killedOwns := func(i int) bool {
		m, err := client.MasterForKey(t.Context(), topicKey(KindNaming, "public", "G", loadService(i)))
		return err == nil && m.Options().Addr == killed
	}
	for i := range loadServices {
		got := pushIDs(findAll(t, store, svcQuery("public", "G", loadService(i))))
		want := []string{strconv.Itoa(2*loadServices + i), strconv.Itoa(loadServices + i)}
		if !killedOwns(i) {
			want = append(want, strconv.Itoa(i)) // the killed master lost its record from before
		}
		if !slices.Equal(got, want) {
			t.Errorf("service %s (on the killed master: %v) holds %v, want each record once: %v", loadService(i), killedOwns(i), got, want)
		}
	}
}
