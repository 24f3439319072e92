package loadgen

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// ChainConfig sizes the chain scenario: an edge Herald whose upstream is
// the Nacos link to a core Herald.
type ChainConfig struct {
	Subs          int           // subscriber connections on the edge
	Services      int           // spread over this many services
	Changes       int           // registrations on the core, one service each, round robin
	ChangeTimeout time.Duration // longest wait for one change's acks
	Concurrency   int
	// Direct subscribes on the core instead of the edge: the baseline
	// without coalescing.
	Direct bool
}

// ChainResult is what the two gateways and the subscribers saw.
type ChainResult struct {
	Subs                    int     `json:"subs"`
	Services                int     `json:"services"`
	Changes                 int     `json:"changes"`
	Direct                  bool    `json:"direct"`
	EdgeSubscriptions       int     `json:"edgeSubscriptions"`       // local, on the edge
	CoreServices            int     `json:"coreServices"`            // subscribed services on the core
	CoreSubscriptions       int     `json:"coreSubscriptions"`       // subscriptions the core holds (all the edge's)
	UpstreamSubscribes      uint64  `json:"upstreamSubscribes"`      // SubscribeServiceRequests the edge sent
	CorePushesPerChange     float64 `json:"corePushesPerChange"`     // pushes the core sent / changes
	UpstreamPushesPerChange float64 `json:"upstreamPushesPerChange"` // pushes the edge received / changes
	EdgePushesPerChange     float64 `json:"edgePushesPerChange"`     // pushes the edge sent / changes
	Expected                int64   `json:"expected"`
	Delivered               int64   `json:"delivered"`
	TimedOut                int     `json:"changesTimedOut"`
	Latency                 Latency `json:"changeToAck"` // from the core register call's return
	Dropped                 int     `json:"dropped"`
}

// chainService is the service of subscriber (or change) i.
func chainService(i, services int) string { return fmt.Sprintf("chain-%d", i%services) }

// StartChain starts the core with extra, then the edge in front of it
// (logging into dir/edge). The caller stops both.
func StartChain(ctx context.Context, bin, dir string, extra, env []string) (core, edge *Herald, err error) {
	core, err = StartHerald(ctx, bin, dir, extra, env)
	if err != nil {
		return core, nil, fmt.Errorf("core: %w", err)
	}
	edgeDir := filepath.Join(dir, "edge")
	if err := os.MkdirAll(edgeDir, 0o755); err != nil {
		return core, nil, err
	}
	edgeArgs := append([]string{"-upstream.kind", "nacos", "-upstream.servers", core.GRPCAddr}, extra...)
	edge, err = StartHerald(ctx, bin, edgeDir, edgeArgs, env)
	if err != nil {
		return core, edge, fmt.Errorf("edge: %w", err)
	}
	return core, edge, nil
}

// chainRun is the shared state of one run; each subscriber's reader
// goroutine records into its own slot.
type chainRun struct {
	cfg    ChainConfig
	counts []atomic.Int64 // acks per change, 1..Changes
	want   []int64        // subscribers of change i's service
	done   []chan struct{}
	sent   []time.Time // when change i's register call returned
	acks   [][]ack     // per subscriber, read after the readers stopped
}

func newChainRun(cfg ChainConfig) *chainRun {
	r := &chainRun{cfg: cfg, counts: make([]atomic.Int64, cfg.Changes+1), want: make([]int64, cfg.Changes+1),
		done: make([]chan struct{}, cfg.Changes+1), sent: make([]time.Time, cfg.Changes+1),
		acks: make([][]ack, cfg.Subs)}
	for i := 1; i <= cfg.Changes; i++ {
		r.done[i] = make(chan struct{})
		for s := 0; s < cfg.Subs; s++ {
			if s%cfg.Services == (i-1)%cfg.Services {
				r.want[i]++
			}
		}
	}
	return r
}

// onPush records subscriber sub's ack of the change its push carries.
func (r *chainRun) onPush(sub int, p Push) {
	i := p.FirstPort - changePort(0)
	if i < 1 || i > r.cfg.Changes || (i-1)%r.cfg.Services != sub%r.cfg.Services {
		return
	}
	r.acks[sub] = append(r.acks[sub], ack{i, p.AckedAt})
	if n := r.counts[i].Add(1); n == r.want[i] {
		close(r.done[i])
	}
}
