package http1

import (
	"context"
	"time"

	"github.com/herald-gateway/herald/upstream"
)

// Check applies the beat rules at now: instances silent for longer than
// their timeout turn unhealthy, those silent for longer than their delete
// timeout are deregistered. The server runs it every BeatCheckInterval;
// tests call it with their own clock.
func (t *beatTable) check(ctx context.Context, now time.Time) {
	t.mu.Lock()
	entries := make([]*beatEntry, 0, len(t.m))
	for _, e := range t.m {
		entries = append(entries, e)
	}
	t.mu.Unlock()
	for _, e := range entries {
		t.checkOne(ctx, e, now)
	}
}

// checkOne applies the rules to one entry.
func (t *beatTable) checkOne(ctx context.Context, e *beatEntry, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	silent := now.Sub(e.last)
	switch {
	case e.gone || !e.registered:
	case silent > e.rules.Delete:
		if err := t.reg.Deregister(ctx, e.id.owner, e.id.key); err != nil {
			// Still tracked: the next check tries again.
			t.log.Warn("delete silent instance", "service", e.id.key.String(), "owner", e.id.owner, "err", err)
			return
		}
		e.gone = true
		t.remove(e)
		t.log.Info("instance deleted: no beat", "service", e.id.key.String(), "owner", e.id.owner, "silent", silent)
	case silent > e.rules.Timeout && !e.unhealthy:
		in := e.inst
		in.Healthy = false
		if err := t.reg.Register(ctx, e.id.owner, e.id.key, []upstream.Instance{in}); err != nil {
			t.log.Warn("mark instance unhealthy", "service", e.id.key.String(), "owner", e.id.owner, "err", err)
			return
		}
		e.unhealthy = true
		t.log.Info("instance unhealthy: no beat", "service", e.id.key.String(), "owner", e.id.owner, "silent", silent)
	}
}
