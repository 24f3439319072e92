package http1

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/herald-gateway/herald/upstream"
)

// Metadata keys that override the beat rules per instance, in milliseconds
// (NACOS_PROTOCOL.md A.8, B.1).
const (
	mdBeatInterval  = "preserved.heart.beat.interval"
	mdBeatTimeout   = "preserved.heart.beat.timeout"
	mdDeleteTimeout = "preserved.ip.delete.timeout"
)

// BeatRules are the 1.x liveness rules of an ephemeral HTTP instance.
type BeatRules struct {
	Interval time.Duration // told to the client as clientBeatInterval
	Timeout  time.Duration // unhealthy after this long without a beat
	Delete   time.Duration // deleted after this long without a beat
}

// forInstance applies the instance's preserved.* metadata overrides.
func (r BeatRules) forInstance(md map[string]string) BeatRules {
	ms := func(key string, d *time.Duration) {
		if n, err := strconv.ParseInt(md[key], 10, 64); err == nil && n > 0 {
			*d = time.Duration(n) * time.Millisecond
		}
	}
	ms(mdBeatInterval, &r.Interval)
	ms(mdBeatTimeout, &r.Timeout)
	ms(mdDeleteTimeout, &r.Delete)
	return r
}

// beatID names one HTTP ephemeral instance: its registry slot.
type beatID struct {
	key   upstream.ServiceKey
	owner string
}

// beatEntry is one tracked instance. Its registry writes happen under mu,
// so a beat and a check of the same instance never interleave.
type beatEntry struct {
	id beatID

	// mu protects every field below.
	mu         sync.Mutex
	rules      BeatRules
	inst       upstream.Instance
	last       time.Time
	registered bool // the registry holds inst
	unhealthy  bool
	gone       bool // deleted: a new entry must be made
}

// beatTable keeps the last beat of every HTTP ephemeral instance and
// applies the 1.x rules: unhealthy after Timeout, deleted after Delete,
// healthy again on the next beat. Every change goes through the registry,
// so subscribers are pushed.
type beatTable struct {
	reg      upstream.Registry
	defaults BeatRules
	log      *slog.Logger

	// mu protects m (not the entries' state).
	mu sync.Mutex
	m  map[beatID]*beatEntry
}

func newBeatTable(reg upstream.Registry, defaults BeatRules, log *slog.Logger) *beatTable {
	return &beatTable{reg: reg, defaults: defaults, log: log, m: make(map[beatID]*beatEntry)}
}

// register stores in (ephemeral, owned by owner) in the registry and
// tracks it as beaten at now. A failed registration leaves the registry
// and the tracking as they were.
func (t *beatTable) register(ctx context.Context, key upstream.ServiceKey, owner string, in upstream.Instance, now time.Time) error {
	e := t.entry(beatID{key, owner}, now)
	defer e.mu.Unlock()
	rules := t.defaults.forInstance(in.Metadata)
	in.InstanceHeartBeatInterval = rules.Interval.Milliseconds()
	in.InstanceHeartBeatTimeOut = rules.Timeout.Milliseconds()
	in.IPDeleteTimeout = rules.Delete.Milliseconds()
	if err := t.reg.Register(ctx, owner, key, []upstream.Instance{in}); err != nil {
		if !e.registered {
			e.gone = true
			t.remove(e)
		}
		return fmt.Errorf("register %s: %w", key, err)
	}
	e.rules, e.inst, e.last = rules, in, now
	e.registered, e.unhealthy = true, !in.Healthy
	return nil
}

// entry returns the live entry for id, created at now if absent, locked.
func (t *beatTable) entry(id beatID, now time.Time) *beatEntry {
	for {
		t.mu.Lock()
		e := t.m[id]
		if e == nil {
			e = &beatEntry{id: id, last: now}
			t.m[id] = e
		}
		t.mu.Unlock()
		e.mu.Lock()
		if !e.gone {
			return e
		}
		e.mu.Unlock()
	}
}

// deregister removes the instance from the registry, then from the table.
func (t *beatTable) deregister(ctx context.Context, key upstream.ServiceKey, owner string) error {
	t.mu.Lock()
	e := t.m[beatID{key, owner}]
	t.mu.Unlock()
	if e != nil {
		e.mu.Lock()
		defer e.mu.Unlock()
	}
	if err := t.reg.Deregister(ctx, owner, key); err != nil {
		// Still tracked: the beat rules delete it if the client is gone.
		return fmt.Errorf("deregister %s: %w", key, err)
	}
	if e != nil {
		e.gone = true
		t.remove(e)
	}
	return nil
}

// beat refreshes a tracked instance at now, making it healthy again if
// it was not. It returns the instance's rules and whether it was known.
func (t *beatTable) beat(ctx context.Context, key upstream.ServiceKey, owner string, now time.Time) (BeatRules, bool, error) {
	t.mu.Lock()
	e := t.m[beatID{key, owner}]
	t.mu.Unlock()
	if e == nil {
		return t.defaults, false, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.gone || !e.registered {
		return t.defaults, false, nil
	}
	e.last = now
	if !e.unhealthy {
		return e.rules, true, nil
	}
	in := e.inst
	in.Healthy = true
	if err := t.reg.Register(ctx, owner, key, []upstream.Instance{in}); err != nil {
		return e.rules, true, fmt.Errorf("mark %s %s:%d healthy: %w", key, in.IP, in.Port, err)
	}
	e.unhealthy = false
	return e.rules, true, nil
}

// remove deletes e from the map if it is still the entry for its id.
func (t *beatTable) remove(e *beatEntry) {
	t.mu.Lock()
	if t.m[e.id] == e {
		delete(t.m, e.id)
	}
	t.mu.Unlock()
}

// size counts tracked instances.
func (t *beatTable) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}
