package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Herald is a Herald daemon running as a child process on free loopback
// ports. Stop it with Stop, always.
type Herald struct {
	Bin       string
	Args      []string // every flag it was started with
	Env       []string // environment added to the load generator's
	GRPCAddr  string
	HTTPAddr  string // the Nacos 1.x HTTP API
	AdminAddr string
	LogPath   string // its stdout and stderr

	cmd    *exec.Cmd
	log    *os.File
	exited chan struct{} // closed when the process has been reaped
	once   sync.Once     // runs the stop sequence
}

// Readiness and shutdown bounds.
const (
	readyTimeout = 30 * time.Second
	stopTimeout  = 20 * time.Second
)

// BuildHerald compiles ./gateway/cmd/herald of the module at repoRoot into
// out. race builds it with the race detector (the smoke test does, to reuse
// the packages `go test -race` has already compiled).
func BuildHerald(ctx context.Context, repoRoot, out string, race bool) error {
	args := []string{"build", "-o", out}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "./gateway/cmd/herald")...)
	cmd.Dir = repoRoot
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build herald in %s: %w\n%s", repoRoot, err, b)
	}
	return nil
}

// FindRepoRoot walks up from dir to the directory holding go.mod.
func FindRepoRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: pass -repo")
		}
		dir = parent
	}
}

// StartHerald runs bin on free loopback ports with warn-level logs and no
// merge window, then extra (later flags win), logging into dir, and waits
// until GET /healthz answers. GODEBUG=gctrace=1 makes the Go runtime log
// each collection, so heap figures can be read without touching Herald;
// env (NAME=value) is added after it, e.g. GOGC=50. When Herald started
// but never became ready, it is returned stopped, with the error.
func StartHerald(ctx context.Context, bin, dir string, extra, env []string) (*Herald, error) {
	addrs, err := freeAddrs(3)
	if err != nil {
		return nil, err
	}
	grpcAddr, adminAddr, httpAddr := addrs[0], addrs[1], addrs[2]
	args := append([]string{
		"-grpc.addr", grpcAddr, "-admin.addr", adminAddr, "-http.addr", httpAddr,
		"-log.level", "warn", "-fanout.mergeWindow", "0",
		// One process on one IP opens thousands of connections and sends
		// as fast as it can: the abuse limits would measure themselves.
		"-limits.maxConnectionsPerIP", "0", "-limits.requestsPerSecond", "0",
		// Its own data directory: never the working directory's, which
		// another Herald may hold (the directory is locked).
		"-upstream.embedded.dataDir", filepath.Join(dir, "data"),
	}, extra...)
	h := &Herald{Bin: bin, Args: args, Env: env, GRPCAddr: grpcAddr, HTTPAddr: httpAddr, AdminAddr: adminAddr,
		LogPath: filepath.Join(dir, "herald.log"), exited: make(chan struct{})}
	if h.log, err = os.Create(h.LogPath); err != nil {
		return nil, err
	}
	h.cmd = exec.Command(bin, args...)
	h.cmd.Stdout, h.cmd.Stderr = h.log, h.log
	h.cmd.Env = append(append(os.Environ(), "GODEBUG=gctrace=1"), env...)
	// Herald must not outlive the load generator, even a killed one.
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := h.cmd.Start(); err != nil {
		h.log.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		_ = h.cmd.Wait() // the exit status of a stopped Herald is not a result
		close(h.exited)
	}()
	if err := h.waitReady(ctx); err != nil {
		h.Stop()
		return h, err // stopped, but its flags and log are worth reporting
	}
	return h, nil
}

// freeAddrs returns n loopback addresses with ports free at the moment,
// all different: each is held until all are found (one after another,
// a port let go could be handed out again at once).
func freeAddrs(n int) ([]string, error) {
	var out []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		defer ln.Close()
		out = append(out, ln.Addr().String())
	}
	return out, nil
}

// waitReady polls GET /healthz until it answers 200.
func (h *Herald) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		if err := h.Alive(); err != nil {
			return err
		}
		if h.get(ctx, "/healthz", nil) == nil {
			return nil
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return fmt.Errorf("herald not ready after %s: %w\n%s", readyTimeout, err, h.LogTail(20))
		}
	}
}

// Alive returns an error if the process has exited.
func (h *Herald) Alive() error {
	select {
	case <-h.exited:
		return fmt.Errorf("herald exited: %s\n%s", h.cmd.ProcessState, h.LogTail(20))
	default:
		return nil
	}
}

// PID is the process id.
func (h *Herald) PID() int { return h.cmd.Process.Pid }

// Mem reads the process's memory now.
func (h *Herald) Mem() (ProcMem, error) { return ReadProcMem(h.PID()) }

// Stop sends SIGTERM and waits for the process to exit, killing it if it
// takes longer than stopTimeout. It is safe to call more than once.
func (h *Herald) Stop() {
	h.once.Do(func() {
		_ = h.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-h.exited:
		case <-time.After(stopTimeout):
			_ = h.cmd.Process.Kill()
			<-h.exited
		}
		h.log.Close()
	})
}

// LogTail returns the last n lines of Herald's log without the runtime's
// GC trace lines.
func (h *Herald) LogTail(n int) string {
	b, _ := os.ReadFile(h.LogPath)
	var lines []string
	for line := range strings.SplitSeq(strings.TrimRight(string(b), "\n"), "\n") {
		if !strings.HasPrefix(line, "gc ") {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
