package loadgen

import (
	"context"
	"fmt"
	"time"
)

// RunChain subscribes Subs edge connections over Services services, checks
// that the core holds one subscription per service, then registers
// Changes instances on the core and counts the pushes on each hop.
func RunChain(ctx context.Context, core, edge *Herald, cfg ChainConfig, logf Logf) (*ChainResult, error) {
	res := &ChainResult{Subs: cfg.Subs, Services: cfg.Services, Changes: cfg.Changes, Direct: cfg.Direct}
	run := newChainRun(cfg)
	target, where := edge, "edge"
	if cfg.Direct {
		target, where = core, "core (direct baseline)"
	}
	logf("chain: opening %d subscribers on the %s over %d services", cfg.Subs, where, cfg.Services)
	subs, err := openAll(ctx, cfg.Subs, cfg.Concurrency, logf, func(ctx context.Context, i int) (*Conn, error) {
		return openSubscriber(ctx, target.GRPCAddr, chainService(i, cfg.Services), func(p Push) { run.onPush(i, p) })
	})
	if err != nil {
		return res, fmt.Errorf("open subscribers: %w", err)
	}
	err = runChanges(ctx, core, edge, target, run, res)
	res.Dropped, _ = dropped(subs)
	closeAll(subs, cfg.Concurrency) // the readers have returned: acks are safe to read
	run.collect(res)
	if err != nil {
		return res, err
	}
	return res, checkChain(res)
}

// runChanges checks the subscription counts, then sends the changes and
// reads the push counters of every hop around them.
func runChanges(ctx context.Context, core, edge, target *Herald, run *chainRun, res *ChainResult) error {
	if err := chainCounts(ctx, core, edge, target, res); err != nil {
		return err
	}
	pub, err := Open(ctx, core.GRPCAddr, nil)
	if err != nil {
		return fmt.Errorf("open registering connection on the core: %w", err)
	}
	defer pub.Close()
	before, err := hopCounts(ctx, core, edge)
	if err != nil {
		return err
	}
	if err := run.changes(ctx, pub, res); err != nil {
		return err
	}
	// The last push may be acked by the subscribers before the edge's
	// counters are read; the counters are updated before pushes go out.
	after, err := hopCounts(ctx, core, edge)
	if err != nil {
		return err
	}
	n := float64(res.Changes)
	res.CorePushesPerChange = float64(after.core-before.core) / n
	res.UpstreamPushesPerChange = float64(after.upstream-before.upstream) / n
	res.EdgePushesPerChange = float64(after.edge-before.edge) / n
	return nil
}

// chainCounts waits (bounded) until target holds every subscription and
// reads how many the edge and the core hold.
func chainCounts(ctx context.Context, core, edge, target *Herald, res *ChainResult) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		ts, err := target.Stats(ctx)
		if err != nil {
			return fmt.Errorf("stats: %w", err)
		}
		if ts.Subscriptions >= res.Subs || time.Now().After(deadline) {
			break
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	es, err := edge.Stats(ctx)
	if err != nil {
		return fmt.Errorf("edge stats: %w", err)
	}
	res.EdgeSubscriptions = es.Subscriptions
	if es.Upstream != nil {
		res.UpstreamSubscribes = es.Upstream.Subscribes
	}
	cs, err := core.Stats(ctx)
	if err != nil {
		return fmt.Errorf("core stats: %w", err)
	}
	res.CoreServices, res.CoreSubscriptions = cs.SubscribedServices, cs.Subscriptions
	return nil
}

// hops is the push counters of the three hops at one moment.
type hops struct{ core, upstream, edge uint64 }

func hopCounts(ctx context.Context, core, edge *Herald) (hops, error) {
	cs, err := core.Stats(ctx)
	if err != nil {
		return hops{}, fmt.Errorf("core stats: %w", err)
	}
	es, err := edge.Stats(ctx)
	if err != nil {
		return hops{}, fmt.Errorf("edge stats: %w", err)
	}
	h := hops{core: cs.Pushes["sent"], edge: es.Pushes["sent"]}
	if es.Upstream != nil {
		h.upstream = es.Upstream.Pushes
	}
	return h, nil
}

// changes registers change i on the core in service i % Services and
// waits for that service's edge subscribers to ack it.
func (r *chainRun) changes(ctx context.Context, pub *Conn, res *ChainResult) error {
	for i := 1; i <= r.cfg.Changes; i++ {
		body := instanceRequest("registerInstance", chainService(i-1, r.cfg.Services), "10.1.0.1", changePort(i))
		if _, err := pub.Call(ctx, "InstanceRequest", body); err != nil {
			return fmt.Errorf("change %d: %w", i, err)
		}
		r.sent[i] = time.Now()
		if !waitDone(ctx, r.done[i], r.cfg.ChangeTimeout) {
			res.TimedOut++
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// collect sums the acks and their latency; the readers have returned.
func (r *chainRun) collect(res *ChainResult) {
	var lat []time.Duration
	for _, acks := range r.acks {
		for _, a := range acks {
			if !r.sent[a.change].IsZero() {
				lat = append(lat, max(0, a.at.Sub(r.sent[a.change])))
			}
		}
	}
	for i := 1; i <= r.cfg.Changes; i++ {
		res.Expected += r.want[i]
		res.Delivered += min(r.counts[i].Load(), r.want[i])
	}
	res.Latency = summarize(lat)
}

// checkChain fails unless the upstream load is what the design promises.
func checkChain(res *ChainResult) error {
	switch {
	case res.Dropped > 0:
		return fmt.Errorf("%d subscribers dropped", res.Dropped)
	case !res.Direct && res.CoreSubscriptions != res.Services:
		return fmt.Errorf("core holds %d subscriptions, want %d (one per service)", res.CoreSubscriptions, res.Services)
	case res.Delivered < res.Expected:
		return fmt.Errorf("delivered %d of %d pushes (%d changes timed out)", res.Delivered, res.Expected, res.TimedOut)
	}
	return nil
}
