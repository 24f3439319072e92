package http1

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// TestUDPSubscriptionExpiry: a UDP subscription lives UDPExpiry after its
// last renewal (a list query), then leaves the Hub, and the subscriber
// with its last subscription. New subscribers beyond the limit are refused.
func TestUDPSubscriptionExpiry(t *testing.T) {
	reg := upstream.NewEmbedded()
	defer reg.Close()
	hub, u := newTestPusher(t, reg, 1)
	ctx := context.Background()
	sub := func(at time.Duration) {
		t.Helper()
		if _, err := u.subscribe(ctx, beatKey, "DEFAULT", "127.0.0.1", 40000, fanout.ClientInfo{IP: "127.0.0.1"}, t0.Add(at)); err != nil {
			t.Fatal(err)
		}
	}
	subs := func() int { _, n := hub.Stats(fanout.KindNaming); return n }
	sub(0)
	_, err := u.subscribe(ctx, beatKey, "", "127.0.0.2", 40000, fanout.ClientInfo{}, t0)
	if !errors.Is(err, errUDPFull) || u.size() != 1 {
		t.Fatalf("a second subscriber over the limit of 1: %v, %d subscribers", err, u.size())
	}
	sub(2 * time.Minute) // renewed
	u.expire(t0.Add(4 * time.Minute))
	if subs() != 1 || u.size() != 1 {
		t.Fatalf("renewed subscription expired early: %d subscriptions, %d subscribers", subs(), u.size())
	}
	u.expire(t0.Add(5*time.Minute + time.Second))
	if subs() != 0 || u.size() != 0 {
		t.Errorf("after the expiry: %d subscriptions, %d subscribers; want none", subs(), u.size())
	}
}

// newTestPusher is a UDP pusher on a loopback port with a manual Hub over
// reg, allowing max subscribers; both stop when the test ends.
func newTestPusher(t *testing.T, reg upstream.Registry, max int) (*fanout.Hub, *udpPusher) {
	t.Helper()
	hub, err := fanout.NewHub(fanout.NamingSource(reg), fanout.Options{Manual: true, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Close)
	u, err := newUDPPusher("127.0.0.1:0", hub, udpLimits{3 * time.Minute, max}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(u.close)
	return hub, u
}
