package loadgen

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"time"
)

// IdleConfig sizes the idle scenario.
type IdleConfig struct {
	Conns       int           // connections, each with one subscription
	Services    int           // subscriptions spread over idle-0..idle-<Services-1>
	Concurrency int           // connections being opened at once
	Settle      time.Duration // wait after the last subscription before measuring
	Samples     int           // memory readings after Settle, SampleEvery apart; the last counts
	SampleEvery time.Duration
}

// IdleResult is Herald's memory with no connections and with Conns idle
// subscribed ones.
type IdleResult struct {
	Conns          int        `json:"conns"`
	OpenSeconds    float64    `json:"openSeconds"`
	OpensPerSecond float64    `json:"opensPerSecond"`
	OpenCPU        CPU        `json:"openCPU"`
	Baseline       ProcMem    `json:"baseline"`
	Loaded         ProcMem    `json:"loaded"`
	KiBPerConn     float64    `json:"kibPerConn"`     // (VmRSS loaded - baseline) / conns
	AnonKiBPerConn float64    `json:"anonKiBPerConn"` // the same for RssAnon
	GCBaseline     *GCSample  `json:"gcBaseline,omitempty"`
	GCLoaded       *GCSample  `json:"gcLoaded,omitempty"` // Herald's last GC before the loaded reading
	Stats          AdminStats `json:"stats"`
	Dropped        int        `json:"dropped"`
	Detections     int64      `json:"detectionsAcked"`
	LoadgenRSSKiB  int64      `json:"loadgenRSSKiB"`
}

// RunIdle measures Herald's resident memory per idle subscribed
// connection. Each connection runs ServerCheck, ConnectionSetup and one
// SubscribeServiceRequest, then only answers what Herald sends.
func RunIdle(ctx context.Context, h *Herald, cfg IdleConfig, logf Logf) (*IdleResult, error) {
	res := &IdleResult{Conns: cfg.Conns}
	var err error
	if res.Baseline, err = stableMem(ctx, h.PID(), cfg.Samples, cfg.SampleEvery); err != nil {
		return res, err
	}
	res.GCBaseline = lastGCPtr(h)
	logf("idle: baseline VmRSS %d KiB; opening %d connections", res.Baseline.RSSKiB, cfg.Conns)
	start, cpu := time.Now(), startCPU(h.PID())
	conns, err := openAll(ctx, cfg.Conns, cfg.Concurrency, logf, func(ctx context.Context, i int) (*Conn, error) {
		return openSubscriber(ctx, h.GRPCAddr, "idle-"+strconv.Itoa(i%cfg.Services), nil)
	})
	if err != nil {
		return res, fmt.Errorf("open: %w", err)
	}
	defer closeAll(conns, cfg.Concurrency)
	res.OpenCPU = cpu.stop()
	res.OpenSeconds = time.Since(start).Seconds()
	res.OpensPerSecond = round1(float64(cfg.Conns) / res.OpenSeconds)
	logf("idle: %d subscribed in %.1fs; settling %s", cfg.Conns, res.OpenSeconds, cfg.Settle)
	if err := sleep(ctx, cfg.Settle); err != nil {
		return res, err
	}
	if res.Loaded, err = stableMem(ctx, h.PID(), cfg.Samples, cfg.SampleEvery); err != nil {
		return res, err
	}
	res.GCLoaded = lastGCPtr(h)
	res.KiBPerConn = perConn(res.Loaded.RSSKiB-res.Baseline.RSSKiB, cfg.Conns)
	res.AnonKiBPerConn = perConn(res.Loaded.AnonKiB-res.Baseline.AnonKiB, cfg.Conns)
	if self, err := ReadProcMem(os.Getpid()); err == nil {
		res.LoadgenRSSKiB = self.RSSKiB
	}
	return res, checkIdle(ctx, h, conns, res)
}

// openSubscriber opens a connection and subscribes it to service.
func openSubscriber(ctx context.Context, addr, service string, onPush func(Push)) (*Conn, error) {
	c, err := Open(ctx, addr, onPush)
	if err != nil {
		return nil, err
	}
	if _, err := c.Call(ctx, "SubscribeServiceRequest", subscribeRequest(service)); err != nil {
		c.Close()
		return nil, fmt.Errorf("subscribe %s: %w", service, err)
	}
	return c, nil
}

// checkIdle fails unless every connection is still open and Herald counts
// them all as subscribed sessions.
func checkIdle(ctx context.Context, h *Herald, conns []*Conn, res *IdleResult) error {
	var err error
	if res.Stats, err = h.Stats(ctx); err != nil {
		return fmt.Errorf("read stats: %w", err)
	}
	for _, c := range conns {
		res.Detections += c.Detections.Load()
	}
	n, first := dropped(conns)
	res.Dropped = n
	switch {
	case n > 0:
		return fmt.Errorf("%d connections dropped, first: %v", n, first)
	case res.Stats.Sessions != res.Conns || res.Stats.Subscriptions != res.Conns:
		return fmt.Errorf("herald reports %d sessions and %d subscriptions, want %d each",
			res.Stats.Sessions, res.Stats.Subscriptions, res.Conns)
	}
	return nil
}

func lastGCPtr(h *Herald) *GCSample {
	if g, ok := h.LastGC(); ok {
		return &g
	}
	return nil
}

// perConn is kib/conns, rounded to 0.1.
func perConn(kib int64, conns int) float64 {
	if conns == 0 {
		return 0
	}
	return round1(float64(kib) / float64(conns))
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
