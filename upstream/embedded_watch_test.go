package upstream

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func subscribe(t *testing.T, e *Embedded, k ServiceKey, notify func(Service)) func() {
	t.Helper()
	cancel, err := e.Subscribe(k, notify)
	if err != nil {
		t.Fatalf("subscribe %s: %v", k, err)
	}
	return cancel
}

func TestSubscribeCurrentThenChanges(t *testing.T) {
	e, _ := newFrozen(t)
	k := svcKey("svc")
	mustRegister(t, e, "conn1", k, inst("10.0.0.1", 80))
	cur := mustQuery(t, e, k)
	r := newRecorder()
	defer subscribe(t, e, k, r.notify)()
	if first := r.next(t); first.Revision != cur.Revision || len(first.Instances) != 1 {
		t.Fatalf("first notification %+v, want the current snapshot %+v", first, cur)
	}
	mustRegister(t, e, "conn2", k, inst("10.0.0.2", 80))
	second := r.next(t)
	if second.Revision <= cur.Revision || len(second.Instances) != 2 {
		t.Fatalf("second notification %+v, want the change", second)
	}
}

func TestSubscribeUnknownThenRegister(t *testing.T) {
	e, _ := newFrozen(t)
	k := svcKey("svc")
	r := newRecorder()
	defer subscribe(t, e, k, r.notify)()
	empty := r.next(t)
	if len(empty.Instances) != 0 || empty.Key != k.Normalize() {
		t.Fatalf("first notification %+v, want an empty snapshot of %s", empty, k)
	}
	mustRegister(t, e, "conn1", k, inst("10.0.0.1", 80))
	if got := r.next(t); got.Revision <= empty.Revision || len(got.Instances) != 1 {
		t.Fatalf("after register %+v, want a newer snapshot with one instance", got)
	}
}

func TestSubscribedServiceKeptWhileEmpty(t *testing.T) {
	e, _ := newFrozen(t)
	k := svcKey("svc")
	mustRegister(t, e, "conn1", k, inst("10.0.0.1", 80))
	r := newRecorder()
	cancel := subscribe(t, e, k, r.notify)
	r.next(t)
	mustDeregister(t, e, "conn1", k)
	gone := r.next(t)
	if len(gone.Instances) != 0 {
		t.Fatalf("subscriber got %+v, want the empty snapshot", gone)
	}
	if q := mustQuery(t, e, k); q.Revision != gone.Revision {
		t.Fatalf("query revision %d, want the kept entry's %d", q.Revision, gone.Revision)
	}
	cancel()
	e.mu.RLock()
	_, kept := e.services[k.Normalize()]
	e.mu.RUnlock()
	if kept || e.floor.Load() < gone.Revision {
		t.Fatalf("after cancel: kept=%v floor=%d, want deleted with floor >= %d", kept, e.floor.Load(), gone.Revision)
	}
}

func TestNoopDeregisterDoesNotNotify(t *testing.T) {
	e, _ := newFrozen(t)
	k := svcKey("svc")
	mustRegister(t, e, "conn1", k, inst("10.0.0.1", 80))
	r := newRecorder()
	defer subscribe(t, e, k, r.notify)()
	first := r.next(t)
	mustDeregister(t, e, "conn2", k)
	mustRegister(t, e, "conn1", k, inst("10.0.0.1", 80))
	// Offers happen synchronously under the registry lock: nothing newer
	// than the first snapshot may have been handed to the mailbox.
	if latest := mailboxLatest(e, k); len(latest) != 1 || latest[0] != first.Revision {
		t.Fatalf("mailbox latest %v after no-op changes, want [%d]", latest, first.Revision)
	}
	mustRegister(t, e, "conn2", k, inst("10.0.0.2", 80))
	want := mustQuery(t, e, k).Revision
	if got := r.next(t); got.Revision != want {
		t.Fatalf("next notification revision %d, want the real change %d", got.Revision, want)
	}
}

func TestBurstCollapsesToLatest(t *testing.T) {
	e := NewEmbedded() // real clock
	defer e.Close()
	k := svcKey("svc")
	r := newRecorder()
	defer subscribe(t, e, k, r.notify)()
	r.next(t)
	const changes = 1000
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range changes / 4 {
				in := inst(fmt.Sprintf("10.%d.%d.%d", w, i/256, i%256), 80)
				if err := e.Register(t.Context(), fmt.Sprintf("conn%d", w), k, []Instance{in}); err != nil {
					t.Errorf("register: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	last := mustQuery(t, e, k).Revision
	got := r.until(t, last)
	if end := got[len(got)-1]; end.Revision != last || len(end.Instances) != 4 {
		t.Fatalf("ended at %+v, want revision %d with 4 instances", end, last)
	}
	t.Logf("%d changes delivered as %d notifications", changes, len(got))
}

func TestCancelStopsNotifications(t *testing.T) {
	e, _ := newFrozen(t)
	k := svcKey("svc")
	var calls atomic.Int64
	r := newRecorder()
	cancel := subscribe(t, e, k, func(s Service) { calls.Add(1); r.notify(s) })
	r.next(t)
	cancel()
	n := calls.Load()
	for i := range 10 {
		mustRegister(t, e, "conn1", k, inst(fmt.Sprintf("10.0.0.%d", i+1), 80))
	}
	cancel() // idempotent
	if got := calls.Load(); got != n {
		t.Fatalf("notify called %d times after cancel returned", got-n)
	}
}

func TestCancelFromInsideNotify(t *testing.T) {
	e, _ := newFrozen(t)
	k := svcKey("svc")
	var calls atomic.Int64
	returned := make(chan struct{})
	var cancel func()
	ready := make(chan struct{})
	cancel = subscribe(t, e, k, func(Service) {
		<-ready
		calls.Add(1)
		cancel() // must not deadlock
		close(returned)
	})
	close(ready)
	select {
	case <-returned:
	case <-time.After(waitTimeout):
		t.Fatal("cancel from inside notify did not return")
	}
	for i := range 10 {
		mustRegister(t, e, "conn1", k, inst(fmt.Sprintf("10.0.0.%d", i+1), 80))
	}
	cancel() // idempotent
	if got := calls.Load(); got != 1 {
		t.Fatalf("notify called %d times, want 1", got)
	}
}

func TestIndependentSubscriptions(t *testing.T) {
	e, _ := newFrozen(t)
	k := svcKey("svc")
	r1, r2 := newRecorder(), newRecorder()
	cancel1 := subscribe(t, e, k, r1.notify)
	defer subscribe(t, e, k, r2.notify)()
	r1.next(t)
	r2.next(t)
	cancel1()
	mustRegister(t, e, "conn1", k, inst("10.0.0.1", 80))
	if got := r2.next(t); len(got.Instances) != 1 {
		t.Fatalf("remaining subscriber got %+v", got)
	}
	if r1.pending() != 0 {
		t.Fatal("cancelled subscriber still notified")
	}
}

func TestCloseStopsSubscriptions(t *testing.T) {
	e, _ := newFrozen(t)
	var calls atomic.Int64
	r := newRecorder()
	for i := range 3 {
		subscribe(t, e, svcKey(fmt.Sprintf("svc%d", i)), func(s Service) { calls.Add(1); r.notify(s) })
	}
	for range 3 {
		r.next(t)
	}
	closedInside := make(chan error, 1)
	subscribe(t, e, svcKey("closer"), func(Service) { closedInside <- e.Close() })
	select {
	case err := <-closedInside:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Close from inside notify did not return")
	}
	if err := e.Register(t.Context(), "conn1", svcKey("svc0"), []Instance{inst("10.0.0.1", 80)}); !errors.Is(err, ErrClosed) {
		t.Fatalf("register after Close: %v", err)
	}
	if got := calls.Load(); got != 3 {
		t.Fatalf("notify calls %d, want 3", got)
	}
}

func TestBurstWhileNotifyBlockedDeliversOnlyLatest(t *testing.T) {
	e, _ := newFrozen(t)
	k := svcKey("svc")
	entered, release := make(chan struct{}), make(chan struct{})
	r := newRecorder()
	var once sync.Once
	defer subscribe(t, e, k, func(s Service) {
		once.Do(func() { close(entered); <-release })
		r.notify(s)
	})()
	<-entered // the initial snapshot is being delivered: the burst queues behind it
	for i := range 1000 {
		mustRegister(t, e, "conn1", k, inst(fmt.Sprintf("10.0.%d.%d", i/256, i%256), 80))
	}
	last := mustQuery(t, e, k).Revision
	close(release)
	got := r.until(t, last)
	if len(got) != 2 || got[1].Revision != last {
		t.Fatalf("got %d notifications ending at %d, want the initial one and the latest %d", len(got), got[len(got)-1].Revision, last)
	}
}
