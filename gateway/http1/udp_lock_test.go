package http1

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// slowQuery is the embedded registry with a Query that waits for release,
// as a remote registry (the Nacos link) does while its upstream is slow.
type slowQuery struct {
	upstream.Registry
	entered chan struct{} // receives once per Query that started waiting
	release chan struct{} // closed to let every Query finish
}

func (r *slowQuery) Query(ctx context.Context, key upstream.ServiceKey) (upstream.Service, error) {
	r.entered <- struct{}{}
	select {
	case <-r.release:
	case <-ctx.Done():
		return upstream.Service{}, ctx.Err()
	}
	return r.Registry.Query(ctx, key)
}

// Subscribe holds the registry's announcements until release too, so the
// Hub has no snapshot of its own and must Query.
func (r *slowQuery) Subscribe(key upstream.ServiceKey, notify func(upstream.Service)) (func(), error) {
	return r.Registry.Subscribe(key, func(s upstream.Service) {
		<-r.release
		notify(s)
	})
}

// TestUDPSubscribeSlowRegistry: a list query whose registry answer is slow
// holds no lock the other UDP subscribers, the ack reader, the expiry and
// the Hub's timers (Close -> drop) need.
func TestUDPSubscribeSlowRegistry(t *testing.T) {
	emb := upstream.NewEmbedded()
	defer emb.Close()
	reg := &slowQuery{Registry: emb, entered: make(chan struct{}, 1), release: make(chan struct{})}
	release := sync.OnceFunc(func() { close(reg.release) })
	defer release() // before emb.Close, which waits for a held announcement
	hub, u := newTestPusher(t, reg, 10)
	subscribed := make(chan error, 1)
	go func() {
		_, err := u.subscribe(context.Background(), beatKey, "", "127.0.0.1", 40000, fanout.ClientInfo{IP: "127.0.0.1"}, t0)
		subscribed <- err
	}()
	select {
	case <-reg.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the subscription never queried the registry")
	}
	others := make(chan int, 1)
	go func() {
		u.expire(t0)
		u.mu.Lock()
		sub := u.subs["127.0.0.1:40000"]
		u.mu.Unlock()
		if sub != nil {
			sub.Close("test") // what the Hub's stall check does
		}
		others <- u.size()
	}()
	select {
	case n := <-others:
		if n != 0 {
			t.Errorf("after Close of the only subscriber: %d subscribers, want 0", n)
		}
	case <-time.After(5 * time.Second):
		t.Error("expire, Close and size blocked behind a slow registry query")
	}
	release()
	select {
	case err := <-subscribed:
		if err != nil {
			t.Fatalf("subscribe: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("subscribe did not return after the registry answered")
	}
	if _, n := hub.Stats(fanout.KindNaming); n != 0 {
		t.Errorf("the Hub holds %d subscriptions of a subscriber dropped during its subscribe; want 0", n)
	}
}
