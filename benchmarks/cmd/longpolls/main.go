// Command longpolls measures a Herald daemon's memory per held HTTP config
// long poll (POST /nacos/v1/cs/configs/listener), with the same number of
// idle kept-alive HTTP connections as the baseline (-mode conns). It
// builds Herald (or takes -herald-bin), starts it on free loopback ports,
// opens the polls from this one process, measures, answers every poll
// with one publish per key, stops Herald, and prints a summary and one
// JSON line.
//
//	go run ./benchmarks/cmd/longpolls -polls 10000
//	go run ./benchmarks/cmd/longpolls -polls 10000 -mode conns
//
// It exits 1 when the run fails (an error, a poll not held or not
// answered) and 2 on bad flags.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/herald-gateway/herald/benchmarks/loadgen"
)

func main() { os.Exit(run()) }

func run() int {
	r, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "longpolls:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep := loadgen.RunLongPollBench(ctx, r)
	if err := rep.Summary(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "longpolls:", err)
		return 1
	}
	if !rep.OK {
		return 1
	}
	return 0
}

func parseFlags(args []string) (loadgen.LongPollRun, error) {
	fs := flag.NewFlagSet("longpolls", flag.ContinueOnError)
	var (
		polls      = fs.Int("polls", 10000, "load connections (at most 15000: 20,000 open files per process)")
		keys       = fs.Int("keys", 100, "polls spread over this many config keys")
		mode       = fs.String("mode", "polls", "polls (held long polls) or conns (idle kept-alive connections, the baseline)")
		holdMs     = fs.Int("hold-ms", 120000, "Long-Pulling-Timeout sent; must outlast opening, settling and measuring")
		settle     = fs.Duration("settle", 10*time.Second, "wait after the last poll is held before measuring")
		samples    = fs.Int("samples", 3, "memory readings, 1s apart; the last counts")
		concur     = fs.Int("concurrency", 200, "connections opened at once")
		timeout    = fs.Duration("timeout", 10*time.Minute, "bound on the whole run")
		bin        = fs.String("herald-bin", "", "prebuilt herald binary (default: go build ./gateway/cmd/herald)")
		heraldArgs = fs.String("herald-args", "", "extra herald flags, space-separated")
		heraldEnv  = fs.String("herald-env", "", "extra herald environment, space-separated NAME=value")
		repo       = fs.String("repo", "", "herald repository root (default: found from the working directory)")
		commit     = fs.String("commit", "", "label for the herald under test (default: git commit of -repo)")
	)
	if err := fs.Parse(args); err != nil {
		return loadgen.LongPollRun{}, err
	}
	if fs.NArg() > 0 {
		return loadgen.LongPollRun{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	root := *repo
	if root == "" {
		var err error
		if root, err = loadgen.FindRepoRoot("."); err != nil && *bin == "" {
			return loadgen.LongPollRun{}, err
		}
	}
	r := loadgen.LongPollRun{
		HeraldBin: *bin, RepoRoot: root, Commit: *commit, Timeout: *timeout,
		HeraldArgs: strings.Fields(*heraldArgs), HeraldEnv: strings.Fields(*heraldEnv),
		Config: loadgen.LongPollConfig{Polls: *polls, Keys: *keys, Mode: *mode, HoldMs: *holdMs,
			Concurrency: *concur, Settle: *settle, Samples: *samples, SampleEvery: time.Second},
		Logf: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05.000 ")+format+"\n", args...)
		},
	}
	return r, r.Validate()
}
