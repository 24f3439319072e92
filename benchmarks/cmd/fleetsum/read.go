package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// line is the part of a fleet.sh line fleetsum reads: a floor run (the
// tcpfloor server's result) or a loadgen report, both tagged with their
// variant and, from fleet.sh since 2026-12-07, their round.
type line struct {
	Variant  string `json:"variant"`
	Scenario string `json:"scenario"`
	Round    int    `json:"round"`
	OK       *bool  `json:"ok"`
	// floor
	Conns            int     `json:"conns"`
	CPUPerPush       float64 `json:"cpuMicrosPerPush"`
	RoundP99         float64 `json:"roundP99Ms"`
	ClientCPUPerPush float64 `json:"clientCPUMicrosPerPush"` // since 2026-12-08
	// loadgen
	Fanout *struct {
		Subs      int    `json:"subs"`
		Mode      string `json:"mode"`
		Delivered int64  `json:"delivered"`
		Latency   struct {
			P99 float64 `json:"p99Ms"`
		} `json:"changeToAck"`
		CPUPerPush float64 `json:"heraldCPUPerPushUs"`
		CPU        struct {
			Loadgen float64 `json:"loadgenSeconds"`
		} `json:"cpu"`
	} `json:"fanout"`
	Register *struct {
		OpsPerSecond float64 `json:"opsPerSecond"`
		CPUPerOp     float64 `json:"heraldCPUPerOpUs"`
	} `json:"register"`
	Idle *struct {
		Conns      int     `json:"conns"`
		KiBPerConn float64 `json:"kibPerConn"`
	} `json:"idle"`
}

// run is one measured figure of one variant in one round.
type run struct {
	workload string  // e.g. "fan-out 10000 paced"
	cpu      float64 // µs of Herald CPU per push or per call; 0 for idle
	client   float64 // fan-out: µs of the load generator's CPU per push
	p99      float64 // fan-out change-to-ack p99, ms
	rate     float64 // register ops/s
	kib      float64 // idle KiB per connection
	failed   bool
}

// floor is the raw TCP floor of one round at one connection count: its
// server's CPU per push, its round's p99, its client's CPU per push (0
// in files written before fleet.sh recorded it).
type floor struct {
	cpu, p99, client float64
}

// round is what one round of fleet.sh measured.
type round struct {
	floors map[int]floor             // by connections
	runs   map[string]map[string]run // by variant, then workload
}

// readRounds groups the lines by round: by their round field, or, in
// files written before fleet.sh tagged lines, by fleet.sh's order (each
// round starts with the floor at 5,000 connections).
func readRounds(r io.Reader) ([]*round, error) {
	var rounds []*round
	byNumber := map[int]*round{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		var rd *round
		switch {
		case l.Round > 0:
			if rd = byNumber[l.Round]; rd == nil {
				rd = newRound()
				byNumber[l.Round] = rd
				rounds = append(rounds, rd)
			}
		case l.Scenario == "floor" && l.Conns == 5000 || len(rounds) == 0:
			rd = newRound()
			rounds = append(rounds, rd)
		default:
			rd = rounds[len(rounds)-1]
		}
		rd.add(l)
	}
	return rounds, sc.Err()
}

func newRound() *round {
	return &round{floors: map[int]floor{}, runs: map[string]map[string]run{}}
}

func (rd *round) add(l line) {
	if l.Scenario == "floor" {
		rd.floors[l.Conns] = floor{cpu: l.CPUPerPush, p99: l.RoundP99, client: l.ClientCPUPerPush}
		return
	}
	var r run
	switch {
	case l.Fanout != nil:
		f := l.Fanout
		r = run{workload: fmt.Sprintf("fan-out %d %s", f.Subs, f.Mode), cpu: f.CPUPerPush, p99: f.Latency.P99}
		if f.Delivered > 0 {
			r.client = f.CPU.Loadgen / float64(f.Delivered) * 1e6
		}
	case l.Register != nil:
		r = run{workload: "register", cpu: l.Register.CPUPerOp, rate: l.Register.OpsPerSecond}
	case l.Idle != nil:
		r = run{workload: fmt.Sprintf("idle %d", l.Idle.Conns), kib: l.Idle.KiBPerConn}
	default:
		r = run{workload: l.Scenario}
	}
	r.failed = l.OK != nil && !*l.OK
	if rd.runs[l.Variant] == nil {
		rd.runs[l.Variant] = map[string]run{}
	}
	rd.runs[l.Variant][r.workload] = r
}
