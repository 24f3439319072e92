package loadgen

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Config is one load generator run: a scenario against a fresh Herald.
type Config struct {
	Scenario   string   // idle, fanout, register, chain or longpoll
	HeraldBin  string   // prebuilt Herald; "" builds one from RepoRoot
	RepoRoot   string   // the Herald module, for building and the commit id
	HeraldArgs []string // extra Herald flags, after the load generator's own
	HeraldEnv  []string // extra Herald environment (NAME=value), e.g. GOGC=50
	Commit     string   // labels the report; "" asks git in RepoRoot
	Client     string   // the load connections' client: ClientGRPC ("" too) or ClientLean
	Timeout    time.Duration
	Idle       IdleConfig
	Fanout     FanoutConfig
	Register   RegisterConfig
	Chain      ChainConfig
	LongPoll   LongPollConfig
	Drain      DrainConfig
	Logf       Logf
}

// Report is everything one run measured, with what is needed to repeat it.
type Report struct {
	Scenario string          `json:"scenario"`
	OK       bool            `json:"ok"`
	Error    string          `json:"error,omitempty"`
	Started  time.Time       `json:"started"`
	Command  []string        `json:"command"`
	Commit   string          `json:"commit,omitempty"`
	Client   string          `json:"client"`
	Herald   HeraldInfo      `json:"herald"`
	Machine  Machine         `json:"machine"`
	LoadEnd  string          `json:"loadAvgEnd"`
	Idle     *IdleResult     `json:"idle,omitempty"`
	Fanout   *FanoutResult   `json:"fanout,omitempty"`
	Register *RegisterResult `json:"register,omitempty"`
	Chain    *ChainResult    `json:"chain,omitempty"`
	LongPoll *LongPollResult `json:"longpoll,omitempty"`
	Drain    *DrainResult    `json:"drain,omitempty"`
	// Edge is how the edge Herald was run (chain only; Herald is the core).
	Edge *HeraldInfo `json:"edge,omitempty"`
}

// HeraldInfo is how Herald was run.
type HeraldInfo struct {
	Bin  string   `json:"bin"`
	Args []string `json:"args"`
	Env  []string `json:"env,omitempty"`
	Log  string   `json:"log,omitempty"` // tail of its log when the run failed
}

// maxTimeout bounds a whole run whatever the flags say.
const maxTimeout = time.Hour

// Validate checks the sizes of the chosen scenario.
func (c *Config) Validate() error {
	switch {
	case c.Client != "" && c.Client != ClientGRPC && c.Client != ClientLean:
		return fmt.Errorf("client must be %s or %s, got %q", ClientGRPC, ClientLean, c.Client)
	case c.Timeout <= 0 || c.Timeout > maxTimeout:
		return fmt.Errorf("timeout must be within (0, %s], got %s", maxTimeout, c.Timeout)
	case c.Scenario == "idle" && (c.Idle.Conns < 1 || c.Idle.Services < 1 || c.Idle.Samples < 1):
		return errors.New("idle: -conns, services and samples must be at least 1")
	case c.Scenario == "fanout" && (c.Fanout.Subs < 1 || c.Fanout.Changes < 1 || c.Fanout.ChangeTimeout <= 0):
		return errors.New("fanout: -subs, -changes and -change-timeout must be positive")
	case c.Scenario == "fanout" && c.Fanout.Kind != "" && c.Fanout.Kind != KindNaming && c.Fanout.Kind != KindConfig:
		return fmt.Errorf("fanout: -kind must be naming or config, got %q", c.Fanout.Kind)
	case c.Scenario == "fanout" && c.Fanout.Kind == KindConfig && c.Fanout.BackToBack:
		return errors.New("fanout: -kind config is paced only (config pushes name no content)")
	case c.Scenario == "register" && (c.Register.Conns < 1 || (c.Register.Duration <= 0 && c.Register.Count <= 0)):
		return errors.New("register: -conns must be positive and one of -duration, -count set")
	case c.Scenario == "register" && c.Register.Op != "" && c.Register.Op != OpRegister && c.Register.Op != OpConfigQuery:
		return fmt.Errorf("register: -op must be register or config-query, got %q", c.Register.Op)
	case c.Scenario == "chain" && (c.Chain.Subs < 1 || c.Chain.Services < 1 || c.Chain.Changes < 1 || c.Chain.ChangeTimeout <= 0):
		return errors.New("chain: -subs, -services, -changes and -change-timeout must be positive")
	case c.Scenario == "longpoll":
		return c.LongPoll.validate()
	case c.Scenario == "drain" && (c.Drain.Conns < 1 || c.Drain.Services < 1 || c.Drain.Concurrency < 1):
		return errors.New("drain: -conns, -services and -concurrency must be positive")
	case c.Scenario != "idle" && c.Scenario != "fanout" && c.Scenario != "register" && c.Scenario != "chain" && c.Scenario != "drain":
		return fmt.Errorf("unknown scenario %q (want idle, fanout, register, chain, longpoll or drain)", c.Scenario)
	}
	return nil
}

// Run builds Herald if needed, starts it, runs the scenario and stops
// Herald, within cfg.Timeout. The report says whether the run succeeded.
func Run(ctx context.Context, cfg Config) *Report {
	rep := &Report{Scenario: cfg.Scenario, Started: time.Now().UTC().Truncate(time.Second),
		Command: os.Args, Machine: DescribeMachine(), Commit: cfg.Commit, Client: cmp.Or(cfg.Client, ClientGRPC)}
	if rep.Commit == "" {
		rep.Commit = gitCommit(cfg.RepoRoot)
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	err := run(ctx, cfg, rep)
	rep.LoadEnd = LoadAvg()
	rep.OK = err == nil
	if err != nil {
		rep.Error = err.Error()
	}
	return rep
}

func run(ctx context.Context, cfg Config, rep *Report) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	ctx = withClient(ctx, cfg.Client)
	ctx, cancel := context.WithTimeoutCause(ctx, cfg.Timeout, fmt.Errorf("run timeout (%s) reached", cfg.Timeout))
	defer cancel()
	dir, err := os.MkdirTemp("", "herald-loadgen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := cfg.HeraldBin
	if bin == "" {
		bin = dir + "/herald"
		cfg.Logf("building herald from %s", cfg.RepoRoot)
		if err := BuildHerald(ctx, cfg.RepoRoot, bin, false); err != nil {
			return err
		}
	}
	if cfg.Scenario == "chain" {
		return runChain(ctx, cfg, rep, bin, dir)
	}
	if cfg.Scenario == "drain" {
		return runDrainFleet(ctx, cfg, rep, bin, dir)
	}
	extra := cfg.HeraldArgs
	if cfg.Scenario == "longpoll" {
		extra = append(cfg.LongPoll.heraldArgs(), extra...)
	}
	h, err := StartHerald(ctx, bin, dir, extra, cfg.HeraldEnv)
	if h != nil {
		rep.Herald = HeraldInfo{Bin: bin, Args: h.Args, Env: h.Env}
	}
	if err != nil {
		return err
	}
	defer h.Stop()
	cfg.Logf("herald pid %d: %s", h.PID(), strings.Join(h.Args, " "))
	err = runScenario(ctx, h, cfg, rep)
	if aliveErr := h.Alive(); aliveErr != nil {
		err = errors.Join(err, aliveErr)
	}
	if err != nil {
		rep.Herald.Log = h.LogTail(20)
	}
	return err
}

// runChain starts a core and an edge Herald and runs the chain scenario.
func runChain(ctx context.Context, cfg Config, rep *Report, bin, dir string) error {
	core, edge, err := StartChain(ctx, bin, dir, cfg.HeraldArgs, cfg.HeraldEnv)
	for _, h := range []*Herald{edge, core} {
		if h != nil {
			defer h.Stop()
		}
	}
	if core != nil {
		rep.Herald = HeraldInfo{Bin: bin, Args: core.Args, Env: core.Env}
	}
	if edge != nil {
		rep.Edge = &HeraldInfo{Bin: bin, Args: edge.Args, Env: edge.Env}
	}
	if err == nil {
		cfg.Logf("core pid %d, edge pid %d", core.PID(), edge.PID())
		rep.Chain, err = RunChain(ctx, core, edge, cfg.Chain, cfg.Logf)
		err = errors.Join(err, core.Alive(), edge.Alive())
	}
	if err != nil && edge != nil {
		rep.Herald.Log = "core:\n" + core.LogTail(10) + "\nedge:\n" + edge.LogTail(10)
	}
	return err
}

// runDrainFleet starts a core and two edges and runs the drain scenario.
func runDrainFleet(ctx context.Context, cfg Config, rep *Report, bin, dir string) error {
	hs, err := StartDrainFleet(ctx, bin, dir, cfg.Drain.ProfileDir, cfg.HeraldArgs, cfg.HeraldEnv)
	for _, h := range hs {
		if h != nil {
			defer h.Stop()
		}
	}
	if len(hs) > 1 && hs[1] != nil {
		rep.Herald = HeraldInfo{Bin: bin, Args: hs[1].Args, Env: hs[1].Env} // edge A, the one drained
	}
	if err == nil {
		cfg.Logf("core pid %d, edge A pid %d, edge B pid %d", hs[0].PID(), hs[1].PID(), hs[2].PID())
		rep.Drain, err = RunDrain(ctx, hs[0], hs[1], hs[2], cfg.Drain, cfg.Logf)
		err = errors.Join(err, hs[0].Alive(), hs[2].Alive())
	}
	if err != nil && len(hs) == 3 && hs[2] != nil {
		rep.Herald.Log = "core:\n" + hs[0].LogTail(10) + "\nedge A:\n" + hs[1].LogTail(10) + "\nedge B:\n" + hs[2].LogTail(10)
	}
	return err
}

func runScenario(ctx context.Context, h *Herald, cfg Config, rep *Report) error {
	var err error
	switch cfg.Scenario {
	case "idle":
		rep.Idle, err = RunIdle(ctx, h, cfg.Idle, cfg.Logf)
	case "fanout":
		rep.Fanout, err = RunFanout(ctx, h, cfg.Fanout, cfg.Logf)
	case "register":
		rep.Register, err = RunRegister(ctx, h, cfg.Register, cfg.Logf)
	case "longpoll":
		rep.LongPoll, err = RunLongPolls(ctx, h, cfg.LongPoll, cfg.Logf)
	}
	return err
}

// gitCommit is the short commit of repoRoot, with "-dirty" when Herald's
// source (anything outside benchmarks/) has uncommitted changes; "" when
// git cannot tell.
func gitCommit(repoRoot string) string {
	if repoRoot == "" {
		return ""
	}
	out, err := exec.Command("git", "-C", repoRoot, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	commit := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", repoRoot, "status", "--porcelain", "--", ".", ":!benchmarks").Output(); err == nil && len(st) > 0 {
		commit += "-dirty"
	}
	return commit
}
