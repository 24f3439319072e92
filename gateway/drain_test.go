package gateway

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway/nacostest"
	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/upstream"
)

// resets reads a raw client's stream, acknowledges every server request
// and reports each ConnectResetRequest on the returned channel (closed
// when the stream ends).
func resets(t *testing.T, cl *nacostest.Client) <-chan string {
	t.Helper()
	ch := make(chan string, 4)
	go func() {
		defer close(ch)
		for {
			m, err := cl.Recv()
			if err != nil {
				return
			}
			var r nacoswire.Request
			if err := m.Decode(&r); err != nil {
				t.Errorf("undecodable %s: %v", m.Type, err)
				return
			}
			switch m.Type {
			case nacoswire.TypeConnectResetRequest:
				_ = cl.Ack(nacoswire.TypeConnectResetResponse, r.RequestID)
				ch <- r.RequestID
			case nacoswire.TypeNotifySubscriberRequest:
				_ = cl.Ack("NotifySubscriberResponse", r.RequestID)
			case nacoswire.TypeClientDetectionRequest:
				_ = cl.Ack(nacoswire.TypeClientDetectionResponse, r.RequestID)
			}
		}
	}()
	return ch
}

// awaitReset waits for a ConnectResetRequest on ch.
func awaitReset(t *testing.T, ch <-chan string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatal("stream ended before a ConnectResetRequest")
		}
	case <-time.After(serverWait):
		t.Fatal("no ConnectResetRequest")
	}
}

// watchPorts records, for every snapshot of key the registry notifies,
// the instance ports it holds.
type watchPorts struct {
	mu    sync.Mutex
	snaps [][]uint64
	kick  chan struct{}
}

func watch(t *testing.T, reg upstream.Registry, key upstream.ServiceKey) *watchPorts {
	t.Helper()
	w := &watchPorts{kick: make(chan struct{}, 1)}
	cancel, err := reg.Subscribe(key, func(s upstream.Service) {
		var ports []uint64
		for _, in := range s.Instances {
			ports = append(ports, in.Port)
		}
		w.mu.Lock()
		w.snaps = append(w.snaps, ports)
		w.mu.Unlock()
		select {
		case w.kick <- struct{}{}:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return w
}

// await waits until the newest snapshot satisfies ok.
func (w *watchPorts) await(t *testing.T, what string, ok func([]uint64) bool) {
	t.Helper()
	deadline := time.After(serverWait)
	for {
		w.mu.Lock()
		done := len(w.snaps) > 0 && ok(w.snaps[len(w.snaps)-1])
		w.mu.Unlock()
		if done {
			return
		}
		select {
		case <-w.kick:
		case <-deadline:
			t.Fatalf("registry never showed %s; snapshots %v", what, w.snaps)
		}
	}
}

// without returns the snapshots (after the first that held port) that
// lack port.
func (w *watchPorts) without(port uint64) [][]uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	var bad [][]uint64
	seen := false
	for _, s := range w.snaps {
		has := count(s, port) > 0
		seen = seen || has
		if seen && !has {
			bad = append(bad, s)
		}
	}
	return bad
}

func count(ports []uint64, p uint64) int {
	n := 0
	for _, q := range ports {
		if q == p {
			n++
		}
	}
	return n
}

// registerSetUp registers ip 10.9.0.1:port into G@@svc once the
// session exists (ConnectionSetupRequest is read asynchronously: until
// then requests get 301).
func registerSetUp(t *testing.T, cl *nacostest.Client, svc string, port int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), serverWait)
	defer cancel()
	for {
		m, err := cl.Request(ctx, "InstanceRequest", map[string]any{
			"serviceName": svc, "groupName": "G", "type": "registerInstance",
			"instance": map[string]any{"ip": "10.9.0.1", "port": port, "weight": 1, "healthy": true, "enabled": true, "ephemeral": true},
		})
		if err != nil {
			t.Fatalf("register: %v", err)
		}
		var r errorReply
		if err := m.Decode(&r); err != nil {
			t.Fatal(err)
		}
		switch {
		case r.ResultCode == 200:
			return
		case r.ErrorCode != nacoswire.ErrUnregistered:
			t.Fatalf("register: %s", m.Body)
		}
		select {
		case <-ctx.Done():
			t.Fatal("session never set up")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

var graceKey = upstream.ServiceKey{Namespace: "public", Group: "G", Name: "moved"}.Normalize()

func startGraceServer(t *testing.T, grace time.Duration) *Server {
	t.Helper()
	return startServerWith(t, Options{RegistrationGrace: grace, ResetTimeout: 2 * time.Second},
		fanout.Options{Naming: fanout.Policy{MergeWindow: 10 * time.Millisecond}})
}

// TestShedMoveKeepsRegistration: a client told to move by a shed
// reconnects and registers its instance again; the registry never loses
// the instance, and the old connection's slot is released as soon as the
// new one shows it, long before the grace ends.
func TestShedMoveKeepsRegistration(t *testing.T) {
	s := startGraceServer(t, time.Minute)
	w := watch(t, s.Registry(), graceKey)
	old := setUpClient(t, s)
	moves := resets(t, old)
	registerSetUp(t, old, "moved", 7001)
	w.await(t, "the instance", func(p []uint64) bool { return count(p, 7001) == 1 })

	if n := s.Shed(5, 0); n != 1 {
		t.Fatalf("Shed picked %d connections, want 1", n)
	}
	awaitReset(t, moves)
	// The SDK's move: a new connection, its redo, then the old one closed.
	moved := setUpClient(t, s)
	resets(t, moved)
	registerSetUp(t, moved, "moved", 7001)
	// Registry snapshots reach subscribers asynchronously: wait for the
	// two copies, or "one copy" below could be the state before the move.
	w.await(t, "two copies", func(p []uint64) bool { return count(p, 7001) == 2 })
	old.Close()
	w.await(t, "one copy again", func(p []uint64) bool { return count(p, 7001) == 1 && len(p) == 1 })
	if bad := w.without(7001); len(bad) > 0 {
		t.Fatalf("the instance vanished during the move: %v", bad)
	}
	if got := s.grace.released.Load(); got != 1 {
		t.Fatalf("released %d held slots as registered elsewhere, want 1", got)
	}
}

// TestDrainRefusesAndExpiresGrace: a drain refuses new connections, tells
// the client to move, and a slot never registered again is released
// when its grace ends; the drain returns then.
func TestDrainRefusesAndExpiresGrace(t *testing.T) {
	s := startGraceServer(t, 300*time.Millisecond)
	w := watch(t, s.Registry(), graceKey)
	cl := setUpClient(t, s)
	moves := resets(t, cl)
	registerSetUp(t, cl, "moved", 7002)
	w.await(t, "the instance", func(p []uint64) bool { return count(p, 7002) == 1 })

	done := make(chan DrainReport, 1)
	go func() { done <- s.Drain(t.Context(), DrainOptions{AwaitHeld: true}) }()
	awaitReset(t, moves)
	if !s.Draining() {
		t.Fatal("Draining false during a drain")
	}
	ctx, cancel := context.WithTimeout(t.Context(), serverWait)
	defer cancel()
	if c, err := nacostest.Dial(ctx, s.Addr().String()); err == nil {
		c.Close()
		t.Fatal("a draining gateway accepted a new connection")
	}
	cl.Close()
	var rep DrainReport
	select {
	case rep = <-done:
	case <-time.After(serverWait):
		t.Fatal("drain did not end")
	}
	if rep.Connections != 1 || rep.Moved != 1 || rep.Expired != 1 || rep.Released != 0 {
		t.Fatalf("drain report %+v, want 1 connection moved and its slot expired", rep)
	}
	w.await(t, "no instance", func(p []uint64) bool { return len(p) == 0 })
}

// TestDrainClosesClientThatStays: a client that acknowledges the reset
// but stays is closed once its reset timeout passes; its slot is held
// for the grace all the same.
func TestDrainClosesClientThatStays(t *testing.T) {
	s := startGraceServer(t, 200*time.Millisecond)
	cl := setUpClient(t, s)
	moves := resets(t, cl)
	registerSetUp(t, cl, "moved", 7003)
	ctx, cancel := context.WithTimeout(t.Context(), serverWait)
	defer cancel()
	rep := s.Drain(ctx, DrainOptions{AwaitHeld: true})
	awaitReset(t, moves)
	if rep.Moved != 1 || rep.Expired != 1 {
		t.Fatalf("drain report %+v, want 1 moved, 1 expired", rep)
	}
	if n, _ := s.Stats(); n != 0 {
		t.Fatalf("%d connections left after the drain", n)
	}
	if _, ok := <-moves; ok {
		t.Fatal("more than one ConnectResetRequest")
	}
	if err := ctx.Err(); errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("drain ran into its bound")
	}
}

// TestDrainBoundsMovesUnderWay: with MaxMoving 2, a drain tells a third
// client only once one of the first two has left and registered again
// elsewhere; every client is moved in the end and every held slot is
// released as registered again, none expired.
func TestDrainBoundsMovesUnderWay(t *testing.T) {
	const n, maxMoving = 5, 2
	s := startServerWith(t, Options{RegistrationGrace: time.Minute, ResetTimeout: time.Minute, MaxMoving: maxMoving},
		fanout.Options{Naming: fanout.Policy{MergeWindow: 10 * time.Millisecond}})
	told := make(chan int, n)
	clients := make([]*nacostest.Client, n)
	for i := range clients {
		clients[i] = setUpClient(t, s)
		registerSetUp(t, clients[i], "moved", 7100+i)
		go func(ch <-chan string) {
			if _, ok := <-ch; ok {
				told <- i
			}
		}(resets(t, clients[i]))
	}
	done := make(chan DrainReport, 1)
	go func() { done <- s.Drain(t.Context(), DrainOptions{AwaitHeld: true}) }()

	next := func() int {
		t.Helper()
		select {
		case i := <-told:
			return i
		case <-time.After(serverWait):
			t.Fatal("no further ConnectResetRequest")
			return -1
		}
	}
	underWay, toldCount := []int{next(), next()}, maxMoving
	for len(underWay) > 0 {
		if toldCount < n { // the drain waits for room
			select {
			case i := <-told:
				t.Fatalf("client %d told to move with %v still under way", i, underWay)
			case <-time.After(100 * time.Millisecond):
			}
		}
		if got := s.MoveStats().UnderWay; toldCount < n && got != maxMoving {
			t.Fatalf("MoveStats.UnderWay %d while waiting for room, want %d", got, maxMoving)
		}
		// The oldest arrives elsewhere (registered by another owner), then
		// its old connection closes: its held slot is released.
		i := underWay[0]
		underWay = underWay[1:]
		in := upstream.Instance{IP: "10.9.0.1", Port: uint64(7100 + i), Weight: 1, Healthy: true, Enabled: true, Ephemeral: true}
		if err := s.Registry().Register(t.Context(), "elsewhere-"+strconv.Itoa(i), graceKey, []upstream.Instance{in}); err != nil {
			t.Fatal(err)
		}
		clients[i].Close()
		if toldCount < n {
			underWay = append(underWay, next())
			toldCount++
		}
	}
	var rep DrainReport
	select {
	case rep = <-done:
	case <-time.After(serverWait):
		t.Fatal("drain did not end")
	}
	if rep.Moved != n || rep.Released != n || rep.Expired != 0 || rep.Closed != 0 {
		t.Fatalf("drain report %+v, want %d moved and released, none expired or closed", rep, n)
	}
	if got := s.MoveStats().UnderWay; got != 0 {
		t.Fatalf("MoveStats.UnderWay %d after the drain, want 0", got)
	}
}

// TestSpreadSkipsClosedConnections: a drain that snapshot connections
// which have closed since tells the live one and returns without waiting
// out the window for the ones gone.
func TestSpreadSkipsClosedConnections(t *testing.T) {
	s := startGraceServer(t, time.Minute)
	live := setUpClient(t, s)
	moves := resets(t, live)
	gone := []*nacostest.Client{setUpClient(t, s), setUpClient(t, s)}
	awaitConns(t, s, 3)
	before := s.snapshotConns()
	for _, cl := range gone {
		cl.Close()
	}
	awaitConns(t, s, 1)
	order := s.snapshotConns() // the live one first, then the closed ones
	for _, c := range before {
		if c != order[0] {
			order = append(order, c)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), serverWait)
	defer cancel()
	if moved := s.spread(ctx, order, time.Hour, time.Time{}); moved != 1 {
		t.Fatalf("spread told %d, want 1", moved)
	}
	if ctx.Err() != nil {
		t.Fatal("spread waited for the turns of closed connections")
	}
	awaitReset(t, moves)
}
