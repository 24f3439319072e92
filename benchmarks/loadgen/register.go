package loadgen

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/herald-gateway/herald/internal/nacoswire"
)

// RegisterConfig sizes the register scenario.
type RegisterConfig struct {
	Conns       int
	Duration    time.Duration // how long each connection loops (0: until Count)
	Count       int           // calls per connection (0: until Duration)
	Shared      bool          // every connection on one service (or key) instead of its own
	Concurrency int           // connections being opened at once
	// Op is what each call does: "register" (the default: alternate
	// registerInstance and deregisterInstance) or "config-query"
	// (ConfigQueryRequest of a published key).
	Op string
}

// RegisterResult is the throughput of register/deregister calls.
type RegisterResult struct {
	Conns            int     `json:"conns"`
	Op               string  `json:"op,omitempty"`
	Shared           bool    `json:"sharedService"`
	Ops              int64   `json:"ops"` // completed calls, register and deregister alike
	Errors           int64   `json:"errors"`
	FirstError       string  `json:"firstError,omitempty"`
	Seconds          float64 `json:"seconds"`
	OpsPerSecond     float64 `json:"opsPerSecond"`
	Latency          Latency `json:"latency"`
	CPU              CPU     `json:"cpu"`
	HeraldCPUPerOpUs float64 `json:"heraldCPUPerOpUs"`
}

// maxConsecutiveErrors stops one connection's loop when Herald keeps
// failing it.
const maxConsecutiveErrors = 100

// RunRegister has each connection alternate registerInstance and
// deregisterInstance (or, with Op config-query, query a config), one call
// in flight per connection.
func RunRegister(ctx context.Context, h *Herald, cfg RegisterConfig, logf Logf) (*RegisterResult, error) {
	res := &RegisterResult{Conns: cfg.Conns, Shared: cfg.Shared, Op: cfg.Op}
	conns, err := openAll(ctx, cfg.Conns, cfg.Concurrency, logf, func(ctx context.Context, _ int) (*Conn, error) {
		return Open(ctx, h.GRPCAddr, nil)
	})
	if err != nil {
		return res, fmt.Errorf("open: %w", err)
	}
	defer closeAll(conns, cfg.Concurrency)
	loops := make([]registerLoop, cfg.Conns)
	for i := range loops {
		name := "reg"
		if !cfg.Shared {
			name = "reg-" + strconv.Itoa(i)
		}
		if err := loops[i].prepare(ctx, conns[i], cfg.Op, name, i); err != nil {
			return res, err
		}
	}
	logf("%s: %d connections, %s / %d calls each", cfg.Op, cfg.Conns, cfg.Duration, cfg.Count)
	start, cpu := time.Now(), startCPU(h.PID())
	deadline := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	for i := range loops {
		l := &loops[i]
		wg.Go(func() { l.run(ctx, conns[i], cfg, deadline) })
	}
	wg.Wait()
	res.CPU = cpu.stop()
	res.Seconds = time.Since(start).Seconds()
	var lat []time.Duration
	for _, l := range loops {
		lat = append(lat, l.lat...)
		res.Errors += l.errors
		if res.FirstError == "" && l.firstErr != nil {
			res.FirstError = l.firstErr.Error()
		}
	}
	res.Ops = int64(len(lat))
	res.OpsPerSecond = round1(float64(res.Ops) / res.Seconds)
	res.Latency = summarize(lat)
	res.HeraldCPUPerOpUs = micros(res.CPU.HeraldSeconds, res.Ops)
	switch {
	case ctx.Err() != nil:
		return res, ctx.Err()
	case res.Errors > 0:
		return res, fmt.Errorf("%d of %d calls failed, first: %s", res.Errors, res.Ops+res.Errors, res.FirstError)
	case res.Ops == 0:
		return res, errors.New("no call completed")
	}
	return res, nil
}

// registerLoop is one connection's loop and what it measured.
type registerLoop struct {
	typ      string
	bodies   [2][]byte       // alternated
	lat      []time.Duration // successful calls
	errors   int64
	firstErr error
}

// prepare sets the loop's calls for op on name; a config-query loop
// publishes its key first.
func (l *registerLoop) prepare(ctx context.Context, c *Conn, op, name string, i int) error {
	switch op {
	case OpConfigQuery:
		q := mustJSON(nacoswire.ConfigQueryRequest{ConfigRequest: configRequest(name)})
		l.typ, l.bodies = "ConfigQueryRequest", [2][]byte{q, q}
		if _, err := c.Call(ctx, "ConfigPublishRequest", publishRequest(name, i)); err != nil {
			return fmt.Errorf("publish %s: %w", name, err)
		}
	default:
		ip := "10.2.0." + strconv.Itoa(i%250+1)
		l.typ = "InstanceRequest"
		l.bodies = [2][]byte{instanceRequest("registerInstance", name, ip, 8080), instanceRequest("deregisterInstance", name, ip, 8080)}
	}
	return nil
}

// Ops of the register scenario.
const (
	OpRegister    = "register"
	OpConfigQuery = "config-query"
)

func (l *registerLoop) run(ctx context.Context, c *Conn, cfg RegisterConfig, deadline time.Time) {
	consecutive := 0
	for n := 0; cfg.Count == 0 || n < cfg.Count; n++ {
		if (cfg.Duration > 0 && !time.Now().Before(deadline)) || ctx.Err() != nil {
			return
		}
		t0 := time.Now()
		if _, err := c.Call(ctx, l.typ, l.bodies[n%2]); err != nil {
			l.errors++
			if l.firstErr == nil {
				l.firstErr = err
			}
			if consecutive++; consecutive >= maxConsecutiveErrors {
				return
			}
			continue
		}
		consecutive = 0
		l.lat = append(l.lat, time.Since(t0))
	}
}
