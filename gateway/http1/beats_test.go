package http1

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/herald-gateway/herald/upstream"
)

var nacosRules = BeatRules{Interval: 5 * time.Second, Timeout: 15 * time.Second, Delete: 30 * time.Second}

func newTestTable(t *testing.T) (*beatTable, upstream.Registry) {
	t.Helper()
	reg := upstream.NewEmbedded()
	t.Cleanup(func() { reg.Close() })
	return newBeatTable(reg, nacosRules, slog.New(slog.NewTextHandler(io.Discard, nil))), reg
}

var beatKey = upstream.ServiceKey{Name: "svc"}.Normalize()

func beatInst(md map[string]string) upstream.Instance {
	return upstream.Instance{IP: "10.0.0.1", Port: 80, ClusterName: "DEFAULT", Weight: 1,
		Healthy: true, Enabled: true, Ephemeral: true, Metadata: md}
}

// registered returns a table holding one instance with metadata md,
// registered at t0.
func registered(t *testing.T, md map[string]string) (*beatTable, upstream.Registry, upstream.Instance) {
	t.Helper()
	tab, reg := newTestTable(t)
	in := beatInst(md)
	if err := tab.register(context.Background(), beatKey, httpOwner(in), in, t0); err != nil {
		t.Fatal(err)
	}
	return tab, reg, in
}

var t0 = time.Unix(1000, 0)

// state returns "healthy", "unhealthy" or "absent" for the one instance.
func state(t *testing.T, reg upstream.Registry) string {
	t.Helper()
	snap, err := reg.Query(context.Background(), beatKey)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case len(snap.Instances) == 0:
		return "absent"
	case snap.Instances[0].Healthy:
		return "healthy"
	default:
		return "unhealthy"
	}
}

// TestBeatTimeline walks the Nacos rules with an injected clock: healthy
// until 15 s without a beat, unhealthy until 30 s, then deleted.
func TestBeatTimeline(t *testing.T) {
	tab, reg, in := registered(t, nil)
	ctx := context.Background()
	steps := []struct {
		at   time.Duration
		want string
	}{
		{14900 * time.Millisecond, "healthy"}, {15100 * time.Millisecond, "unhealthy"},
		{29900 * time.Millisecond, "unhealthy"}, {30100 * time.Millisecond, "absent"},
	}
	for _, s := range steps {
		tab.check(ctx, t0.Add(s.at))
		if got := state(t, reg); got != s.want {
			t.Fatalf("at %v: %s, want %s", s.at, got, s.want)
		}
	}
	if _, known, _ := tab.beat(ctx, beatKey, httpOwner(in), t0.Add(31*time.Second)); known || tab.size() != 0 {
		t.Errorf("a deleted instance is still known (size %d)", tab.size())
	}
}

// TestBeatRestoresHealth: a beat after the timeout makes the instance
// healthy again and restarts its clock.
func TestBeatRestoresHealth(t *testing.T) {
	tab, reg, in := registered(t, nil)
	ctx := context.Background()
	tab.check(ctx, t0.Add(20*time.Second))
	rules, known, err := tab.beat(ctx, beatKey, httpOwner(in), t0.Add(21*time.Second))
	if err != nil || !known || rules.Interval != 5*time.Second {
		t.Fatalf("beat: rules %+v known %v err %v", rules, known, err)
	}
	if got := state(t, reg); got != "healthy" {
		t.Fatalf("after the beat: %s, want healthy", got)
	}
	tab.check(ctx, t0.Add(35*time.Second)) // 14 s after the beat
	if got := state(t, reg); got != "healthy" {
		t.Errorf("14 s after the beat: %s, want healthy", got)
	}
}

// TestBeatMetadataOverrides: preserved.* metadata (ms) replaces the rules.
func TestBeatMetadataOverrides(t *testing.T) {
	tab, reg, in := registered(t, map[string]string{mdBeatInterval: "1000", mdBeatTimeout: "3000", mdDeleteTimeout: "6000"})
	ctx := context.Background()
	tab.check(ctx, t0.Add(3100*time.Millisecond))
	if got := state(t, reg); got != "unhealthy" {
		t.Fatalf("after 3.1 s: %s, want unhealthy", got)
	}
	tab.check(ctx, t0.Add(6100*time.Millisecond))
	if got := state(t, reg); got != "absent" {
		t.Fatalf("after 6.1 s: %s, want absent", got)
	}
	snapRules := nacosRules.forInstance(in.Metadata)
	if snapRules.Interval != time.Second {
		t.Errorf("interval override = %v, want 1s", snapRules.Interval)
	}
}

// TestBeatDeregister: a deregistered instance is neither listed nor tracked.
func TestBeatDeregister(t *testing.T) {
	tab, reg, in := registered(t, nil)
	ctx := context.Background()
	if err := tab.deregister(ctx, beatKey, httpOwner(in)); err != nil {
		t.Fatal(err)
	}
	if got := state(t, reg); got != "absent" || tab.size() != 0 {
		t.Errorf("after deregister: %s, %d tracked", got, tab.size())
	}
}

// failOnce fails the first Deregister, as a registry that is briefly
// unavailable does.
type failOnce struct {
	upstream.Registry
	failed bool
}

func (r *failOnce) Deregister(ctx context.Context, owner string, key upstream.ServiceKey) error {
	if !r.failed {
		r.failed = true
		return errors.New("registry unavailable")
	}
	return r.Registry.Deregister(ctx, owner, key)
}

// TestBeatDeleteRetried: a silent instance whose deletion fails stays
// tracked, and the next check deletes it.
func TestBeatDeleteRetried(t *testing.T) {
	tab, reg, _ := registered(t, nil)
	tab.reg = &failOnce{Registry: reg}
	ctx := context.Background()
	tab.check(ctx, t0.Add(31*time.Second))
	if got := state(t, reg); got == "absent" {
		t.Fatalf("deleted although the registry failed")
	}
	tab.check(ctx, t0.Add(36*time.Second))
	if got := state(t, reg); got != "absent" || tab.size() != 0 {
		t.Errorf("after the registry recovered: %s, %d tracked; want absent, 0", got, tab.size())
	}
}

// TestBeatDeregisterFailedStaysTracked: an instance whose deregistration
// fails is still tracked, so the beat rules delete it if its client is
// gone.
func TestBeatDeregisterFailedStaysTracked(t *testing.T) {
	tab, reg, in := registered(t, nil)
	tab.reg = &failOnce{Registry: reg}
	ctx := context.Background()
	if err := tab.deregister(ctx, beatKey, httpOwner(in)); err == nil {
		t.Fatal("deregister succeeded although the registry failed")
	}
	tab.check(ctx, t0.Add(31*time.Second))
	if got := state(t, reg); got != "absent" || tab.size() != 0 {
		t.Errorf("after the delete timeout: %s, %d tracked; want absent, 0", got, tab.size())
	}
}
