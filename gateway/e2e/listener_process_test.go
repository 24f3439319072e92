package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/clients"
	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"
)

// A listener process is this test binary re-run with listenerProcessEnv
// set: it starts N nacos-sdk-go config clients listening to one key and
// prints one JSON line per listener call, until its stdin closes.
const listenerProcessEnv = "HERALD_E2E_LISTENER_PROCESS"

// listenerEvent is one line a listener process prints.
type listenerEvent struct {
	Client  int    `json:"client"`
	Content string `json:"content"`
}

// runListenerProcess is the listener process's main.
func runListenerProcess() int {
	var spec struct {
		Port          uint64
		N             int
		Group, DataID string
		Dir           string
	}
	if err := json.Unmarshal([]byte(os.Getenv(listenerProcessEnv)), &spec); err != nil {
		fmt.Fprintln(os.Stderr, "listener process:", err)
		return 2
	}
	dir := spec.Dir
	var mu sync.Mutex
	out := json.NewEncoder(os.Stdout)
	for i := range spec.N {
		cc := constant.ClientConfig{TimeoutMs: 5000, NotLoadCacheAtStart: true, LogLevel: "error",
			CacheDir: dir + "/" + strconv.Itoa(i), LogDir: dir + "/" + strconv.Itoa(i)}
		sc := []constant.ServerConfig{{IpAddr: "127.0.0.1", Port: spec.Port, GrpcPort: spec.Port}}
		c, err := clients.NewConfigClient(vo.NacosClientParam{ClientConfig: &cc, ServerConfigs: sc})
		if err != nil {
			fmt.Fprintln(os.Stderr, "new config client:", err)
			return 1
		}
		defer c.CloseClient()
		err = c.ListenConfig(vo.ConfigParam{DataId: spec.DataID, Group: spec.Group, OnChange: func(_, _, _, data string) {
			mu.Lock()
			defer mu.Unlock()
			_ = out.Encode(listenerEvent{Client: i, Content: data})
		}})
		if err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
			return 1
		}
	}
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
	return 0
}

// listenerFleet is the parent's view of its listener processes.
type listenerFleet struct {
	mu      sync.Mutex
	changed chan struct{}
	seen    map[string][]string // "proc/client" -> contents in order
	total   int
}

// startListenerProcesses starts procs listener processes of each clients.
func startListenerProcesses(t *testing.T, port uint64, procs, each int, group, dataID string) *listenerFleet {
	t.Helper()
	f := &listenerFleet{changed: make(chan struct{}, 1), seen: map[string][]string{}, total: procs * each}
	for p := range procs {
		spec, _ := json.Marshal(map[string]any{"Port": port, "N": each, "Group": group, "DataID": dataID,
			"Dir": t.TempDir()})
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), listenerProcessEnv+"="+string(spec))
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatalf("start listener process: %v", err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(stdout)
			sc.Buffer(make([]byte, 64<<10), 16<<20)
			for sc.Scan() {
				var e listenerEvent
				if json.Unmarshal(sc.Bytes(), &e) == nil {
					f.add(fmt.Sprintf("%d/%d", p, e.Client), e.Content)
				}
			}
		}()
		t.Cleanup(func() {
			stdin.Close()
			timer := time.AfterFunc(10*time.Second, func() { _ = cmd.Process.Kill() })
			defer timer.Stop()
			<-done
			_ = cmd.Wait()
		})
	}
	return f
}

func (f *listenerFleet) add(who, content string) {
	f.mu.Lock()
	f.seen[who] = append(f.seen[who], content)
	f.mu.Unlock()
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

// waitAll waits until every listener's last call was given want.
func (f *listenerFleet) waitAll(t *testing.T, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		n := 0
		for _, s := range f.seen {
			if len(s) > 0 && s[len(s)-1] == want {
				n++
			}
		}
		f.mu.Unlock()
		if n == f.total {
			return
		}
		select {
		case <-f.changed:
		case <-deadline.C:
			f.mu.Lock()
			var behind []string
			for who, s := range f.seen {
				if len(s) == 0 || s[len(s)-1] != want {
					behind = append(behind, fmt.Sprintf("%s:%q", who, s))
				}
			}
			f.mu.Unlock()
			t.Fatalf("timed out after %v: %d of %d listeners were given %q; behind: %v", timeout, n, f.total, abbrev(want), behind)
		}
	}
}

// seenTwice lists the listeners given content more than once.
func (f *listenerFleet) seenTwice(content string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for who, s := range f.seen {
		n := 0
		for _, c := range s {
			if c == content {
				n++
			}
		}
		if n > 1 {
			out = append(out, who)
		}
	}
	return out
}
