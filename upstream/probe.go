package upstream

// The active health checker of the embedded registry's persistent
// instances. One goroutine (run) owns the prober: every Interval it takes a
// list of probe jobs under the registry's read lock, probes them with no
// lock held (at most Concurrency at once, each bounded by Timeout and by
// the prober's context), then applies the health changes under the write
// lock. A probe that hangs therefore delays only the next round, never a
// registry operation, and stop cancels it.

import (
	"context"
	"maps"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"
)

// prober runs the health checks of one registry; see the file comment.
type prober struct {
	e      *Embedded
	cfg    HealthCheck
	check  *checker
	cancel context.CancelFunc
	done   chan struct{} // closed when run returns

	// fails counts each slot's consecutive failed probes. Only run touches
	// it, so it needs no lock.
	fails map[probeTarget]int
}

// probeTarget names one persistent slot.
type probeTarget struct {
	key   ServiceKey
	owner string
}

// probeJob is one probe to run: where and how.
type probeJob struct {
	probeTarget
	addr    string // ip:port
	checker string // CheckerTCP or CheckerHTTP
	path    string // for CheckerHTTP
}

// startProber starts probing e's persistent instances with cfg (defaults
// applied). stop ends it.
func startProber(e *Embedded, cfg HealthCheck) *prober {
	ctx, cancel := context.WithCancel(context.Background())
	p := &prober{
		e: e, cfg: cfg, check: newChecker(), cancel: cancel,
		done: make(chan struct{}), fails: make(map[probeTarget]int),
	}
	go p.run(ctx)
	return p
}

// stop cancels the probes under way and waits for run to return.
func (p *prober) stop() {
	p.cancel()
	<-p.done
	p.check.close()
}

// run probes a round at once, then one every Interval, until stop.
func (p *prober) run(ctx context.Context) {
	defer close(p.done)
	tick := time.NewTicker(p.cfg.Interval)
	defer tick.Stop()
	for {
		p.round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// round probes every persistent instance once and applies the outcome.
func (p *prober) round(ctx context.Context) {
	jobs := p.e.probeJobs(p.cfg)
	ok := p.probeAll(ctx, jobs)
	if ctx.Err() != nil {
		return // stopping: a cancelled probe says nothing about the instance
	}
	fails := make(map[probeTarget]int, len(jobs))
	health := make(map[probeTarget]bool, len(jobs))
	for i, j := range jobs {
		if ok[i] {
			health[j.probeTarget] = true
			continue
		}
		n := p.fails[j.probeTarget] + 1
		fails[j.probeTarget] = n
		if n >= p.cfg.Failures {
			health[j.probeTarget] = false
		}
	}
	p.fails = fails // forgets slots that are gone or healthy
	p.e.setHealth(health)
}

// probeAll runs the jobs, at most Concurrency at once, and reports which
// succeeded.
func (p *prober) probeAll(ctx context.Context, jobs []probeJob) []bool {
	ok := make([]bool, len(jobs))
	sem := make(chan struct{}, p.cfg.Concurrency)
	var wg sync.WaitGroup
	for i, j := range jobs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ok
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			pctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
			defer cancel()
			ok[i] = p.check.probe(pctx, j) == nil
		}()
	}
	wg.Wait()
	return ok
}

// probeJobs lists the persistent instances to probe now.
func (e *Embedded) probeJobs(cfg HealthCheck) []probeJob {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var jobs []probeJob
	for key, ent := range e.services {
		for owner, slot := range ent.slots {
			if !IsPersistentOwner(owner) || len(slot) != 1 {
				continue
			}
			in := slot[0]
			checker, path := cfg.checkerFor(in)
			if checker == CheckerNone {
				continue
			}
			jobs = append(jobs, probeJob{
				probeTarget: probeTarget{key: key, owner: owner},
				addr:        net.JoinHostPort(in.IP, strconv.FormatUint(in.Port, 10)),
				checker:     checker, path: path,
			})
		}
	}
	return jobs
}

// setHealth applies one round's verdicts: every instance whose health
// changed gets it, and its service a new snapshot; slots that are gone are
// ignored. The data file is saved once, before the snapshots are handed
// out. A failed save is logged, not returned: health changes must reach
// clients even when the disk fails.
func (e *Embedded) setHealth(health map[probeTarget]bool) {
	e.saveMu.Lock()
	defer e.saveMu.Unlock()
	changes, data := e.stageHealth(health)
	if len(changes) == 0 {
		return
	}
	if data != nil {
		if err := e.file.write(data); err != nil {
			e.log.Warn("persistent instance health not saved", "err", err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// A service that changed meanwhile is left to the next round.
	current := map[*entry]bool{}
	for _, c := range changes {
		if _, seen := current[c.ent]; !seen {
			current[c.ent] = !e.closed && e.services[c.key] == c.ent && c.ent.snap.Revision == c.base
		}
	}
	snaps := map[*entry]Service{}
	for _, c := range changes {
		if !current[c.ent] {
			continue
		}
		c.ent.put(c.owner, []Instance{c.in})
		snaps[c.ent] = c.snap
		e.log.Info("persistent instance health changed", "service", c.key.String(),
			"instance", net.JoinHostPort(c.in.IP, strconv.FormatUint(c.in.Port, 10)), "healthy", c.in.Healthy)
	}
	for ent, snap := range snaps {
		ent.install(snap)
	}
}

// healthChange is one staged health change of setHealth.
type healthChange struct {
	key   ServiceKey
	owner string
	in    Instance
	ent   *entry
	base  int64
	snap  Service
}

// stageHealth prepares the changes of health and the file's new content
// (nil without a data directory), changing nothing. The changes of one
// service share one snapshot.
func (e *Embedded) stageHealth(health map[probeTarget]bool) ([]healthChange, []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, nil
	}
	var changes []healthChange
	slots := map[*entry]map[string][]Instance{}
	for t, healthy := range health {
		ent := e.services[t.key]
		if ent == nil || len(ent.slots[t.owner]) != 1 || ent.slots[t.owner][0].Healthy == healthy {
			continue
		}
		in := ent.slots[t.owner][0]
		in.Healthy = healthy
		changes = append(changes, healthChange{key: t.key, owner: t.owner, in: in, ent: ent, base: ent.snap.Revision})
		if slots[ent] == nil {
			slots[ent] = maps.Clone(ent.slots)
		}
		slots[ent][t.owner] = []Instance{in}
	}
	snaps := make(map[*entry]Service, len(slots))
	for ent, s := range slots {
		snaps[ent] = e.next(ent, flattenSlots(s))
	}
	for i := range changes {
		changes[i].snap = snaps[changes[i].ent]
	}
	if e.file == nil || len(changes) == 0 {
		return changes, nil
	}
	data, err := e.encodeSaved(slices.Collect(maps.Values(snaps))...)
	if err != nil {
		e.log.Warn("persistent instance health not saved", "err", err)
		return changes, nil
	}
	return changes, data
}
