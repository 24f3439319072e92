package loadgen

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPU is the processor time Herald and the load generator used during a
// measured phase, in seconds. On a machine with few cores they compete:
// this says which side the time went to.
type CPU struct {
	WallSeconds    float64 `json:"wallSeconds"`
	HeraldSeconds  float64 `json:"heraldSeconds"`
	LoadgenSeconds float64 `json:"loadgenSeconds"`
}

// cpuMeter measures CPU from start to stop.
type cpuMeter struct {
	pid             int
	wall            time.Time
	herald, loadgen float64
}

// startCPU begins measuring Herald (pid) and this process.
func startCPU(pid int) *cpuMeter {
	return &cpuMeter{pid: pid, wall: time.Now(), herald: procCPU(pid), loadgen: selfCPU()}
}

// stop returns the time used since start.
func (m *cpuMeter) stop() CPU {
	r := func(v float64) float64 { return math.Round(v*100) / 100 }
	return CPU{
		WallSeconds:    r(time.Since(m.wall).Seconds()),
		HeraldSeconds:  r(procCPU(m.pid) - m.herald),
		LoadgenSeconds: r(selfCPU() - m.loadgen),
	}
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux platform Go supports.
const clockTicks = 100

// procCPU is user+system seconds of pid from /proc/<pid>/stat, or 0.
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command: state is field 3, utime 14, stime 15.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / clockTicks
}

// selfCPU is this process's user+system seconds.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// micros is seconds per event in microseconds, rounded to 0.1; 0 with no
// events.
func micros(seconds float64, events int64) float64 {
	if events == 0 {
		return 0
	}
	return round1(seconds * 1e6 / float64(events))
}
