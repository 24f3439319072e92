package fleet

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/internal/redistest"
)

// fakeHub is a push engine's status as the view reads it: a fixed table
// (the view's own logic is what is tested; the Hub's Status has its own
// tests in fanout).
type fakeHub map[fanout.Topic][]fanout.SubscriberStatus

func (h fakeHub) Topics() []fanout.Topic {
	var out []fanout.Topic
	for t := range h {
		out = append(out, t)
	}
	return out
}

func (h fakeHub) Status(t fanout.Topic) fanout.TopicStatus {
	subs := append([]fanout.SubscriberStatus(nil), h[t]...)
	return fanout.TopicStatus{Topic: t, Revision: int64(100 + len(subs)), Subscribers: subs}
}

var orders = fanout.Topic{Kind: fanout.KindNaming, Namespace: "public", Group: "DEFAULT_GROUP", Name: "orders"}

func sub(conn string, acked int64) fanout.SubscriberStatus {
	return fanout.SubscriberStatus{ConnID: conn, Client: fanout.ClientInfo{IP: "10.1.0.1"}, Acked: acked,
		UnackedSince: time.UnixMilli(1700000000000)}
}

func newView(store *Store, node string, conns int, hub fakeHub) *View {
	return New(Options{Node: node, Store: store, Hub: hub, Interval: 200 * time.Millisecond,
		Identity: func() Gateway { return Gateway{Connections: conns, GRPCAddr: node + ":9848"} }})
}

// TestFleetViewOnCluster: three gateways publish to a real three-master
// Redis Cluster; each one's status answer holds every gateway's
// subscribers, named by gateway; the gateway list holds all three; a
// stopped gateway leaves the view at once, one that stops publishing
// when its TTL ends.
func TestFleetViewOnCluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3, 0)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs()})
	t.Cleanup(func() { rdb.Close() })
	store := NewStore(rdb)
	a := newView(store, "edge-a", 10, fakeHub{orders: {sub("a1", 101), sub("a2", 90)}})
	b := newView(store, "edge-b", 4, fakeHub{orders: {sub("b1", 102)}})
	c := newView(store, "edge-c", 1, fakeHub{})
	for _, v := range []*View{a, b, c} {
		v.Start()
		t.Cleanup(v.Stop)
	}
	awaitGateways(t, a, "edge-a", "edge-b", "edge-c")

	st := c.Status(orders)
	if len(st.Subscribers) != 3 || st.Revision != 102 {
		t.Fatalf("fleet status from edge-c: revision %d, %+v", st.Revision, st.Subscribers)
	}
	want := []struct{ gw, conn string }{{"edge-a", "a1"}, {"edge-a", "a2"}, {"edge-b", "b1"}}
	for i, w := range want {
		s := st.Subscribers[i]
		if s.Gateway != w.gw || s.ConnID != w.conn {
			t.Errorf("subscriber %d = %s on %s, want %s on %s", i, s.ConnID, s.Gateway, w.conn, w.gw)
		}
	}
	if got := st.Subscribers[0].UnackedSince; !got.Equal(time.UnixMilli(1700000000000)) {
		t.Errorf("unackedSince did not round-trip: %v", got)
	}
	if gs := a.Gateways(t.Context()); gs[0].Connections != 10 || gs[1].Connections != 4 || gs[0].Topics != nil {
		t.Errorf("gateways %+v", gs)
	}

	b.Stop() // withdraws
	awaitGateways(t, a, "edge-a", "edge-c")
	// A gateway that dies without withdrawing leaves when its TTL ends.
	c.once.Do(func() { close(c.done); c.wg.Wait() })
	awaitGateways(t, a, "edge-a")
}

func awaitGateways(t *testing.T, v *View, want ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		gs := v.Gateways(context.Background())
		got := make([]string, len(gs))
		for i, g := range gs {
			got[i] = g.Node
		}
		if equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateways %v, want %v", got, want)
		}
		time.Sleep(50 * time.Millisecond) // the view has no change event: entries expire in Redis
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestViewWithoutRedis: without a Store the view is this gateway alone.
func TestViewWithoutRedis(t *testing.T) {
	v := newView(nil, "solo", 3, fakeHub{orders: {sub("s1", 103)}})
	v.Start()
	defer v.Stop()
	if gs := v.Gateways(t.Context()); len(gs) != 1 || gs[0].Node != "solo" || gs[0].Connections != 3 {
		t.Fatalf("gateways %+v", gs)
	}
	if st := v.Status(orders); len(st.Subscribers) != 1 || st.Subscribers[0].Gateway != "solo" {
		t.Fatalf("status %+v", st)
	}
}

func TestExcess(t *testing.T) {
	gw := func(node string, conns int, draining bool) Gateway {
		return Gateway{Node: node, Connections: conns, Draining: draining}
	}
	tests := []struct {
		name string
		live []Gateway
		want int
	}{
		{"alone", []Gateway{gw("a", 100, false)}, 0},
		{"balanced", []Gateway{gw("a", 34, false), gw("b", 33, false), gw("c", 33, false)}, 0},
		{"within tolerance", []Gateway{gw("a", 37, false), gw("b", 32, false), gw("c", 31, false)}, 0},
		{"piled up: a tenth per round", []Gateway{gw("a", 200, false), gw("b", 50, false), gw("c", 50, false)}, 20},
		{"small excess shed whole", []Gateway{gw("a", 20, false), gw("b", 2, false), gw("c", 2, false)}, 2},
		{"draining gateways do not count", []Gateway{gw("a", 50, false), gw("b", 50, false), gw("c", 0, true)}, 0},
		{"not in the view", []Gateway{gw("b", 50, false), gw("c", 0, false)}, 0},
	}
	for _, tc := range tests {
		if got := excess(tc.live, "a"); got != tc.want {
			t.Errorf("%s: excess %d, want %d", tc.name, got, tc.want)
		}
	}
}
