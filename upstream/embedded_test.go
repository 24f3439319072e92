package upstream

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestRegisterReplacesSlot(t *testing.T) {
	e, _ := newFrozen(t)
	k := svcKey("svc")
	mustRegister(t, e, "conn1", k, inst("10.0.0.1", 80))
	mustRegister(t, e, "conn1", k, inst("10.0.0.2", 81))
	if got := ips(mustQuery(t, e, k)); !slices.Equal(got, []string{"10.0.0.2"}) {
		t.Fatalf("instances %v, want only the second registration", got)
	}
}

func TestBatchRegister(t *testing.T) {
	e, _ := newFrozen(t)
	k := svcKey("svc")
	mustRegister(t, e, "conn1", k, inst("10.0.0.3", 80), inst("10.0.0.1", 80), inst("10.0.0.2", 80))
	if got := ips(mustQuery(t, e, k)); !slices.Equal(got, []string{"10.0.0.3", "10.0.0.1", "10.0.0.2"}) {
		t.Fatalf("instances %v, want the batch in the order sent", got)
	}
	mustRegister(t, e, "conn1", k, inst("10.0.0.9", 80))
	if got := ips(mustQuery(t, e, k)); !slices.Equal(got, []string{"10.0.0.9"}) {
		t.Fatalf("instances %v: a register must replace the whole batch", got)
	}
}

func TestDeregisterClearsSlotWithoutComparing(t *testing.T) {
	e, _ := newFrozen(t)
	k := svcKey("svc")
	mustRegister(t, e, "conn1", k, inst("10.0.0.1", 80), inst("10.0.0.2", 80))
	mustDeregister(t, e, "conn1", k)
	if got := mustQuery(t, e, k); len(got.Instances) != 0 {
		t.Fatalf("instances %v after deregister, want none", ips(got))
	}
	mustDeregister(t, e, "conn1", k) // emptying an empty slot is fine
}

func TestTwoOwnersOrderedByOwner(t *testing.T) {
	e, _ := newFrozen(t)
	k := svcKey("svc")
	mustRegister(t, e, "connB", k, inst("10.0.0.2", 80), inst("10.0.0.3", 80))
	mustRegister(t, e, "connA", k, inst("10.0.0.1", 80))
	if got := ips(mustQuery(t, e, k)); !slices.Equal(got, []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}) {
		t.Fatalf("instances %v, want owner order then slot order", got)
	}
	mustDeregister(t, e, "connA", k)
	if got := ips(mustQuery(t, e, k)); !slices.Equal(got, []string{"10.0.0.2", "10.0.0.3"}) {
		t.Fatalf("instances %v, want connB's slot untouched", got)
	}
}

func TestRegisterNormalises(t *testing.T) {
	e, _ := newFrozen(t)
	k := ServiceKey{Group: "G", Name: "svc"}
	sdkDefaults := Instance{IP: "10.0.0.1", Port: 8080} // weight 0, healthy/enabled false
	custom := Instance{IP: "10.0.0.2", Port: 8080, ClusterName: "AZ1", InstanceID: "mine", Weight: 2.5}
	mustRegister(t, e, "conn1", k, sdkDefaults, custom)
	got := mustQuery(t, e, k)
	if got.Key != (ServiceKey{Namespace: PublicNamespace, Group: "G", Name: "svc"}) {
		t.Fatalf("key %+v not normalised", got.Key)
	}
	a, b := got.Instances[0], got.Instances[1]
	if a.ClusterName != DefaultCluster || a.InstanceID != "10.0.0.1#8080#DEFAULT#G@@svc" {
		t.Fatalf("defaults not applied: %+v", a)
	}
	if a.Weight != 0 || a.Healthy || a.Enabled {
		t.Fatalf("weight/healthy/enabled must be kept as sent: %+v", a)
	}
	if !a.Ephemeral || a.ServiceName != "G@@svc" || a.Metadata == nil {
		t.Fatalf("ephemeral/serviceName/metadata not normalised: %+v", a)
	}
	if b.ClusterName != "AZ1" || b.InstanceID != "mine" || b.Weight != 2.5 {
		t.Fatalf("explicit values changed: %+v", b)
	}
}

func TestMetadataCopied(t *testing.T) {
	e, _ := newFrozen(t)
	k := svcKey("svc")
	md := map[string]string{"version": "1"}
	in := inst("10.0.0.1", 80)
	in.Metadata = md
	mustRegister(t, e, "conn1", k, in)
	md["version"] = "2"
	md["extra"] = "x"
	if got := mustQuery(t, e, k).Instances[0].Metadata; !reflect.DeepEqual(got, map[string]string{"version": "1"}) {
		t.Fatalf("stored metadata %v changed with the caller's map", got)
	}
}

func TestRevisionsIncreaseWithFrozenClock(t *testing.T) {
	e, clk := newFrozen(t)
	k := svcKey("svc")
	var revs []int64
	for i := range 5 {
		mustRegister(t, e, "conn1", k, inst(fmt.Sprintf("10.0.0.%d", i+1), 80))
		revs = append(revs, mustQuery(t, e, k).Revision)
	}
	mustDeregister(t, e, "conn1", k)
	for i := 1; i < len(revs); i++ {
		if revs[i] != revs[i-1]+1 {
			t.Fatalf("revisions %v: want +1 per change in a frozen millisecond", revs)
		}
	}
	if revs[0] != clk.Millis() {
		t.Fatalf("first revision %d, want now %d", revs[0], clk.Millis())
	}
	clk.Advance(time.Minute)
	mustRegister(t, e, "conn1", k, inst("10.0.0.1", 80))
	if got := mustQuery(t, e, k).Revision; got != clk.Millis() {
		t.Fatalf("revision %d after the clock moved, want now %d", got, clk.Millis())
	}
}

func TestUnknownQueryThenRegisterSameMillisecond(t *testing.T) {
	e, clk := newFrozen(t)
	k := svcKey("svc")
	empty := mustQuery(t, e, k)
	if empty.Revision != clk.Millis() || len(empty.Instances) != 0 {
		t.Fatalf("unknown query: %+v, want empty at now %d", empty, clk.Millis())
	}
	if again := mustQuery(t, e, k); again.Revision != empty.Revision {
		t.Fatalf("unknown queries drifted: %d then %d", empty.Revision, again.Revision)
	}
	mustRegister(t, e, "conn1", k, inst("10.0.0.1", 80))
	if got := mustQuery(t, e, k).Revision; got <= empty.Revision {
		t.Fatalf("registered revision %d not above the empty answer %d", got, empty.Revision)
	}
}

func TestDeletedServiceComesBackHigher(t *testing.T) {
	e, _ := newFrozen(t)
	k := svcKey("svc")
	mustRegister(t, e, "conn1", k, inst("10.0.0.1", 80))
	mustRegister(t, e, "conn1", k, inst("10.0.0.2", 80))
	mustDeregister(t, e, "conn1", k) // deleted: no instances, no subscribers
	last := e.floor.Load()
	if _, ok := e.services[k.Normalize()]; ok {
		t.Fatal("empty unsubscribed service kept in memory")
	}
	if q := mustQuery(t, e, k); q.Revision < last {
		t.Fatalf("query after delete answered %d, below the last revision %d", q.Revision, last)
	}
	mustRegister(t, e, "conn1", k, inst("10.0.0.3", 80))
	if got := mustQuery(t, e, k).Revision; got <= last {
		t.Fatalf("recreated revision %d not above %d", got, last)
	}
}

func TestNoopChangesKeepRevision(t *testing.T) {
	e, _ := newFrozen(t)
	k := svcKey("svc")
	mustRegister(t, e, "conn1", k, inst("10.0.0.1", 80))
	before := mustQuery(t, e, k).Revision
	mustDeregister(t, e, "conn2", k)                     // empty slot
	mustRegister(t, e, "conn1", k, inst("10.0.0.1", 80)) // identical content
	if got := mustQuery(t, e, k).Revision; got != before {
		t.Fatalf("revision moved from %d to %d without a change", before, got)
	}
}

func TestInvalidInputChangesNothing(t *testing.T) {
	e, _ := newFrozen(t)
	k := svcKey("svc")
	mustRegister(t, e, "conn1", k, inst("10.0.0.1", 80))
	before := mustQuery(t, e, k)
	ctx := context.Background()
	bad := []struct {
		name  string
		owner string
		key   ServiceKey
		ins   []Instance
	}{
		{"bad instance in batch", "conn1", k, []Instance{inst("10.0.0.2", 80), inst("10.0.0.3", 0)}},
		{"bad key", "conn1", svcKey("@svc"), []Instance{inst("10.0.0.2", 80)}},
		{"blank owner", "", k, []Instance{inst("10.0.0.2", 80)}},
	}
	for _, tt := range bad {
		if err := e.Register(ctx, tt.owner, tt.key, tt.ins); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error %v, want ErrInvalid", tt.name, err)
		}
	}
	if err := e.Deregister(ctx, "conn1", ServiceKey{Namespace: "bad ns", Name: "svc"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("deregister with bad key: %v, want ErrInvalid", err)
	}
	after := mustQuery(t, e, k)
	if after.Revision != before.Revision || !slices.Equal(ips(after), ips(before)) {
		t.Fatalf("invalid input changed the service: %+v -> %+v", before, after)
	}
}

func TestNamespaceAndGroupIsolation(t *testing.T) {
	e, _ := newFrozen(t)
	keys := []ServiceKey{
		{Name: "svc"},
		{Namespace: "dev", Name: "svc"},
		{Group: "G2", Name: "svc"},
	}
	for i, k := range keys {
		mustRegister(t, e, "conn1", k, inst(fmt.Sprintf("10.0.0.%d", i+1), 80))
	}
	for i, k := range keys {
		if got := ips(mustQuery(t, e, k)); !slices.Equal(got, []string{fmt.Sprintf("10.0.0.%d", i+1)}) {
			t.Errorf("%s: instances %v", k, got)
		}
	}
	explicit := ServiceKey{Namespace: PublicNamespace, Group: DefaultGroup, Name: "svc"}
	if got := ips(mustQuery(t, e, explicit)); !slices.Equal(got, []string{"10.0.0.1"}) {
		t.Errorf("blank and explicit defaults differ: %v", got)
	}
}

func TestList(t *testing.T) {
	e, _ := newFrozen(t)
	for _, n := range []string{"e", "a", "d", "c", "b"} {
		mustRegister(t, e, "conn1", svcKey(n), inst("10.0.0.1", 80))
	}
	mustRegister(t, e, "conn1", ServiceKey{Group: "other", Name: "z"}, inst("10.0.0.1", 80))
	mustRegister(t, e, "conn1", ServiceKey{Namespace: "dev", Name: "y"}, inst("10.0.0.1", 80))
	mustQuery(t, e, svcKey("unknown")) // no instances: not listed
	tests := []struct {
		ns, group    string
		pageNo, size int
		want         []string
		wantTotal    int
	}{
		{"", "", 1, 10, []string{"a", "b", "c", "d", "e"}, 5},
		{"public", "DEFAULT_GROUP", 1, 2, []string{"a", "b"}, 5},
		{"", "", 2, 2, []string{"c", "d"}, 5},
		{"", "", 3, 2, []string{"e"}, 5},
		{"", "", 4, 2, []string{}, 5},
		{"", "", 0, 2, []string{"a", "b"}, 5},
		{"", "", -3, 2, []string{"a", "b"}, 5},
		{"", "", 2, int(^uint(0) >> 1), []string{}, 5},
		{"", "other", 1, 10, []string{"z"}, 1},
		{"dev", "", 1, 10, []string{"y"}, 1},
		{"nope", "", 1, 10, []string{}, 0},
	}
	for _, tt := range tests {
		total, names, err := e.List(context.Background(), tt.ns, tt.group, tt.pageNo, tt.size)
		if err != nil || total != tt.wantTotal || names == nil || !slices.Equal(names, tt.want) {
			t.Errorf("List(%q,%q,%d,%d) = %d %v %v, want %d %v", tt.ns, tt.group, tt.pageNo, tt.size, total, names, err, tt.wantTotal, tt.want)
		}
	}
	if _, _, err := e.List(context.Background(), "", "", 1, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("pageSize 0: %v, want ErrInvalid", err)
	}
}

func TestCanceledContext(t *testing.T) {
	e, _ := newFrozen(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Register(ctx, "conn1", svcKey("svc"), []Instance{inst("10.0.0.1", 80)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("register with canceled ctx: %v", err)
	}
	if _, ok := e.services[svcKey("svc").Normalize()]; ok {
		t.Fatal("register with canceled ctx changed the registry")
	}
}

func TestClosedRegistry(t *testing.T) {
	e, _ := newFrozen(t)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	k := svcKey("svc")
	errs := []error{
		e.Register(ctx, "conn1", k, []Instance{inst("10.0.0.1", 80)}),
		e.Deregister(ctx, "conn1", k),
	}
	_, err := e.Query(ctx, k)
	errs = append(errs, err)
	_, _, err = e.List(ctx, "", "", 1, 10)
	errs = append(errs, err)
	_, err = e.Subscribe(k, func(Service) {})
	errs = append(errs, err)
	for i, err := range errs {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("call %d after Close: %v, want ErrClosed", i, err)
		}
	}
}

// TestInstanceFieldCount guards sameInstance: a new Instance field must be
// compared there too.
func TestInstanceFieldCount(t *testing.T) {
	if n := reflect.TypeFor[Instance]().NumField(); n != 13 {
		t.Fatalf("Instance has %d fields; update sameInstance and this test", n)
	}
}
