package nacoslink

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway"
	"github.com/herald-gateway/herald/upstream"
)

func TestRegisterForwardsUnionAsOneSlot(t *testing.T) {
	c := startCore(t, "127.0.0.1:0")
	l := newLink(t, Options{Servers: []string{c.addr}})
	waitReady(t, l)
	ctx := context.Background()
	k := svc("orders")
	if err := l.Register(ctx, "conn-a", k, []upstream.Instance{inst("10.0.0.1", 80)}); err != nil {
		t.Fatal(err)
	}
	if err := l.Register(ctx, "conn-b", k, []upstream.Instance{inst("10.0.0.2", 80), inst("10.0.0.3", 80)}); err != nil {
		t.Fatal(err)
	}
	if n := coreCount(t, c, k); n != 3 {
		t.Fatalf("core has %d instances, want the union of 3", n)
	}
	if err := l.Deregister(ctx, "conn-a", k); err != nil {
		t.Fatal(err)
	}
	if n := coreCount(t, c, k); n != 2 {
		t.Fatalf("core has %d instances after conn-a left, want 2", n)
	}
	if err := l.Deregister(ctx, "conn-b", k); err != nil {
		t.Fatal(err)
	}
	if n := coreCount(t, c, k); n != 0 {
		t.Fatalf("core has %d instances after both left, want 0", n)
	}
}

func TestRegisterInvalidIsRejectedLocally(t *testing.T) {
	l := newLink(t, Options{Servers: []string{"127.0.0.1:1"}})
	err := l.Register(context.Background(), "conn-a", svc("orders"), []upstream.Instance{{IP: "", Port: 0}})
	if !errors.Is(err, upstream.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	if st := l.Status(); len(st.Registrations) != 0 {
		t.Fatalf("invalid input was kept: %+v", st.Registrations)
	}
}

func TestRegisterWhileDownIsRedoneOnConnect(t *testing.T) {
	c := startCore(t, "127.0.0.1:0")
	l := newLink(t, Options{Servers: []string{c.addr}})
	waitReady(t, l)
	c.stop()
	eventually(t, "link notices the core is gone", func() error {
		if err := l.Ready(); !errors.Is(err, ErrUnavailable) {
			return fmt.Errorf("Ready() = %v, want ErrUnavailable", err)
		}
		return nil
	})
	k := svc("orders")
	if err := l.Register(context.Background(), "conn-a", k, []upstream.Instance{inst("10.0.0.1", 80)}); err != nil {
		t.Fatalf("register while down: %v (want accepted and kept)", err)
	}
	c2 := startCore(t, c.addr)
	waitReady(t, l)
	eventually(t, "registration redone on the core", func() error {
		if n := coreCount(t, c2, k); n != 1 {
			return fmt.Errorf("core has %d instances", n)
		}
		return nil
	})
	if st := l.Status(); st.Connection.Reconnects < 1 {
		t.Fatalf("reconnects = %d, want >= 1", st.Connection.Reconnects)
	}
}

func TestSubscribeCoalescesAndFollowsCore(t *testing.T) {
	c := startCore(t, "127.0.0.1:0")
	l := newLink(t, Options{Servers: []string{c.addr}})
	waitReady(t, l)
	k := svc("orders")
	a, b := newNotes(), newNotes()
	cancelA, err := l.Subscribe(k, a.notify)
	if err != nil {
		t.Fatal(err)
	}
	defer cancelA()
	cancelB, err := l.Subscribe(k, b.notify)
	if err != nil {
		t.Fatal(err)
	}
	defer cancelB()
	a.next(t, "first snapshot", count(0))
	if err := c.reg.Register(context.Background(), "core-client", k, []upstream.Instance{inst("10.0.0.9", 80)}); err != nil {
		t.Fatal(err)
	}
	s1 := a.next(t, "core registration pushed to a", count(1))
	b.next(t, "core registration pushed to b", count(1))
	if st := l.Status(); st.Counters.Subscribes != 1 {
		t.Fatalf("upstream subscribes = %d, want 1 for two local subscribers", st.Counters.Subscribes)
	}
	if services, _ := c.hub.Stats(fanout.KindNaming); services != 1 {
		t.Fatalf("core sees %d subscribed services, want 1", services)
	}
	q, err := l.Query(context.Background(), k)
	if err != nil || q.Revision != s1.Revision {
		t.Fatalf("Query = rev %d err %v, want the subscription snapshot rev %d", q.Revision, err, s1.Revision)
	}
}

func TestQueryWhileDownIsAnError(t *testing.T) {
	l := newLink(t, Options{Servers: []string{"127.0.0.1:1"}})
	_, err := l.Query(context.Background(), svc("orders"))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Query while down = %v, want ErrUnavailable (never an empty list)", err)
	}
}

func TestUnreachableServerSkippedForTheNext(t *testing.T) {
	c := startCore(t, "127.0.0.1:0")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	l := newLink(t, Options{Servers: []string{dead, c.addr}})
	waitReady(t, l)
	if st := l.Status().Connection; st.Server != c.addr {
		t.Fatalf("connected to %s, want the reachable %s", st.Server, c.addr)
	}
}

func TestInvalidOptionsNameTheField(t *testing.T) {
	for _, o := range []Options{{}, {Servers: []string{"no-port"}}, {Servers: []string{"h:0"}}} {
		_, err := New(o)
		if err == nil || !strings.Contains(err.Error(), "servers") {
			t.Errorf("New(%+v) = %v, want an error naming servers", o, err)
		}
	}
}

// An upstream rejection reaches the caller, and the owner's slot is
// restored: the core here refuses request bodies over 1 KiB.
func TestUpstreamRejectionIsReturnedAndUndone(t *testing.T) {
	c := startCoreWith(t, gateway.Options{Addr: "127.0.0.1:0", MaxMessageBytes: 1024})
	l := newLink(t, Options{Servers: []string{c.addr}})
	waitReady(t, l)
	ctx := context.Background()
	k := svc("big")
	if err := l.Register(ctx, "conn-a", k, []upstream.Instance{inst("10.0.0.1", 80)}); err != nil {
		t.Fatal(err)
	}
	big := inst("10.0.0.2", 80)
	big.Metadata = map[string]string{"blob": strings.Repeat("x", 1500)}
	err := l.Register(ctx, "conn-b", k, []upstream.Instance{big})
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, upstream.ErrInvalid) {
		t.Fatalf("register over the core's size limit = %v, want the upstream's 400 (ErrInvalid)", err)
	}
	st := l.Status()
	if len(st.Registrations) != 1 || st.Registrations[0].Owners != 1 {
		t.Fatalf("rejected slot kept: %+v", st.Registrations)
	}
	if n := coreCount(t, c, k); n != 1 {
		t.Fatalf("core has %d instances, want conn-a's 1", n)
	}
}
