package loadgen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DrainConfig sizes the drain scenario: a core Herald and two edges in
// front of it; Conns clients arrive together on edge A (each subscribes
// to one of Services services and registers an instance into it), then
// edge A is drained (POST /v1/drain?wait=true) and every client moves to
// edge B as nacos-sdk-go does (new connection, redo, old one closed).
// A watcher subscribed on the core counts flaps: lists that lack an
// instance it saw before.
type DrainConfig struct {
	Conns       int
	Services    int
	Concurrency int // arrivals in flight at once
	// ProfileDir, if set, makes each Herald write a CPU profile of its
	// whole run there (HERALD_CPUPROFILE): core.pprof, edge-a.pprof,
	// edge-b.pprof.
	ProfileDir string
}

// DrainResult is what the arrivals, the drain and the moves measured.
type DrainResult struct {
	Conns             int     `json:"conns"`
	Services          int     `json:"services"`
	ArrivalSeconds    float64 `json:"arrivalSeconds"`
	ArrivalsPerSecond float64 `json:"arrivalsPerSecond"`
	Arrival           Latency `json:"arrival"` // dial to registered, per client
	ArrivalCPU        CPU     `json:"arrivalCPU"`
	EdgeCPUPerArrival float64 `json:"edgeCPUPerArrivalUs"`
	DrainSeconds      float64 `json:"drainSeconds"` // POST /v1/drain?wait=true to its answer
	DrainReport       any     `json:"drainReport"`
	Moves             int64   `json:"moves"`
	Move              Latency `json:"move"` // reset received to registered on edge B
	MoveErrors        int64   `json:"moveErrors"`
	FirstMoveError    string  `json:"firstMoveError,omitempty"`
	Flaps             int64   `json:"flaps"`     // lists on the core lacking an instance seen before
	Lists             int64   `json:"lists"`     // lists the watcher received
	Converged         bool    `json:"converged"` // every service listed every instance once at the end
}

// drainService is the service of client i.
func drainService(i, services int) string { return "drain-" + strconv.Itoa(i%services) }

// drainIP is client i's instance address.
func drainIP(i int) string { return fmt.Sprintf("10.6.%d.%d", i/250, i%250+1) }

// StartDrainFleet starts a core and two edges in front of it, with
// Herald's default merge window (500 ms; StartHerald's 0 would push every
// one of a storm's registrations to every subscriber of its service: the
// quadratic storm the window exists to collapse), then extra.
func StartDrainFleet(ctx context.Context, bin, dir, profiles string, extra, env []string) (hs []*Herald, err error) {
	extra = append([]string{"-fanout.mergeWindow", "500ms"}, extra...)
	profile := func(name string) []string {
		if profiles == "" {
			return env
		}
		return append(append([]string(nil), env...), "HERALD_CPUPROFILE="+filepath.Join(profiles, name+".pprof"))
	}
	core, err := StartHerald(ctx, bin, dir, extra, profile("core"))
	if err != nil {
		return []*Herald{core}, fmt.Errorf("core: %w", err)
	}
	hs = append(hs, core)
	for _, name := range []string{"edge-a", "edge-b"} {
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return hs, err
		}
		args := append([]string{"-node", name, "-upstream.kind", "nacos", "-upstream.servers", core.GRPCAddr}, extra...)
		h, err := StartHerald(ctx, bin, d, args, profile(name))
		hs = append(hs, h)
		if err != nil {
			return hs, fmt.Errorf("%s: %w", name, err)
		}
	}
	return hs, nil
}

// drainClient is one client: its current connection and where it moves.
type drainClient struct {
	i   int
	cur atomic.Pointer[Conn]
}

// drainRun is the shared state of one run.
type drainRun struct {
	cfg        DrainConfig
	edgeB      string
	ctx        context.Context
	mu         sync.Mutex // protects moveLat and firstErr
	moveLat    []time.Duration
	firstErr   error
	moves      atomic.Int64
	moveErrors atomic.Int64
}

// arrive opens client i on addr: session, subscribe, register.
func (r *drainRun) arrive(ctx context.Context, addr string, c *drainClient) error {
	conn, err := Open(ctx, addr, nil)
	if err != nil {
		return err
	}
	svc := drainService(c.i, r.cfg.Services)
	if _, err := conn.Call(ctx, "SubscribeServiceRequest", subscribeRequest(svc)); err != nil {
		conn.Close()
		return err
	}
	if _, err := conn.Call(ctx, "InstanceRequest", instanceRequest("registerInstance", svc, drainIP(c.i), 8080)); err != nil {
		conn.Close()
		return err
	}
	conn.OnReset(func() { r.move(c) })
	old := c.cur.Swap(conn)
	if old != nil {
		old.Close()
	}
	return nil
}

// move is the SDK's answer to ConnectResetRequest: connect to the next
// server, redo there, then close the old connection.
func (r *drainRun) move(c *drainClient) {
	start := time.Now()
	if err := r.arrive(r.ctx, r.edgeB, c); err != nil {
		r.moveErrors.Add(1)
		r.mu.Lock()
		if r.firstErr == nil {
			r.firstErr = err
		}
		r.mu.Unlock()
		return
	}
	d := time.Since(start)
	r.mu.Lock()
	r.moveLat = append(r.moveLat, d)
	r.mu.Unlock()
	r.moves.Add(1)
}

// RunDrain runs the drain scenario on a started fleet (core, edge A,
// edge B).
func RunDrain(ctx context.Context, core, edgeA, edgeB *Herald, cfg DrainConfig, logf Logf) (*DrainResult, error) {
	res := &DrainResult{Conns: cfg.Conns, Services: cfg.Services}
	w, err := watchCore(ctx, core.GRPCAddr, cfg.Services)
	if err != nil {
		return res, fmt.Errorf("watcher: %w", err)
	}
	defer w.close()
	r := &drainRun{cfg: cfg, edgeB: edgeB.GRPCAddr, ctx: ctx}
	clients := make([]*drainClient, cfg.Conns)
	for i := range clients {
		clients[i] = &drainClient{i: i}
	}
	defer func() {
		for _, c := range clients {
			if conn := c.cur.Load(); conn != nil {
				conn.Close()
			}
		}
	}()
	logf("drain: %d clients arriving on edge A, %d at once", cfg.Conns, cfg.Concurrency)
	if err := r.arrivals(ctx, edgeA, clients, res); err != nil {
		return res, err
	}
	logf("drain: arrived in %.1fs; waiting for the core's lists", res.ArrivalSeconds)
	if err := w.await(ctx, cfg.Conns, time.Minute); err != nil {
		return res, fmt.Errorf("before the drain: %w", err)
	}
	logf("drain: draining edge A")
	start := time.Now()
	var rep map[string]any
	if err := edgeA.post(ctx, "/v1/drain?wait=true", 15*time.Minute, &rep); err != nil {
		return res, fmt.Errorf("drain: %w", err)
	}
	res.DrainSeconds = time.Since(start).Seconds()
	res.DrainReport = rep["report"]
	converged := w.await(ctx, cfg.Conns, time.Minute)
	res.Converged = converged == nil
	res.Moves, res.MoveErrors = r.moves.Load(), r.moveErrors.Load()
	r.mu.Lock()
	res.Move = summarize(r.moveLat)
	if r.firstErr != nil {
		res.FirstMoveError = r.firstErr.Error()
	}
	r.mu.Unlock()
	res.Flaps, res.Lists = w.flaps.Load(), w.lists.Load()
	switch {
	case converged != nil:
		return res, fmt.Errorf("after the drain: %w", converged)
	case res.MoveErrors > 0:
		return res, fmt.Errorf("%d moves failed, first: %s", res.MoveErrors, res.FirstMoveError)
	}
	return res, nil
}

// arrivals opens every client on edge A, Concurrency at a time, and
// measures each arrival.
func (r *drainRun) arrivals(ctx context.Context, edgeA *Herald, clients []*drainClient, res *DrainResult) error {
	lat := make([]time.Duration, len(clients))
	start, cpu := time.Now(), startCPU(edgeA.PID())
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Pointer[error]
	for range min(r.cfg.Concurrency, len(clients)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(clients) && firstErr.Load() == nil; i = int(next.Add(1) - 1) {
				t := time.Now()
				if err := r.arrive(ctx, edgeA.GRPCAddr, clients[i]); err != nil {
					err = fmt.Errorf("client %d: %w", i, err)
					firstErr.CompareAndSwap(nil, &err)
					return
				}
				lat[i] = time.Since(t)
			}
		})
	}
	wg.Wait()
	res.ArrivalCPU = cpu.stop()
	res.ArrivalSeconds = time.Since(start).Seconds()
	if p := firstErr.Load(); p != nil {
		return *p
	}
	res.ArrivalsPerSecond = round1(float64(len(clients)) / res.ArrivalSeconds)
	res.Arrival = summarize(lat)
	res.EdgeCPUPerArrival = micros(res.ArrivalCPU.HeraldSeconds, int64(len(clients)))
	return nil
}

var errNotConverged = errors.New("the core's lists never held every instance exactly once")
