package fleet

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/herald-gateway/herald/fanout"
)

// Hub is what the view reads of this gateway's push engine.
type Hub interface {
	Topics() []fanout.Topic
	Status(t fanout.Topic) fanout.TopicStatus
}

// Options configure a View. Zero values take the defaults noted.
type Options struct {
	Node  string
	Store *Store // nil: the view is this gateway alone
	Hub   Hub
	// Identity returns this gateway's entry without Topics (the view
	// fills them from Hub).
	Identity func() Gateway
	// Interval is how often the entry is published; it lives for three.
	// Default 5s.
	Interval time.Duration
	// Shed, with AutoShed, is called to shed connections beyond this
	// gateway's fair share of the fleet (see excess).
	Shed     func(n int, window time.Duration) int
	AutoShed bool
	Logger   *slog.Logger
}

// View is the fleet view as one gateway sees and feeds it.
type View struct {
	o    Options
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// opTimeout bounds every Redis call of the view.
const opTimeout = 2 * time.Second

// New returns a View; Start publishes.
func New(o Options) *View {
	if o.Interval <= 0 {
		o.Interval = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &View{o: o, done: make(chan struct{})}
}

// Start publishes this gateway's entry now and every Interval until
// Stop (nothing without a Store).
func (v *View) Start() {
	if v.o.Store == nil {
		return
	}
	v.wg.Add(1)
	go v.loop()
}

func (v *View) loop() {
	defer v.wg.Done()
	t := time.NewTicker(v.o.Interval)
	defer t.Stop()
	for {
		v.publish()
		select {
		case <-v.done:
			return
		case <-t.C:
		}
	}
}

// publish writes the entry and, with AutoShed, sheds the excess.
func (v *View) publish() {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	now := time.Now()
	g := v.local(now)
	if err := v.o.Store.Publish(ctx, g, 3*v.o.Interval, now); err != nil {
		v.o.Logger.Warn("fleet view: publish", "err", err)
		return
	}
	if !v.o.AutoShed || v.o.Shed == nil || g.Draining {
		return
	}
	live, err := v.o.Store.Live(ctx, now)
	if err != nil {
		v.o.Logger.Warn("fleet view: read for fair share", "err", err)
		return
	}
	if n := excess(live, v.o.Node); n > 0 {
		v.o.Logger.Info("fleet view: over the fair share; shedding", "connections", g.Connections, "shed", n)
		v.o.Shed(n, v.o.Interval)
	}
}

// local is this gateway's entry now, with its topics.
func (v *View) local(now time.Time) Gateway {
	g := v.o.Identity()
	g.Node, g.PublishedAt = v.o.Node, now.UnixMilli()
	for _, t := range v.o.Hub.Topics() {
		g.Topics = append(g.Topics, topicOf(v.o.Hub.Status(t)))
	}
	return g
}

// Stop ends publishing and withdraws the entry.
func (v *View) Stop() {
	v.once.Do(func() {
		close(v.done)
		v.wg.Wait()
		if v.o.Store == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		if err := v.o.Store.Withdraw(ctx, v.o.Node); err != nil {
			v.o.Logger.Warn("fleet view: withdraw", "err", err)
		}
	})
}

// others are the live entries of the other gateways; an unreachable
// Redis yields none (logged): answers fall back to this gateway.
func (v *View) others(ctx context.Context) []Gateway {
	if v.o.Store == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	live, err := v.o.Store.Live(ctx, time.Now())
	if err != nil {
		v.o.Logger.Warn("fleet view: read; answering for this gateway only", "err", err)
		return nil
	}
	out := live[:0]
	for _, g := range live {
		if g.Node != v.o.Node {
			out = append(out, g)
		}
	}
	return out
}

// Status implements the tracker's status source for the whole fleet:
// this gateway's subscribers of t, live, and every other live gateway's,
// as last published; each names its gateway. The revision is the newest
// any gateway has.
func (v *View) Status(t fanout.Topic) fanout.TopicStatus {
	st := v.o.Hub.Status(t)
	for i := range st.Subscribers {
		st.Subscribers[i].Gateway = v.o.Node
	}
	for _, g := range v.others(context.Background()) {
		for _, p := range g.Topics {
			if p.matches(t) {
				st.Revision = max(st.Revision, p.Revision)
				st.Subscribers = append(st.Subscribers, p.statuses(g.Node)...)
			}
		}
	}
	sort.SliceStable(st.Subscribers, func(i, j int) bool {
		a, b := st.Subscribers[i], st.Subscribers[j]
		if a.Gateway != b.Gateway {
			return a.Gateway < b.Gateway
		}
		return a.ConnID < b.ConnID || a.ConnID == b.ConnID && a.View < b.View
	})
	return st
}

// Gateways lists the live gateways, this one first-hand, sorted by node,
// without their topics.
func (v *View) Gateways(ctx context.Context) []Gateway {
	out := []Gateway{v.o.Identity()}
	out[0].Node, out[0].PublishedAt = v.o.Node, time.Now().UnixMilli()
	out = append(out, v.others(ctx)...)
	for i := range out {
		out[i].Topics = nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}

// excess is how many connections the gateway node should shed to come
// down to its fair share of the live, non-draining gateways' gRPC
// connections: nothing within 10 % (at least 2 connections) of the fair
// share, and at most a tenth of its connections (at least 1) per call,
// so a fleet settles slowly instead of bouncing clients around.
func excess(live []Gateway, node string) int {
	total, n, mine := 0, 0, -1
	for _, g := range live {
		if g.Draining {
			continue
		}
		total += g.Connections
		n++
		if g.Node == node {
			mine = g.Connections
		}
	}
	if mine < 0 || n < 2 {
		return 0
	}
	fair := (total + n - 1) / n
	over := mine - fair
	if over <= max(2, fair/10) {
		return 0
	}
	return min(over, max(1, mine/10))
}
