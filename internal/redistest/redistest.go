// Package redistest runs a real redis-server for tests: one process per
// test, on a free loopback port, with its working directory in the test's
// temp dir and no persistence. Tests that need Redis call Start and get a
// server that is stopped when the test ends; tests that need a Redis
// Cluster call StartCluster (masters with replicas, each its own process)
// and can kill a master, await its replica's promotion and move slots.
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// binary is the server the helper runs; CI installs it with apt-get.
const binary = "redis-server"

// startTimeout bounds how long a started server may take to answer PING.
const startTimeout = 10 * time.Second

// Server is one redis-server process owned by a test. Its methods are safe
// for concurrent use.
type Server struct {
	t     testing.TB
	bin   string
	dir   string
	port  int
	bus   int      // cluster bus port (--cluster-port), 0 for none
	extra []string // more redis-server arguments, kept across Restart

	// mu protects proc.
	mu   sync.Mutex
	proc *process // nil while stopped
}

// process is one run of the server binary; done closes when it exits.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs redis-server on a free loopback port in t.TempDir(), waits
// until it answers PING and stops it when the test ends. It fails the test
// (t.Fatal) if the binary is missing or the server does not come up.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t)
}

// StartWith is Start with more redis-server arguments, such as
// "--cluster-enabled", "yes"; they are passed again on Restart.
func StartWith(t testing.TB, args ...string) *Server {
	t.Helper()
	return startServer(t, false, args)
}

// startServer starts one server; withBus gives it a free cluster bus port
// too (--cluster-port), rather than Redis's port+10000, which may be taken
// or out of range.
func startServer(t testing.TB, withBus bool, args []string) *Server {
	t.Helper()
	bin, err := exec.LookPath(binary)
	if err != nil {
		t.Fatalf("redistest: %s not found in PATH (install it: apt-get install -y redis-server): %v", binary, err)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir(), extra: args}
	var lastErr error
	// A free port can be taken between probing and binding; try a few.
	for range 5 {
		if s.port, err = freePort(); err != nil {
			t.Fatalf("redistest: %v", err)
		}
		if withBus {
			if s.bus, err = freePort(); err != nil {
				t.Fatalf("redistest: %v", err)
			}
		}
		if lastErr = s.start(); lastErr == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("redistest: %v", lastErr)
	return nil
}

// Addr returns the server's "127.0.0.1:<port>"; it stays the same across
// Restart.
func (s *Server) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
}

// Stop kills the server and waits for it to exit. Stopping a stopped
// server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	_ = s.proc.cmd.Process.Kill() // fails only if it already exited
	<-s.proc.done
	s.proc = nil
}

// Restart starts the server again on the same port (stopping it first if
// it runs), for outage tests. The data is gone: the server keeps nothing
// on disk. It fails the test if the server does not come back.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatalf("redistest: restart: %v", err)
	}
}

// start runs the binary on s.port and waits until it answers PING.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	logPath := filepath.Join(s.dir, "redis-"+strconv.Itoa(s.port)+".log")
	args := []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--dir", s.dir, "--logfile", logPath,
		"--save", "", "--appendonly", "no", "--daemonize", "no"}
	if s.bus != 0 {
		args = append(args, "--cluster-port", strconv.Itoa(s.bus))
	}
	cmd := exec.Command(s.bin, append(args, s.extra...)...)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	if err := waitReady(s.Addr(), p.done); err != nil {
		_ = cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("redis-server on port %d: %w; log:\n%s", s.port, err, readLog(logPath))
	}
	s.proc = p
	return nil
}

// waitReady polls addr with PING until it answers PONG, the process exits
// (done closes) or startTimeout passes.
func waitReady(addr string, done <-chan struct{}) error {
	deadline := time.Now().Add(startTimeout)
	for {
		err := ping(addr)
		if err == nil {
			return nil
		}
		select {
		case <-done:
			return errors.New("exited before answering PING")
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no PONG within %v: %w", startTimeout, err)
		}
	}
}

// ping sends one PING in the RESP protocol and expects +PONG.
func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// readLog returns the server's log for failure messages.
func readLog(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	return string(b)
}
