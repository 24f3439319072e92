// Command herald runs the Herald push gateway. With no configuration it
// serves the Nacos 2.x gRPC protocol on :9848 from its embedded registry,
// with the admin API on 127.0.0.1:8850.
//
//	go run ./gateway/cmd/herald [-config herald.yaml] [-grpc.addr :9848] ...
//	go run ./gateway/cmd/herald drain [-config herald.yaml]   # drain a running Herald
//
// SIGTERM drains (clients told to move over fleet.drainWindow) and then
// stops; SIGINT stops at once; a drain asked for on the admin API
// (POST /v1/drain, `herald drain`) stops the process when it ends.
//
// "herald hash-password" reads a password line from stdin and prints its
// hash for the auth.users list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/gateway/daemon"
)

func main() {
	os.Exit(run())
}

func run() int {
	if len(os.Args) > 1 && os.Args[1] == "hash-password" {
		if err := hashPasswordCmd(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "herald hash-password:", err)
			return 2
		}
		return 0

	}
	if len(os.Args) > 1 && os.Args[1] == "drain" {
		return runDrain(os.Args[2:], os.Environ())
	}
	cfg, err := conf.Load(os.Args[1:], os.Environ())
	if errors.Is(err, flag.ErrHelp) {
		conf.Usage(os.Stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "herald:", err)
		return 2
	}
	log, err := cfg.Slog()
	if err != nil {
		fmt.Fprintln(os.Stderr, "herald:", err)
		return 2
	}
	if path := os.Getenv("HERALD_CPUPROFILE"); path != "" {
		stop, err := startCPUProfile(path)
		if err != nil {
			log.Error("cpu profile", "err", err)
			return 1
		}
		defer stop()
	}
	if path := os.Getenv("HERALD_ALLOCPROFILE"); path != "" {
		runtime.MemProfileRate = 64 << 10 // sampled more finely than the default 512 KiB
		defer writeAllocProfile(path, log)
	}
	d, err := daemon.Start(cfg, log)
	if err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case s := <-sig:
		if s == syscall.SIGTERM {
			log.Info("SIGTERM: draining, then stopping")
			go func() { // a second signal stops at once
				<-sig
				d.Stop()
			}()
			d.Drain(context.Background())
		} else {
			log.Info("signal received, stopping", "signal", s.String())
		}
	case <-d.Done():
		log.Info("drained, stopping")
	}
	d.Stop()
	return 0
}

// startCPUProfile writes a CPU profile to path until stop is called; for
// performance work (HERALD_CPUPROFILE=/tmp/herald.pprof).
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// writeAllocProfile writes every allocation sampled since start to path,
// on the way out; for performance work (HERALD_ALLOCPROFILE=/tmp/a.pprof,
// then go tool pprof -sample_index=alloc_space).
func writeAllocProfile(path string, log *slog.Logger) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
	if err != nil {
		log.Error("alloc profile", "err", err)
	}
}
