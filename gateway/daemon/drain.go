package daemon

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/gateway"
)

// Drain empties the gateway before it stops (gateway.Server.Drain, with
// fleet.drainWindow): clients are told to move, their registrations held
// for the grace when the registry is remote. It runs once; later and
// concurrent calls wait for it and return its report. Done is closed
// when it ends; Stop is still needed. Stop cancels a drain under way.
func (d *Daemon) Drain(ctx context.Context) gateway.DrainReport {
	d.drainOnce.Do(func() {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stop := context.AfterFunc(d.life, cancel)
		defer stop()
		d.drainRep = d.grpc.Drain(ctx, gateway.DrainOptions{
			Window:    d.cfg.Fleet.DrainWindow,
			AwaitHeld: d.cfg.Upstream.Kind == conf.UpstreamNacos,
			Timeout:   d.cfg.Fleet.DrainTimeout,
		})
		close(d.drained)
	})
	<-d.drained
	return d.drainRep
}

// Done is closed when a drain has ended: the process should stop.
func (d *Daemon) Done() <-chan struct{} { return d.drained }

// serveDrain answers POST /v1/drain: the drain starts in the background
// (202); with wait=true the answer waits for its report (200).
func (d *Daemon) serveDrain(ctx context.Context, c *app.RequestContext) {
	wait, err := boolParam(c, "wait")
	if err != nil {
		c.JSON(http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	started := make(chan gateway.DrainReport, 1)
	go func() { started <- d.Drain(context.Background()) }()
	if !wait {
		c.JSON(http.StatusAccepted, map[string]any{"draining": true, "window": d.cfg.Fleet.DrainWindow.String()})
		return
	}
	select {
	case rep := <-started:
		c.JSON(http.StatusOK, drainAnswer(rep))
	case <-ctx.Done():
		c.JSON(http.StatusServiceUnavailable, apiError{Error: "request ended before the drain"})
	}
}

func drainAnswer(rep gateway.DrainReport) map[string]any {
	return map[string]any{"draining": true, "done": true, "report": rep, "took": rep.Took.String()}
}

// shedRequest is what POST /v1/shed asks for.
type shedRequest struct {
	count  int
	window time.Duration
}

// serveShed answers POST /v1/shed?count=N or ?share=F (0 < F <= 1 of the
// gRPC connections held), with an optional window (a Go duration,
// default fleet.shedWindow): that many clients are told to move, spread
// over the window.
func (d *Daemon) serveShed(_ context.Context, c *app.RequestContext) {
	if d.grpc.Draining() {
		c.JSON(http.StatusConflict, apiError{Error: "draining: every connection is being moved already"})
		return
	}
	conns, _ := d.grpc.Stats()
	req, err := parseShed(c, conns, d.cfg.Fleet.ShedWindow)
	if err != nil {
		c.JSON(http.StatusBadRequest, apiError{Error: err.Error()})
		return
	}
	picked := d.grpc.Shed(req.count, req.window)
	c.JSON(http.StatusAccepted, map[string]any{"connections": conns, "shedding": picked, "window": req.window.String()})
}

func parseShed(c *app.RequestContext, conns int, defWindow time.Duration) (shedRequest, error) {
	req := shedRequest{window: defWindow}
	count, share := string(c.Query("count")), string(c.Query("share"))
	switch {
	case (count == "") == (share == ""):
		return req, fmt.Errorf("give exactly one of count (connections) or share (0 < share <= 1)")
	case count != "":
		n, err := strconv.Atoi(count)
		if err != nil || n < 1 {
			return req, fmt.Errorf("count: want a whole number >= 1, got %q", count)
		}
		req.count = n
	default:
		f, err := strconv.ParseFloat(share, 64)
		if err != nil || !(f > 0 && f <= 1) {
			return req, fmt.Errorf("share: want a number with 0 < share <= 1, got %q", share)
		}
		req.count = int(math.Round(f * float64(conns)))
	}
	if w := string(c.Query("window")); w != "" {
		v, err := time.ParseDuration(w)
		if err != nil || v < 0 || v > 10*time.Minute {
			return req, fmt.Errorf("window: want a duration between 0s and 10m, got %q", w)
		}
		req.window = v
	}
	return req, nil
}

// apiError is the body of an admin API error answer.
type apiError struct {
	Error string `json:"error"`
}

func boolParam(c *app.RequestContext, name string) (bool, error) {
	v := string(c.Query(name))
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: want true or false, got %q", name, v)
	}
	return b, nil
}
