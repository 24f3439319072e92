package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// ProcMem is a process's memory as /proc/<pid>/status reports it.
type ProcMem struct {
	RSSKiB  int64 `json:"rssKiB"`  // VmRSS: resident set, the figure that counts
	AnonKiB int64 `json:"anonKiB"` // RssAnon: heap, stacks and other anonymous memory
	HWMKiB  int64 `json:"hwmKiB"`  // VmHWM: peak resident set so far
	Threads int64 `json:"threads"` // OS threads
}

// ReadProcMem reads the memory figures of process pid.
func ReadProcMem(pid int) (ProcMem, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcMem{}, fmt.Errorf("read status of pid %d: %w", pid, err)
	}
	var m ProcMem
	fields := map[string]*int64{"VmRSS": &m.RSSKiB, "RssAnon": &m.AnonKiB, "VmHWM": &m.HWMKiB, "Threads": &m.Threads}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if p := fields[name]; ok && p != nil {
			v, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
			*p, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if m.RSSKiB == 0 {
		return m, fmt.Errorf("pid %d: no VmRSS in /proc status", pid)
	}
	return m, nil
}

// stableMem reads pid's memory n times, every interval, and returns the
// last reading: the first ones may still see pages being touched or
// returned after a burst of work.
func stableMem(ctx context.Context, pid, n int, interval time.Duration) (ProcMem, error) {
	var m ProcMem
	for i := range n {
		if i > 0 {
			if err := sleep(ctx, interval); err != nil {
				return m, err
			}
		}
		var err error
		if m, err = ReadProcMem(pid); err != nil {
			return m, err
		}
	}
	return m, nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Machine describes the host a run was measured on.
type Machine struct {
	NProc       int    `json:"nproc"`
	MemTotalKiB int64  `json:"memTotalKiB"`
	CPU         string `json:"cpu"`
	GoVersion   string `json:"goVersion"`
	Kernel      string `json:"kernel"`
	OSArch      string `json:"osArch"`
	LoadAvg     string `json:"loadAvg"` // /proc/loadavg when the run started: the machine is shared
}

// DescribeMachine gathers the machine facts; unreadable ones stay empty.
func DescribeMachine() Machine {
	m := Machine{
		NProc:     runtime.NumCPU(),
		GoVersion: runtime.Version(),
		OSArch:    runtime.GOOS + "/" + runtime.GOARCH,
		Kernel:    readTrim("/proc/sys/kernel/osrelease"),
		LoadAvg:   readTrim("/proc/loadavg"),
	}
	mem := strings.TrimSuffix(procValue("/proc/meminfo", "MemTotal"), " kB")
	m.MemTotalKiB, _ = strconv.ParseInt(mem, 10, 64)
	m.CPU = procValue("/proc/cpuinfo", "model name")
	return m
}

// LoadAvg returns /proc/loadavg.
func LoadAvg() string { return readTrim("/proc/loadavg") }

func readTrim(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

// procValue returns the value of the first "name: value" line of path,
// or "" when there is none.
func procValue(path, name string) string {
	b, _ := os.ReadFile(path)
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
