package loadgen

import (
	"sync/atomic"
	"time"
)

// ack is one subscriber's acknowledgement of change i.
type ack struct {
	change int
	at     time.Time
}

// fanoutRun is the shared state of one fan-out run. Each subscriber's
// reader goroutine appends to its own acks slice; counts and done are
// per change.
type fanoutRun struct {
	cfg    FanoutConfig
	acks   [][]ack
	counts []atomic.Int64 // acks per change, index 1..Changes
	done   []chan struct{}
	start  []time.Time // when the register of change i was sent
	sent   []time.Time // when it returned
	other  atomic.Int64
	cur    atomic.Int64 // the change under way (config pushes name none)
}

func newFanoutRun(cfg FanoutConfig) *fanoutRun {
	r := &fanoutRun{
		cfg:    cfg,
		acks:   make([][]ack, cfg.Subs),
		counts: make([]atomic.Int64, cfg.Changes+1),
		done:   make([]chan struct{}, cfg.Changes+1),
		start:  make([]time.Time, cfg.Changes+1),
		sent:   make([]time.Time, cfg.Changes+1),
	}
	for i := range r.done {
		r.done[i] = make(chan struct{})
	}
	return r
}

// changePort encodes change i in the registered instance's port.
func changePort(i int) int { return 1000 + i }

// onPush records subscriber sub's ack; it runs on sub's reader goroutine.
func (r *fanoutRun) onPush(sub int, p Push) {
	i := p.FirstPort - changePort(0)
	if p.Config {
		i = int(r.cur.Load())
	}
	if i < 1 || i > r.cfg.Changes {
		r.other.Add(1)
		return
	}
	r.acks[sub] = append(r.acks[sub], ack{i, p.AckedAt})
	if r.counts[i].Add(1) == int64(r.cfg.Subs) {
		close(r.done[i])
	}
}

// collect turns the recorded acks into the result; start is when the
// first change was sent.
func (r *fanoutRun) collect(start time.Time, res *FanoutResult) {
	var lat, fromSend []time.Duration
	var last time.Time
	for _, acks := range r.acks {
		for _, a := range acks {
			if r.sent[a.change].IsZero() {
				continue // its register never returned
			}
			d := a.at.Sub(r.sent[a.change])
			if d < 0 {
				d = 0
				res.NegativeClamped++
			}
			lat = append(lat, d)
			fromSend = append(fromSend, a.at.Sub(r.start[a.change]))
			if a.at.After(last) {
				last = a.at
			}
		}
	}
	res.Delivered = int64(len(lat))
	res.FromSend = summarize(fromSend)
	res.DeliveredFinal = r.counts[r.cfg.Changes].Load()
	res.Unmatched = r.other.Load()
	res.Latency = summarize(lat)
	res.Expected = int64(r.cfg.Subs) * int64(r.cfg.Changes)
	if r.cfg.BackToBack {
		res.Expected = int64(r.cfg.Subs) // superseded revisions may be skipped
	}
	if !last.IsZero() {
		res.RunSeconds = last.Sub(start).Seconds()
		res.PushesPerSecond = round1(float64(res.Delivered) / res.RunSeconds)
	}
}
