package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/fanout"
)

const wait = 5 * time.Second

// (a) a subscriber sees 1 then 2 instances as two other clients register,
// then 1 after a deregister.
func TestSubscriberSeesRegistrations(t *testing.T) {
	port := grpcPort(t, startHerald(t, testConfig(t)))
	sub, a, b := newClient(t, port, ""), newClient(t, port, ""), newClient(t, port, "")
	w := newWatcher()
	subscribe(t, sub, w, vo.SubscribeParam{ServiceName: "orders"})
	mustRegister(t, a, instance("orders", "10.0.0.1", 8080))
	w.waitFor(t, "first instance", wait, hasAddrs("10.0.0.1:8080"))
	mustRegister(t, b, instance("orders", "10.0.0.2", 8080))
	w.waitFor(t, "second instance", wait, hasAddrs("10.0.0.1:8080", "10.0.0.2:8080"))
	ok, err := a.DeregisterInstance(vo.DeregisterInstanceParam{ServiceName: "orders", Ip: "10.0.0.1", Port: 8080, Ephemeral: true})
	if err != nil || !ok {
		t.Fatalf("deregister: ok=%v err=%v", ok, err)
	}
	w.waitFor(t, "deregistered instance gone", wait, hasAddrs("10.0.0.2:8080"))
}

// (b) a registering client closes: its instance vanishes within 2 s.
func TestClosedClientInstanceVanishes(t *testing.T) {
	port := grpcPort(t, startHerald(t, testConfig(t)))
	sub, stay, leave := newClient(t, port, ""), newClient(t, port, ""), newClient(t, port, "")
	w := newWatcher()
	subscribe(t, sub, w, vo.SubscribeParam{ServiceName: "cart"})
	mustRegister(t, stay, instance("cart", "10.0.1.1", 80))
	mustRegister(t, leave, instance("cart", "10.0.1.2", 80))
	w.waitFor(t, "both instances", wait, hasAddrs("10.0.1.1:80", "10.0.1.2:80"))
	leave.CloseClient()
	w.waitFor(t, "closed client's instance gone", 2*time.Second, hasAddrs("10.0.1.1:80"))
}

// (c) groups and namespaces are isolated from each other.
func TestGroupAndNamespaceIsolation(t *testing.T) {
	port := grpcPort(t, startHerald(t, testConfig(t)))
	pub, dev := newClient(t, port, ""), newClient(t, port, "dev")
	inGroup := instance("pay", "10.0.2.1", 1)
	inGroup.GroupName = "G1"
	mustRegister(t, pub, inGroup)
	mustRegister(t, pub, instance("pay", "10.0.2.2", 2))
	mustRegister(t, dev, instance("pay", "10.0.2.3", 3))

	cases := []struct {
		client    string
		group     string
		wantAddrs string
	}{
		{"public", "G1", "[10.0.2.1:1]"},
		{"public", "", "[10.0.2.2:2]"},
		{"dev", "", "[10.0.2.3:3]"},
		{"dev", "G1", "[]"},
	}
	for _, tc := range cases {
		c := pub
		if tc.client == "dev" {
			c = dev
		}
		svc, err := c.GetService(vo.GetServiceParam{ServiceName: "pay", GroupName: tc.group})
		if err != nil {
			t.Fatalf("%s/%s GetService: %v", tc.client, tc.group, err)
		}
		if got := addrs(svc.Hosts); got != tc.wantAddrs {
			t.Errorf("%s group %q: got %s, want %s", tc.client, tc.group, got, tc.wantAddrs)
		}
	}
}

// (d) a cluster filter on subscribe.
func TestSubscribeClusterFilter(t *testing.T) {
	port := grpcPort(t, startHerald(t, testConfig(t)))
	sub, reg := newClient(t, port, ""), newClient(t, port, "")
	w := newWatcher()
	subscribe(t, sub, w, vo.SubscribeParam{ServiceName: "search", Clusters: []string{"east"}})
	east := instance("search", "10.0.3.1", 9200)
	east.ClusterName = "east"
	west := instance("search", "10.0.3.2", 9200)
	west.ClusterName = "west"
	err := batch(reg, "search", east, west)
	if err != nil {
		t.Fatal(err)
	}
	w.waitFor(t, "only the east instance", wait, hasAddrs("10.0.3.1:9200"))
	all, err := reg.SelectAllInstances(vo.SelectAllInstancesParam{ServiceName: "search"})
	if err != nil || addrs(all) != "[10.0.3.1:9200 10.0.3.2:9200]" {
		t.Fatalf("unfiltered view: %s err=%v", addrs(all), err)
	}
}

func batch(c interface {
	BatchRegisterInstance(vo.BatchRegisterInstanceParam) (bool, error)
}, service string, ins ...vo.RegisterInstanceParam) error {
	ok, err := c.BatchRegisterInstance(vo.BatchRegisterInstanceParam{ServiceName: service, Instances: ins})
	if err != nil || !ok {
		return fmt.Errorf("batch register %s: ok=%v err=%v", service, ok, err)
	}
	return nil
}

// (e) metadata, weight, healthy and enabled round-trip. A disabled
// instance is stored as sent but, as in Nacos, never served to clients.
func TestInstanceFieldsRoundTrip(t *testing.T) {
	d := startHerald(t, testConfig(t))
	port := grpcPort(t, d)
	reg, look := newClient(t, port, ""), newClient(t, port, "")
	in := vo.RegisterInstanceParam{
		ServiceName: "meta", Ip: "10.0.4.1", Port: 7000, Weight: 3.5, Enable: true, Healthy: false,
		Ephemeral: true, ClusterName: "c1", Metadata: map[string]string{"zone": "a", "version": "v2"},
	}
	off := instance("meta", "10.0.4.2", 7000)
	off.Enable = false
	if err := batch(reg, "meta", in, off); err != nil {
		t.Fatal(err)
	}
	all, err := look.SelectAllInstances(vo.SelectAllInstancesParam{ServiceName: "meta"})
	if err != nil || len(all) != 1 {
		t.Fatalf("select all: %s err=%v (want only the enabled instance)", addrs(all), err)
	}
	got := all[0]
	if got.Weight != 3.5 || !got.Enable || got.Healthy || got.ClusterName != "c1" ||
		got.Metadata["zone"] != "a" || got.Metadata["version"] != "v2" || !got.Ephemeral {
		t.Fatalf("round trip lost fields: %+v", got)
	}
	if got.InstanceId != "10.0.4.1#7000#c1#DEFAULT_GROUP@@meta" {
		t.Errorf("instanceId = %q", got.InstanceId)
	}
	if got.ServiceName != "DEFAULT_GROUP@@meta" {
		t.Errorf("serviceName = %q", got.ServiceName)
	}
	snap, err := d.Gateway().Registry().Query(t.Context(), key("meta"))
	if chained() && err == nil && len(snap.Instances) == 1 {
		return // an upstream serves only enabled instances, so that is all a chained edge sees
	}
	if err != nil || len(snap.Instances) != 2 {
		t.Fatalf("registry holds %d instances, err %v", len(snap.Instances), err)
	}
	for _, s := range snap.Instances {
		if s.IP == "10.0.4.2" && s.Enabled {
			t.Errorf("disabled instance stored as enabled: %+v", s)
		}
	}
}

// (f) GetService, SelectInstances and SelectOneHealthyInstance.
func TestLookups(t *testing.T) {
	port := grpcPort(t, startHerald(t, testConfig(t)))
	reg, look := newClient(t, port, ""), newClient(t, port, "")
	sick := instance("lookup", "10.0.5.2", 2)
	sick.Healthy = false
	if err := batch(reg, "lookup", instance("lookup", "10.0.5.1", 1), sick); err != nil {
		t.Fatal(err)
	}
	svc, err := look.GetService(vo.GetServiceParam{ServiceName: "lookup"})
	if err != nil || svc.Name != "lookup" || svc.GroupName != "DEFAULT_GROUP" || addrs(svc.Hosts) != "[10.0.5.1:1 10.0.5.2:2]" {
		t.Fatalf("GetService: name=%q group=%q hosts=%s err=%v", svc.Name, svc.GroupName, addrs(svc.Hosts), err)
	}
	healthy, err := look.SelectInstances(vo.SelectInstancesParam{ServiceName: "lookup", HealthyOnly: true})
	if err != nil || addrs(healthy) != "[10.0.5.1:1]" {
		t.Fatalf("SelectInstances healthy: %s err=%v", addrs(healthy), err)
	}
	unhealthy, err := look.SelectInstances(vo.SelectInstancesParam{ServiceName: "lookup", HealthyOnly: false})
	if err != nil || addrs(unhealthy) != "[10.0.5.2:2]" {
		t.Fatalf("SelectInstances unhealthy: %s err=%v", addrs(unhealthy), err)
	}
	one, err := look.SelectOneHealthyInstance(vo.SelectOneHealthInstanceParam{ServiceName: "lookup"})
	if err != nil || one == nil || one.Ip != "10.0.5.1" {
		t.Fatalf("SelectOneHealthyInstance: %+v err=%v", one, err)
	}
	list, err := look.GetAllServicesInfo(vo.GetAllServiceInfoParam{PageNo: 1, PageSize: 10})
	if err != nil || list.Count != 1 || len(list.Doms) != 1 || list.Doms[0] != "lookup" {
		t.Fatalf("GetAllServicesInfo: %+v err=%v", list, err)
	}
}

// (g) BatchRegisterInstance fills one slot that a later batch replaces.
func TestBatchRegister(t *testing.T) {
	port := grpcPort(t, startHerald(t, testConfig(t)))
	reg, sub := newClient(t, port, ""), newClient(t, port, "")
	w := newWatcher()
	subscribe(t, sub, w, vo.SubscribeParam{ServiceName: "batch"})
	if err := batch(reg, "batch", instance("batch", "10.0.6.1", 1), instance("batch", "10.0.6.2", 2), instance("batch", "10.0.6.3", 3)); err != nil {
		t.Fatal(err)
	}
	w.waitFor(t, "three instances", wait, hasAddrs("10.0.6.1:1", "10.0.6.2:2", "10.0.6.3:3"))
	if err := batch(reg, "batch", instance("batch", "10.0.6.4", 4)); err != nil {
		t.Fatal(err)
	}
	w.waitFor(t, "the second batch replaced the first", wait, hasAddrs("10.0.6.4:4"))
}

// (h) unsubscribe stops callbacks.
func TestUnsubscribeStopsCallbacks(t *testing.T) {
	d := startHerald(t, testConfig(t))
	port := grpcPort(t, d)
	sub, reg := newClient(t, port, ""), newClient(t, port, "")
	stopped, control := newWatcher(), newWatcher()
	p := subscribe(t, sub, stopped, vo.SubscribeParam{ServiceName: "unsub"})
	mustRegister(t, reg, instance("unsub", "10.0.7.1", 1))
	stopped.waitFor(t, "first instance", wait, hasAddrs("10.0.7.1:1"))
	if err := sub.Unsubscribe(p); err != nil {
		t.Fatalf("unsubscribe: %v", err)
	}
	_, callsBefore := stopped.snapshot()
	// Herald dropped the subscription (the SDK also stops calling back
	// locally, so the callback alone would not prove it).
	if _, subs := d.Hub().Stats(fanout.KindNaming); subs != 0 {
		t.Fatalf("%d subscriptions remain after unsubscribe", subs)
	}
	// A control subscriber on another client sees the next change, so
	// the push has certainly happened when we look at the unsubscribed one.
	other := newClient(t, port, "")
	subscribe(t, other, control, vo.SubscribeParam{ServiceName: "unsub"})
	mustRegister(t, newClient(t, port, ""), instance("unsub", "10.0.7.2", 2))
	control.waitFor(t, "control sees the change", wait, hasAddrs("10.0.7.1:1", "10.0.7.2:2"))
	if last, calls := stopped.snapshot(); calls != callsBefore || addrs(last) != "[10.0.7.1:1]" {
		t.Fatalf("unsubscribed callback still called: calls %d -> %d, last %s", callsBefore, calls, addrs(last))
	}
}
