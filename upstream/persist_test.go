package upstream

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func persistentInst(ip string, port uint64) Instance {
	in := inst(ip, port)
	in.Metadata = map[string]string{"k": "v"}
	return in
}

func mustRegisterPersistent(t *testing.T, e *Embedded, key ServiceKey, in Instance) {
	t.Helper()
	mustRegister(t, e, PersistentOwner(in), key, in)
}

// openAt opens a registry on dir with the shared fake clock.
func openAt(t *testing.T, dir string, clk *fakeClock) *Embedded {
	t.Helper()
	e, err := OpenEmbedded(dir, WithClock(clk.Now))
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func TestOwnerDecidesEphemeral(t *testing.T) {
	e, _ := newFrozen(t)
	mustRegisterPersistent(t, e, svcKey("p"), inst("10.0.0.1", 80))
	mustRegister(t, e, "conn1", svcKey("e"), inst("10.0.0.2", 80))
	if in := mustQuery(t, e, svcKey("p")).Instances[0]; in.Ephemeral {
		t.Fatalf("persistent slot stored ephemeral=true: %+v", in)
	}
	if in := mustQuery(t, e, svcKey("e")).Instances[0]; !in.Ephemeral {
		t.Fatalf("connection slot stored ephemeral=false: %+v", in)
	}
}

func TestMixingKindsIsInvalid(t *testing.T) {
	e, _ := newFrozen(t)
	p := inst("10.0.0.1", 80)
	mustRegisterPersistent(t, e, svcKey("p"), p)
	err := e.Register(t.Context(), "conn1", svcKey("p"), []Instance{inst("10.0.0.2", 80)})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "holds persistent instances") {
		t.Fatalf("ephemeral into persistent service: %v, want ErrInvalid naming the kinds", err)
	}
	mustRegister(t, e, "conn1", svcKey("e"), inst("10.0.0.2", 80))
	err = e.Register(t.Context(), PersistentOwner(p), svcKey("e"), []Instance{p})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "holds ephemeral instances") {
		t.Fatalf("persistent into ephemeral service: %v, want ErrInvalid naming the kinds", err)
	}
	if got := ips(mustQuery(t, e, svcKey("p"))); !slices.Equal(got, []string{"10.0.0.1"}) {
		t.Fatalf("refused registration changed the service: %v", got)
	}
	// Once emptied, the service takes the other kind.
	mustDeregister(t, e, PersistentOwner(p), svcKey("p"))
	mustRegister(t, e, "conn1", svcKey("p"), inst("10.0.0.2", 80))
}

func TestPersistentInputRules(t *testing.T) {
	e, _ := newFrozen(t)
	bad := func(md map[string]string) []Instance {
		in := inst("10.0.0.1", 80)
		in.Metadata = md
		return []Instance{in}
	}
	owner := PersistentOwner(inst("10.0.0.1", 80))
	for name, ins := range map[string][]Instance{
		"two instances": {inst("10.0.0.1", 80), inst("10.0.0.2", 80)},
		"bad checker":   bad(map[string]string{MetaHealthChecker: "icmp"}),
		"bad path":      bad(map[string]string{MetaHealthChecker: "http", MetaHealthPath: "health"}),
	} {
		if err := e.Register(t.Context(), owner, svcKey("p"), ins); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

func TestPersistAndReopen(t *testing.T) {
	dir, clk := t.TempDir(), newFakeClock()
	e := openAt(t, dir, clk)
	a, b := persistentInst("10.0.0.1", 80), persistentInst("10.0.0.2", 81)
	mustRegisterPersistent(t, e, svcKey("p"), a)
	mustRegisterPersistent(t, e, svcKey("p"), b)
	mustRegister(t, e, "conn1", svcKey("eph"), inst("10.0.0.3", 80))
	before := mustQuery(t, e, svcKey("p"))
	// Saved before Register returned: a second registry sees it at once.
	after := mustQuery(t, openAt(t, dir, clk), svcKey("p"))
	if !sameInstances(before.Instances, after.Instances) {
		t.Fatalf("reopened instances differ:\n got %+v\nwant %+v", after.Instances, before.Instances)
	}
	if after.Revision <= before.Revision {
		t.Fatalf("revision went from %d to %d across a restart", before.Revision, after.Revision)
	}
	e.Close()
	second := openAt(t, dir, clk)
	if got := mustQuery(t, second, svcKey("eph")); len(got.Instances) != 0 {
		t.Fatalf("ephemeral instances survived a restart: %v", ips(got))
	}
	mustDeregister(t, second, PersistentOwner(a), svcKey("p"))
	if got := ips(mustQuery(t, openAt(t, dir, clk), svcKey("p"))); !slices.Equal(got, []string{"10.0.0.2"}) {
		t.Fatalf("after deregister and reopen: %v, want [10.0.0.2]", got)
	}
}

func TestCorruptSnapshotIsStartError(t *testing.T) {
	for name, body := range map[string]string{
		"garbage":       "{not json",
		"version":       `{"version": 2, "services": []}`,
		"bad key":       `{"version": 1, "services": [{"namespace":"public","group":"DEFAULT_GROUP","name":"","revision":1,"instances":[{"ip":"1.2.3.4","port":80}]}]}`,
		"bad instance":  `{"version": 1, "services": [{"namespace":"public","group":"DEFAULT_GROUP","name":"s","revision":1,"instances":[{"ip":"1.2.3.4","port":0}]}]}`,
		"unknown field": `{"version": 1, "services": [], "extra": true}`,
		"revision":      `{"version": 1, "services": [{"namespace":"public","group":"DEFAULT_GROUP","name":"s","revision":9223372036854775807,"instances":[{"ip":"1.2.3.4","port":80}]}]}`,
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, SnapshotFileName)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenEmbedded(dir); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: open returned %v, want an error naming %s", name, err, path)
		}
	}
}

func TestFailedSaveChangesNothing(t *testing.T) {
	file := filepath.Join(t.TempDir(), "data")
	e := openAt(t, file, newFakeClock())
	// The data directory cannot be created: a file took its place.
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := newRecorder()
	defer subscribe(t, e, svcKey("p"), r.notify)()
	initial := r.next(t)
	in := inst("10.0.0.1", 80)
	if err := e.Register(t.Context(), PersistentOwner(in), svcKey("p"), []Instance{in}); err == nil {
		t.Fatal("register succeeded although the data directory is a file")
	}
	if got := mustQuery(t, e, svcKey("p")); len(got.Instances) != 0 || got.Revision != initial.Revision {
		t.Fatalf("failed save changed the service: %v rev %d", ips(got), got.Revision)
	}
}

func TestStaleTempFilesRemovedAtStart(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "."+SnapshotFileName+".123.tmp")
	if err := os.WriteFile(stale, []byte("{torn"), 0o644); err != nil {
		t.Fatal(err)
	}
	openAt(t, dir, newFakeClock())
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temp file left by a crash is still there: %v", err)
	}
}

func TestNoPersistentInstancesWritesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	e := openAt(t, dir, newFakeClock())
	mustRegister(t, e, "conn1", svcKey("eph"), inst("10.0.0.1", 80))
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("data directory exists after ephemeral registrations only: %v", err)
	}
}

// FuzzOpenSnapshot: whatever the data file holds, opening either fails
// with an error naming the file or yields a registry whose persistent
// services survive a save and reopen unchanged.
func FuzzOpenSnapshot(f *testing.F) {
	f.Add([]byte(`{"version":1,"services":[{"namespace":"public","group":"DEFAULT_GROUP","name":"s","revision":5,"instances":[{"ip":"10.0.0.1","port":80,"healthy":true,"enabled":true,"weight":1}]}]}`))
	f.Add([]byte(`{"version":1,"services":[]}`))
	f.Add([]byte(`{"version":1,"services":[{"namespace":"public","group":"DEFAULT_GROUP","name":"s","revision":5,"instances":[]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, SnapshotFileName)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		clk := newFakeClock()
		e, err := OpenEmbedded(dir, WithClock(clk.Now))
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		defer e.Close()
		e.mu.Lock()
		saved, err := e.encodeSaved()
		e.mu.Unlock()
		if err == nil {
			err = e.file.write(saved)
		}
		if err != nil {
			t.Fatalf("save of a loaded registry: %v", err)
		}
		again, err := OpenEmbedded(dir, WithClock(clk.Now))
		if err != nil {
			t.Fatalf("reopen after save: %v", err)
		}
		defer again.Close()
		for key, ent := range e.services {
			if got := mustQuery(t, again, key); !sameInstances(got.Instances, ent.snap.Instances) {
				t.Fatalf("%s changed across save and reopen", key)
			}
		}
	})
}

// A persistent change is made durable with no registry lock held: while
// its file write is under way, queries and ephemeral registrations of other
// services go on, the change is not visible yet, and it is once the write
// is done.
func TestPersistentSaveHoldsNoLock(t *testing.T) {
	e, err := OpenEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	entered, release := make(chan struct{}), make(chan struct{})
	e.file.writing = func() {
		close(entered)
		<-release
	}
	in := persistentInst("10.0.0.1", 80)
	done := make(chan error, 1)
	go func() { done <- e.Register(context.Background(), PersistentOwner(in), svcKey("p"), []Instance{in}) }()
	<-entered
	if got := mustQuery(t, e, svcKey("p")); len(got.Instances) != 0 {
		t.Fatalf("persistent instance visible before it was saved: %+v", got.Instances)
	}
	mustRegister(t, e, "conn-1", svcKey("other"), inst("10.0.0.2", 81))
	if got := mustQuery(t, e, svcKey("other")); len(got.Instances) != 1 {
		t.Fatalf("ephemeral registration during the save: %d instances", len(got.Instances))
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := mustQuery(t, e, svcKey("p")); len(got.Instances) != 1 {
		t.Fatalf("after the save: %d instances, want 1", len(got.Instances))
	}
}
