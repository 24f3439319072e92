// Command loadgen measures a Herald daemon with raw Nacos 2.x gRPC
// connections opened from this one process. It builds Herald (or takes
// -herald-bin), starts it on free loopback ports, runs one scenario,
// stops Herald, and prints a summary and one JSON line.
//
//	go run ./benchmarks/cmd/loadgen -scenario idle -conns 5000
//	go run ./benchmarks/cmd/loadgen -scenario fanout -subs 10000 -changes 20 [-back-to-back]
//	go run ./benchmarks/cmd/loadgen -scenario fanout -kind config -subs 10000 -changes 20
//	go run ./benchmarks/cmd/loadgen -scenario register -conns 20 -duration 10s
//	go run ./benchmarks/cmd/loadgen -scenario chain -subs 10000 -services 100 -changes 100
//	go run ./benchmarks/cmd/loadgen -scenario longpoll -conns 10000 [-mode conns]
//
// It exits 1 when the scenario fails (an error, a dropped connection,
// fewer acks than expected) and 2 on bad flags.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/herald-gateway/herald/benchmarks/loadgen"
)

func main() {
	os.Exit(run())
}

func run() int {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if path := os.Getenv("LOADGEN_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen: cpu profile:", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	rep := loadgen.Run(ctx, cfg)
	if err := rep.WriteSummary(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		return 1
	}
	if !rep.OK {
		return 1
	}
	return 0
}

// parseFlags turns the command line into a run configuration.
func parseFlags(args []string) (loadgen.Config, error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	var (
		scenario   = fs.String("scenario", "idle", "idle, fanout, register, chain, longpoll or drain")
		conns      = fs.Int("conns", 0, "connections: idle (default 5000), register (default 20), longpoll, drain (default 10000)")
		subs       = fs.Int("subs", 1000, "fanout, chain: subscriber connections")
		changes    = fs.Int("changes", 20, "fanout, chain: registrations to push")
		backToBack = fs.Bool("back-to-back", false, "fanout: send changes without waiting for acks")
		kind       = fs.String("kind", "naming", "fanout: naming (registrations) or config (publishes of one key to listeners)")
		changeTO   = fs.Duration("change-timeout", 5*time.Second, "fanout paced, chain: longest wait for one change's acks")
		drainTO    = fs.Duration("drain-timeout", 30*time.Second, "fanout back-to-back: longest wait for the final change's acks")
		duration   = fs.Duration("duration", 10*time.Second, "register: how long each connection loops (0: use -count)")
		count      = fs.Int("count", 0, "register: calls per connection (0: use -duration)")
		shared     = fs.Bool("shared", false, "register: every connection on one service (config-query: one key)")
		op         = fs.String("op", "register", "register: register (register/deregister) or config-query (ConfigQueryRequest)")
		direct     = fs.Bool("direct", false, "chain: subscribe on the core, not the edge (baseline)")
		services   = fs.Int("services", 100, "idle, chain: spread subscriptions over this many services; longpoll: polls over this many config keys")
		settle     = fs.Duration("settle", 30*time.Second, "idle, longpoll: wait after the last subscription (poll) before measuring (30s: every connection has answered one ClientDetectionRequest)")
		samples    = fs.Int("samples", 3, "idle, longpoll: memory readings, 1s apart; the last counts")
		mode       = fs.String("mode", "polls", "longpoll: polls (held long polls) or conns (idle kept-alive HTTP connections, the baseline)")
		holdMs     = fs.Int("hold-ms", 120000, "longpoll: Long-Pulling-Timeout sent (Herald holds it - 500 ms); must outlast opening, settling and measuring")
		concur     = fs.Int("concurrency", 200, "connections opened at once")
		profiles   = fs.String("profile-dir", "", "drain: write each Herald's CPU profile into this directory")
		timeout    = fs.Duration("timeout", 10*time.Minute, "bound on the whole run")
		bin        = fs.String("herald-bin", "", "prebuilt herald binary (default: go build ./gateway/cmd/herald)")
		heraldArgs = fs.String("herald-args", "", "extra herald flags, space-separated, e.g. \"-grpc.writeBufferSize 4096\"")
		heraldEnv  = fs.String("herald-env", "", "extra herald environment, space-separated NAME=value, e.g. \"GOGC=50\"")
		repo       = fs.String("repo", "", "herald repository root (default: found from the working directory)")
		client     = fs.String("client", loadgen.ClientGRPC, "load connections' HTTP/2 client: grpc (grpc-go) or lean (h2c: Framer and hpack, one goroutine per connection)")
		commit     = fs.String("commit", "", "label for the herald under test (default: git commit of -repo)")
	)
	if err := fs.Parse(args); err != nil {
		return loadgen.Config{}, err
	}
	if fs.NArg() > 0 {
		return loadgen.Config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	root := *repo
	if root == "" {
		var err error
		if root, err = loadgen.FindRepoRoot("."); err != nil && *bin == "" {
			return loadgen.Config{}, err
		}
	}
	cfg := loadgen.Config{
		Scenario: *scenario, HeraldBin: *bin, RepoRoot: root, Commit: *commit, Client: *client,
		HeraldArgs: strings.Fields(*heraldArgs), HeraldEnv: strings.Fields(*heraldEnv), Timeout: *timeout,
		Idle: loadgen.IdleConfig{Conns: orDefault(*conns, 5000), Services: *services, Concurrency: *concur,
			Settle: *settle, Samples: *samples, SampleEvery: time.Second},
		Fanout: loadgen.FanoutConfig{Subs: *subs, Changes: *changes, BackToBack: *backToBack,
			ChangeTimeout: *changeTO, DrainTimeout: *drainTO, Concurrency: *concur, Service: "fan", Kind: *kind},
		Register: loadgen.RegisterConfig{Conns: orDefault(*conns, 20), Duration: *duration, Count: *count,
			Shared: *shared, Concurrency: *concur, Op: *op},
		Chain: loadgen.ChainConfig{Subs: *subs, Services: *services, Changes: *changes,
			ChangeTimeout: *changeTO, Concurrency: *concur, Direct: *direct},
		Drain: loadgen.DrainConfig{Conns: orDefault(*conns, 10000), Services: *services, Concurrency: *concur, ProfileDir: *profiles},
		LongPoll: loadgen.LongPollConfig{Polls: orDefault(*conns, 10000), Keys: *services, Mode: *mode, HoldMs: *holdMs,
			Concurrency: *concur, Settle: *settle, Samples: *samples, SampleEvery: time.Second},
		Logf: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05.000 ")+format+"\n", args...)
		},
	}
	return cfg, cfg.Validate()
}

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}
