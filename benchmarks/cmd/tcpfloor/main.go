// Command tcpfloor measures the raw TCP floor of a push: the server writes
// one small message to each of N loopback connections and reads one small
// acknowledgement back from each, with a goroutine per connection reading,
// and no HTTP/2, gRPC or encoding. What a push costs the server here is
// what the kernel and Go's netpoller cost; Herald's CPU per push is
// stated as a multiple of it (benchmarks/RESULTS.md).
//
//	tcpfloor -role server -conns 10000 -rounds 20   # prints its address, then one JSON line
//	tcpfloor -role client -addr 127.0.0.1:PORT -conns 10000
//
// Run the two as separate processes (pinned apart with taskset); the
// server reports its own CPU (utime+stime from getrusage) from the first
// push to the last acknowledgement, divided by the pushes acknowledged,
// and each round's time from its first write to its last ack. The client
// reports, in one JSON line of its own, its CPU from its last dial to the
// server's close, divided by the pushes it read: what a client's side of
// a push costs at the floor, against which a load generator's is stated.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	role := flag.String("role", "server", "server or client")
	addr := flag.String("addr", "127.0.0.1:0", "server: listen address; client: server address")
	conns := flag.Int("conns", 5000, "connections")
	rounds := flag.Int("rounds", 20, "server: pushes per connection")
	msg := flag.Int("msg", 512, "push size, bytes")
	ackSize := flag.Int("ack", 64, "acknowledgement size, bytes")
	timeout := flag.Duration("timeout", 5*time.Minute, "bound on the whole run")
	flag.Parse()
	time.AfterFunc(*timeout, func() { fmt.Fprintln(os.Stderr, "tcpfloor: timed out"); os.Exit(1) })
	var err error
	if *role == "client" {
		err = client(*addr, *conns, *msg, *ackSize)
	} else {
		err = server(*addr, *conns, *rounds, *msg, *ackSize)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tcpfloor:", err)
		os.Exit(1)
	}
}

// Result is the server's one JSON line.
type Result struct {
	Conns       int     `json:"conns"`
	Rounds      int     `json:"rounds"`
	Pushes      int     `json:"pushes"`
	CPUSeconds  float64 `json:"cpuSeconds"`
	CPUPerPush  float64 `json:"cpuMicrosPerPush"`
	WallSeconds float64 `json:"wallSeconds"`
	PushesPerS  float64 `json:"pushesPerSecond"`
	RoundP50ms  float64 `json:"roundP50Ms"` // time to push to every connection and read every ack
	RoundP99ms  float64 `json:"roundP99Ms"`
	RoundMaxms  float64 `json:"roundMaxMs"`
}

func server(addr string, n, rounds, msgSize, ackSize int) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Println(ln.Addr().String())
	conns := make([]net.Conn, 0, n)
	for len(conns) < n {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		conns = append(conns, c)
	}
	acks := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() { // the reader goroutine of each connection
			defer wg.Done()
			buf := make([]byte, ackSize)
			for {
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
				acks <- struct{}{}
			}
		}()
	}
	push := make([]byte, msgSize)
	times := make([]float64, 0, rounds)
	cpu0, wall0 := cpuSeconds(), time.Now()
	for range rounds {
		start := time.Now()
		for _, c := range conns {
			if _, err := c.Write(push); err != nil {
				return err
			}
		}
		for range conns {
			<-acks
		}
		times = append(times, float64(time.Since(start).Microseconds())/1000)
	}
	cpu, wall := cpuSeconds()-cpu0, time.Since(wall0).Seconds()
	for _, c := range conns {
		c.Close()
	}
	wg.Wait()
	sort.Float64s(times)
	pushes := n * rounds
	r := Result{Conns: n, Rounds: rounds, Pushes: pushes, CPUSeconds: cpu, CPUPerPush: cpu / float64(pushes) * 1e6,
		WallSeconds: wall, PushesPerS: float64(pushes) / wall,
		RoundP50ms: quantile(times, 0.5), RoundP99ms: quantile(times, 0.99), RoundMaxms: times[len(times)-1]}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// ClientResult is the client's one JSON line.
type ClientResult struct {
	Role       string  `json:"role"` // "client"
	Conns      int     `json:"conns"`
	Pushes     int64   `json:"pushes"`
	CPUSeconds float64 `json:"cpuSeconds"`
	CPUPerPush float64 `json:"cpuMicrosPerPush"`
}

func client(addr string, n, msgSize, ackSize int) error {
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		conns = append(conns, c)
	}
	var wg sync.WaitGroup
	var pushes atomic.Int64
	errs := make(chan error, n)
	cpu0 := cpuSeconds() // the server pushes once every connection is in
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			buf, ack := make([]byte, msgSize), make([]byte, ackSize)
			for {
				if _, err := io.ReadFull(c, buf); err != nil {
					return // the server closed: done
				}
				pushes.Add(1)
				if _, err := c.Write(ack); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	r := ClientResult{Role: "client", Conns: n, Pushes: pushes.Load(), CPUSeconds: cpuSeconds() - cpu0}
	if r.Pushes > 0 {
		r.CPUPerPush = r.CPUSeconds / float64(r.Pushes) * 1e6
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// cpuSeconds is this process's user+system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func quantile(sorted []float64, q float64) float64 {
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}
