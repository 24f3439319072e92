// The SDK has a data race of its own on reconnect (see restart_test.go),
// so this test is built without -race only.

//go:build !race

package e2e

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/upstream"
)

// flaps records every list a subscriber or the registry shows and the
// ones that lack an address after it first appeared.
type flaps struct {
	mu    sync.Mutex
	addr  string
	seen  bool
	lists int
	bad   []string
}

func (f *flaps) observe(list string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	has := strings.Contains(list, f.addr+" ") || strings.Contains(list, f.addr+"]")
	f.seen = f.seen || has
	if f.seen && !has {
		f.bad = append(f.bad, list)
	}
}

func (f *flaps) missing() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.bad)
}

// TestConnectResetKeepsRedo: nacos-sdk-go v2.3.2 clients told to move
// with ConnectResetRequest (a shed of every connection) reconnect and
// redo: the registration stays in the registry throughout (held for the
// grace until the redo registers it again, then released), the
// subscriber never gets a list without it, and the subscription still
// pushes afterwards.
func TestConnectResetKeepsRedo(t *testing.T) {
	d := startHerald(t, testConfig(t))
	port := grpcPort(t, d)
	sub, reg := newClient(t, port, ""), newClient(t, port, "")
	onSub := &flaps{addr: "10.0.9.1:1"}
	onReg := &flaps{addr: "10.0.9.1:1"}
	w := newWatcher()
	p := vo.SubscribeParam{ServiceName: "reset", SubscribeCallback: func(ins []model.Instance, err error) {
		if err == nil {
			onSub.observe(addrs(ins))
		}
		w.callback(ins, err)
	}}
	if err := sub.Subscribe(&p); err != nil {
		t.Fatal(err)
	}
	cancel, err := d.Gateway().Registry().Subscribe(key("reset"), func(s upstream.Service) {
		var list []model.Instance
		for _, in := range s.Instances {
			list = append(list, model.Instance{Ip: in.IP, Port: in.Port})
		}
		onReg.observe(addrs(list))
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	mustRegister(t, reg, instance("reset", "10.0.9.1", 1))
	w.waitFor(t, "the instance", wait, hasAddrs("10.0.9.1:1"))

	if n := d.Gateway().Shed(100, 0); n != 2 {
		t.Fatalf("shed picked %d connections, want the 2 SDK clients", n)
	}
	eventually(t, "both clients moved and the held registration released", 30*time.Second, func() error {
		st := d.Gateway().MoveStats()
		if conns, sessions := d.Gateway().Stats(); st.Moving != 0 || st.Held != 0 || st.Released != 1 || conns != 2 || sessions != 2 {
			return fmt.Errorf("moves %+v, %d connections, %d sessions", st, conns, sessions)
		}
		return nil
	})
	eventually(t, "one copy of the instance after the move", wait, func() error {
		snap, err := d.Gateway().Registry().Query(t.Context(), key("reset"))
		if err == nil && len(snap.Instances) != 1 {
			err = fmt.Errorf("%d instances", len(snap.Instances))
		}
		return err
	})
	// The subscription came back with the redo: a new change is pushed.
	mustRegister(t, newClient(t, port, ""), instance("reset", "10.0.9.2", 2))
	w.waitFor(t, "a push after the move", wait, hasAddrs("10.0.9.1:1", "10.0.9.2:2"))
	if bad := onReg.missing(); len(bad) > 0 {
		t.Fatalf("the registry lost the moved client's instance: %v", bad)
	}
	if bad := onSub.missing(); len(bad) > 0 {
		t.Fatalf("the subscriber was pushed lists without the moved client's instance: %v", bad)
	}
}
