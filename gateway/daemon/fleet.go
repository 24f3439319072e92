package daemon

import (
	"context"
	"net/http"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/tracker/fleet"
)

// startFleet makes the fleet view: published to tracker.redis every
// fleet.viewInterval when Redis is configured (from publishFleet on,
// once the admin listener is bound), this gateway alone otherwise. It
// answers /v1/status/* and /v1/fleet.
func (d *Daemon) startFleet() error {
	var store *fleet.Store
	if d.redis != nil {
		store = fleet.NewStore(d.redis)
	}
	started := time.Now().UnixMilli()
	d.view = fleet.New(fleet.Options{
		Node: d.cfg.Node, Store: store, Hub: d.hub, Interval: d.cfg.Fleet.ViewInterval,
		Identity: func() fleet.Gateway { return d.identity(started) },
		Shed:     d.grpc.Shed, AutoShed: d.cfg.Fleet.AutoShed,
		Logger: d.log.With("component", "fleet"),
	})
	return nil
}

// publishFleet starts publishing; stopFleet ends it.
func (d *Daemon) publishFleet() error {
	d.view.Start()
	return nil
}

func (d *Daemon) stopFleet() { d.view.Stop() }

// identity is this gateway's fleet entry without topics.
func (d *Daemon) identity(started int64) fleet.Gateway {
	g := fleet.Gateway{
		GRPCAddr: d.GRPCAddr().String(), HTTPAddr: d.HTTPAddr().String(), StartedAt: started,
		Draining: d.grpc.Draining(),
	}
	if d.adLn != nil {
		g.AdminAddr = d.adLn.Addr().String()
	}
	g.Connections, g.Sessions = d.grpc.Stats()
	g.Services, g.Subscriptions = d.hub.Stats(fanout.KindNaming)
	g.Configs, g.Listeners = d.hub.Stats(fanout.KindConfig)
	return g
}

// fleetAnswer is the body of GET /v1/fleet.
type fleetAnswer struct {
	Node        string          `json:"node"` // the gateway answering
	Shared      bool            `json:"shared"`
	Gateways    []fleet.Gateway `json:"gateways"`
	Connections int             `json:"connections"` // over every live gateway
}

// serveFleet answers GET /v1/fleet: the live gateways (this one alone
// without Redis), with their counts.
func (d *Daemon) serveFleet(ctx context.Context, c *app.RequestContext) {
	ans := fleetAnswer{Node: d.cfg.Node, Shared: d.redis != nil, Gateways: d.view.Gateways(ctx)}
	for _, g := range ans.Gateways {
		ans.Connections += g.Connections
	}
	c.JSON(http.StatusOK, ans)
}
