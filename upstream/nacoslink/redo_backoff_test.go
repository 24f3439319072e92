package nacoslink

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-gateway/herald/upstream"
)

// countingHandler counts the log records with one message.
type countingHandler struct {
	msg string
	n   *atomic.Int64
}

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.n.Add(1)
	}
	return nil
}
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countingHandler) WithGroup(string) slog.Handler      { return h }

// TestRejectedRedoBacksOff: a registration the upstream rejects when it is
// redone (here: the service became persistent upstream meanwhile) is not
// resent at every sync while the clock stands still.
func TestRejectedRedoBacksOff(t *testing.T) {
	c := startCore(t, "127.0.0.1:0")
	failures := &atomic.Int64{}
	clk := &clock{now: time.Unix(1000, 0)}
	l := newLink(t, Options{Servers: []string{c.addr}, Now: clk.Now,
		Logger: slog.New(countingHandler{msg: "upstream registration redo failed", n: failures})})
	waitReady(t, l)
	ctx := context.Background()
	k := svc("db")
	p := inst("10.0.0.9", 5432)
	if err := c.reg.Register(ctx, upstream.PersistentOwner(p), k, []upstream.Instance{p}); err != nil {
		t.Fatal(err)
	}
	r := newRegistration(k)
	r.owners["conn-a"] = []upstream.Instance{inst("10.0.0.1", 80)}
	r.dirty = true
	l.mu.Lock()
	l.regs[k] = r
	l.mu.Unlock()
	for range 10 {
		l.flushDirty()
	}
	if n := failures.Load(); n == 0 || n > 2 {
		t.Errorf("%d redo attempts rejected within one instant, want 1 (2 with the run loop's)", n)
	}
	l.mu.Lock()
	dirty := r.dirty
	l.mu.Unlock()
	if !dirty {
		t.Error("the rejected registration is no longer marked for a redo")
	}
}
