package loadgen

import (
	"context"
	"fmt"
	"time"
)

// FanoutConfig sizes the fan-out scenario.
type FanoutConfig struct {
	Subs          int           // subscriber connections, all on one service
	Changes       int           // registrations, each replacing the previous one
	BackToBack    bool          // send changes without waiting for their acks
	ChangeTimeout time.Duration // paced: longest wait for one change's acks
	DrainTimeout  time.Duration // back-to-back: longest wait for the final change's acks
	Concurrency   int           // connections being opened at once
	Service       string        // naming: the service; config: the dataId
	// Kind is what changes: "naming" (the default: registrations pushed
	// as NotifySubscriberRequest) or "config" (publishes of one key pushed
	// as ConfigChangeNotifyRequest to listeners; paced only, since a config
	// push names no content and acks are matched to the change under way).
	Kind string
}

// FanoutResult is what the subscribers saw.
type FanoutResult struct {
	Subs               int     `json:"subs"`
	Changes            int     `json:"changes"`
	Mode               string  `json:"mode"` // paced or back-to-back
	Expected           int64   `json:"expected"`
	Delivered          int64   `json:"delivered"`      // acks of changes 1..Changes
	DeliveredFinal     int64   `json:"deliveredFinal"` // acks of the last change
	TimedOut           int     `json:"changesTimedOut"`
	Latency            Latency `json:"changeToAck"`         // from the register call's return
	FromSend           Latency `json:"changeToAckFromSend"` // from the register call's start
	NegativeClamped    int     `json:"negativeClamped"`     // acks stamped before their register returned
	Unmatched          int64   `json:"unmatched"`           // pushes that carried no change of this run
	RunSeconds         float64 `json:"runSeconds"`          // first change sent to last ack
	PushesPerSecond    float64 `json:"pushesAckedPerSecond"`
	RegisterMs         Latency `json:"registerCall"`
	CPU                CPU     `json:"cpu"`                // from the first change to the last ack
	HeraldCPUPerPushUs float64 `json:"heraldCPUPerPushUs"` // Herald's CPU time per acked push
	Dropped            int     `json:"dropped"`
}

// RunFanout subscribes Subs connections to one service and measures how
// long each registration takes to reach every subscriber's ack.
func RunFanout(ctx context.Context, h *Herald, cfg FanoutConfig, logf Logf) (*FanoutResult, error) {
	res := &FanoutResult{Subs: cfg.Subs, Changes: cfg.Changes, Mode: "paced"}
	if cfg.BackToBack {
		res.Mode = "back-to-back"
	}
	run := newFanoutRun(cfg)
	logf("fanout: opening %d subscribers to %q", cfg.Subs, cfg.Service)
	subs, err := openAll(ctx, cfg.Subs, cfg.Concurrency, logf, func(ctx context.Context, i int) (*Conn, error) {
		if cfg.Kind == KindConfig {
			return openListener(ctx, h.GRPCAddr, cfg.Service, func(p Push) { run.onPush(i, p) })
		}
		return openSubscriber(ctx, h.GRPCAddr, cfg.Service, func(p Push) { run.onPush(i, p) })
	})
	if err != nil {
		return res, fmt.Errorf("open subscribers: %w", err)
	}
	pub, err := Open(ctx, h.GRPCAddr, nil)
	if err != nil {
		closeAll(subs, cfg.Concurrency)
		return res, fmt.Errorf("open registering connection: %w", err)
	}
	logf("fanout: %d subscribed; sending %d changes (%s)", cfg.Subs, cfg.Changes, res.Mode)
	start, cpu := time.Now(), startCPU(h.PID())
	regLat, runErr := run.changes(ctx, pub, res)
	res.CPU = cpu.stop()
	res.Dropped, _ = dropped(subs)
	// Subscribers first: closing pub empties the service, which would push.
	closeAll(subs, cfg.Concurrency) // the readers have returned: acks are safe to read
	pub.Close()
	res.RegisterMs = summarize(regLat)
	run.collect(start, res)
	res.HeraldCPUPerPushUs = micros(res.CPU.HeraldSeconds, res.Delivered)
	if runErr != nil {
		return res, runErr
	}
	return res, checkFanout(res)
}

// changes sends every change, paced or back to back, and waits for the
// acks; it returns the register call latencies.
func (r *fanoutRun) changes(ctx context.Context, pub *Conn, res *FanoutResult) ([]time.Duration, error) {
	lat := make([]time.Duration, 0, r.cfg.Changes)
	for i := 1; i <= r.cfg.Changes; i++ {
		typ, body := "InstanceRequest", instanceRequest("registerInstance", r.cfg.Service, "10.1.0.1", changePort(i))
		if r.cfg.Kind == KindConfig {
			typ, body = "ConfigPublishRequest", publishRequest(r.cfg.Service, i)
		}
		r.cur.Store(int64(i))
		r.start[i] = time.Now()
		if _, err := pub.Call(ctx, typ, body); err != nil {
			return lat, fmt.Errorf("change %d: %w", i, err)
		}
		r.sent[i] = time.Now()
		lat = append(lat, r.sent[i].Sub(r.start[i]))
		if !r.cfg.BackToBack || i == r.cfg.Changes {
			wait := r.cfg.ChangeTimeout
			if r.cfg.BackToBack {
				wait = r.cfg.DrainTimeout
			}
			if !waitDone(ctx, r.done[i], wait) {
				res.TimedOut++
			}
		}
		if err := ctx.Err(); err != nil {
			return lat, err
		}
	}
	return lat, nil
}

// waitDone waits for done up to d; it reports whether done closed.
func waitDone(ctx context.Context, done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

// checkFanout fails unless every subscriber acked what it must: every
// change when paced, the final one back to back.
func checkFanout(res *FanoutResult) error {
	switch {
	case res.Dropped > 0:
		return fmt.Errorf("%d subscribers dropped", res.Dropped)
	case res.BackToBackMode() && res.DeliveredFinal < res.Expected:
		return fmt.Errorf("final change acked by %d of %d subscribers", res.DeliveredFinal, res.Expected)
	case !res.BackToBackMode() && res.Delivered < res.Expected:
		return fmt.Errorf("delivered %d of %d pushes (%d changes timed out)", res.Delivered, res.Expected, res.TimedOut)
	}
	return nil
}

// BackToBackMode reports whether changes were sent without pacing.
func (r *FanoutResult) BackToBackMode() bool { return r.Mode == "back-to-back" }
