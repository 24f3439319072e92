package fanout

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-gateway/herald/upstream"
)

const waitTimeout = 5 * time.Second

// fakeClock is a manually advanced clock.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time { return time.Unix(0, c.ns.Load()) }

func (c *fakeClock) Add(d time.Duration) time.Time { return time.Unix(0, c.ns.Add(int64(d))) }

// testEncoder encodes a push as its revision; every call gets a new id.
type testEncoder struct{ n atomic.Int64 }

func (e *testEncoder) Encode(_ Topic, snap Snapshot, _ string) (*Push, error) {
	id := strconv.FormatInt(e.n.Add(1), 10)
	return &Push{Items: len(snap.Service().Instances), RequestID: id,
		Frame: []byte(strconv.FormatInt(snap.Revision, 10))}, nil
}

// fakeSub records what the Hub sends it.
type fakeSub struct {
	id      string
	sendErr error
	enc     Encoder // defaults to sharedEnc

	mu     sync.Mutex
	pushes []*Push
	closed string
	got    chan struct{} // signalled on every Send and Close
}

func newFakeSub(id string) *fakeSub { return &fakeSub{id: id, got: make(chan struct{}, 1024)} }

func (f *fakeSub) ID() string         { return f.id }
func (f *fakeSub) Client() ClientInfo { return ClientInfo{IP: "127.0.0.1"} }

// sharedEnc is the wire most fake subscribers share.
var sharedEnc = &testEncoder{}

func (f *fakeSub) Encoder() Encoder {
	if f.enc != nil {
		return f.enc
	}
	return sharedEnc
}

func (f *fakeSub) Send(p *Push) error {
	if f.sendErr != nil {
		return f.sendErr
	}
	f.mu.Lock()
	f.pushes = append(f.pushes, p)
	f.mu.Unlock()
	f.got <- struct{}{}
	return nil
}

func (f *fakeSub) Close(reason string) {
	f.mu.Lock()
	f.closed = reason
	f.mu.Unlock()
	f.got <- struct{}{}
}

func (f *fakeSub) sent() []*Push {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*Push(nil), f.pushes...)
}

// waitPushes waits until n pushes were sent and returns them.
func (f *fakeSub) waitPushes(t *testing.T, n int) []*Push {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		if ps := f.sent(); len(ps) >= n {
			return ps
		}
		select {
		case <-f.got:
		case <-deadline:
			t.Fatalf("%s: %d pushes, want %d", f.id, len(f.sent()), n)
		}
	}
}

// waitRevision waits for the push of revision rev and returns it.
func (f *fakeSub) waitRevision(t *testing.T, rev int64) *Push {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		for _, p := range f.sent() {
			if p.Revision == rev {
				return p
			}
		}
		select {
		case <-f.got:
		case <-deadline:
			t.Fatalf("%s: no push of revision %d", f.id, rev)
		}
	}
}

// recorder is an Observer keeping every outcome.
type recorder struct {
	mu  sync.Mutex
	all []Outcome
}

func (r *recorder) Observe(o Outcome) {
	r.mu.Lock()
	r.all = append(r.all, o)
	r.mu.Unlock()
}

func (r *recorder) events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Event, len(r.all))
	for i, o := range r.all {
		out[i] = o.Event
	}
	return out
}

func (r *recorder) outcomes() []Outcome {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Outcome(nil), r.all...)
}

func (r *recorder) last() Outcome {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.all[len(r.all)-1]
}

// rig is a Hub in manual mode over an embedded registry.
type rig struct {
	t     *testing.T
	clock *fakeClock
	reg   *upstream.Embedded
	hub   *Hub
	obs   *recorder
	key   upstream.ServiceKey
	topic Topic
}

func newRig(t *testing.T, window time.Duration) *rig {
	t.Helper()
	return newRigWith(t, window, func(*Options) {})
}

// newRigWith is newRig with options adjusted by tune.
func newRigWith(t *testing.T, window time.Duration, tune func(*Options)) *rig {
	t.Helper()
	r := &rig{t: t, clock: newFakeClock(), reg: upstream.NewEmbedded(), obs: &recorder{},
		key: upstream.ServiceKey{Name: "svc"}.Normalize()}
	r.topic = NamingTopic(r.key)
	opts := Options{
		Naming:     Policy{MergeWindow: window, StallTimeout: time.Minute},
		AckTimeout: 5 * time.Second, RetryBase: time.Second, RetryMax: 8 * time.Second,
		Tick: 10 * time.Millisecond, Now: r.clock.Now, Manual: true, Observer: r.obs,
	}
	tune(&opts)
	hub, err := NewHub(NamingSource(r.reg), opts)
	if err != nil {
		t.Fatal(err)
	}
	r.hub = hub
	t.Cleanup(func() { hub.Close(); r.reg.Close() })
	return r
}

// subscribe subscribes f and returns the revision it was answered with.
func (r *rig) subscribe(f *fakeSub) int64 {
	r.t.Helper()
	snap, err := r.hub.Subscribe(context.Background(), f, r.topic, "")
	if err != nil {
		r.t.Fatal(err)
	}
	return snap.Revision
}

// change registers n instances for owner "o" and returns the new revision.
func (r *rig) change(n int) int64 {
	r.t.Helper()
	ins := make([]upstream.Instance, n)
	for i := range ins {
		ins[i] = upstream.Instance{IP: "10.0.0.1", Port: uint64(1000 + i), Weight: 1, Healthy: true, Enabled: true}
	}
	if err := r.reg.Register(context.Background(), "o", r.key, ins); err != nil {
		r.t.Fatal(err)
	}
	snap, err := r.reg.Query(context.Background(), r.key)
	if err != nil {
		r.t.Fatal(err)
	}
	return snap.Revision
}

// advance moves the fake clock and fires what is due.
func (r *rig) advance(d time.Duration) { r.hub.Advance(r.clock.Add(d)) }

var errQueueFull = errors.New("queue full")

func upstreamKey(name string) upstream.ServiceKey { return upstream.ServiceKey{Name: name}.Normalize() }

func namingTopic(name string) Topic { return NamingTopic(upstreamKey(name)) }

// closedReason is why the subscriber was closed, "" while it is open.
func (f *fakeSub) closedReason() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}
