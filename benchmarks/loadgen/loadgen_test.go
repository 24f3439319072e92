package loadgen

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// heraldBin is Herald built once for the whole test binary (or taken from
// HERALD_BIN); heraldErr says why it could not be.
var heraldBin, heraldErr = "", error(nil)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if bin := os.Getenv("HERALD_BIN"); bin != "" {
		heraldBin = bin
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "loadgen-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root, err := FindRepoRoot(".")
	if err == nil {
		heraldBin = filepath.Join(dir, "herald")
		err = BuildHerald(ctx, root, heraldBin, raceBuild)
	}
	heraldErr = err
	return m.Run()
}

// smoke runs one scenario against a fresh Herald and fails the test
// unless it succeeded.
func smoke(t *testing.T, cfg Config) *Report {
	t.Helper()
	if heraldErr != nil {
		t.Fatalf("build herald: %v", heraldErr)
	}
	cfg.HeraldBin, cfg.Timeout = heraldBin, time.Minute
	cfg.Logf = t.Logf
	rep := Run(t.Context(), cfg)
	if !rep.OK {
		t.Fatalf("%s failed: %s\nherald log:\n%s", cfg.Scenario, rep.Error, rep.Herald.Log)
	}
	return rep
}

func TestIdleSmoke(t *testing.T) {
	rep := smoke(t, Config{Scenario: "idle", Idle: IdleConfig{
		Conns: 20, Services: 5, Concurrency: 10, Settle: 100 * time.Millisecond,
		Samples: 2, SampleEvery: 100 * time.Millisecond,
	}})
	r := rep.Idle
	if r.Stats.Sessions != 20 || r.Stats.Subscriptions != 20 || r.Stats.SubscribedServices != 5 {
		t.Errorf("stats = %+v, want 20 sessions, 20 subscriptions, 5 services", r.Stats)
	}
	if r.Baseline.RSSKiB <= 0 || r.Loaded.RSSKiB <= 0 {
		t.Errorf("memory not read: baseline %+v, loaded %+v", r.Baseline, r.Loaded)
	}
}

func TestFanoutSmoke(t *testing.T) {
	for _, backToBack := range []bool{false, true} {
		t.Run(fmt.Sprintf("backToBack=%v", backToBack), func(t *testing.T) {
			rep := smoke(t, Config{Scenario: "fanout", Fanout: FanoutConfig{
				Subs: 20, Changes: 3, BackToBack: backToBack, Concurrency: 10, Service: "fan",
				ChangeTimeout: 10 * time.Second, DrainTimeout: 10 * time.Second,
			}})
			r := rep.Fanout
			if r.DeliveredFinal != 20 {
				t.Errorf("final change acked by %d subscribers, want 20", r.DeliveredFinal)
			}
			if !backToBack && (r.Delivered != 60 || r.Expected != 60) {
				t.Errorf("paced: delivered %d / expected %d, want 60 / 60", r.Delivered, r.Expected)
			}
			if r.Latency.N != int(r.Delivered) || r.FromSend.MaxMs < r.Latency.MaxMs || r.PushesPerSecond <= 0 {
				t.Errorf("figures not sane: %+v", r)
			}
		})
	}
}

func TestRegisterSmoke(t *testing.T) {
	rep := smoke(t, Config{Scenario: "register", Register: RegisterConfig{
		Conns: 3, Duration: time.Second, Concurrency: 3,
	}})
	r := rep.Register
	if r.Ops == 0 || r.OpsPerSecond <= 0 || r.Errors != 0 || r.Latency.N != int(r.Ops) {
		t.Errorf("figures not sane: %+v", r)
	}
}

func TestChainSmoke(t *testing.T) {
	for _, direct := range []bool{false, true} {
		t.Run(fmt.Sprintf("direct=%v", direct), func(t *testing.T) {
			rep := smoke(t, Config{Scenario: "chain", Chain: ChainConfig{
				Subs: 20, Services: 4, Changes: 4, Concurrency: 10, ChangeTimeout: 10 * time.Second, Direct: direct,
			}})
			r := rep.Chain
			if r.Delivered != 20 || r.Expected != 20 {
				t.Errorf("delivered %d / expected %d, want 20 / 20", r.Delivered, r.Expected)
			}
			wantCore, wantPushes := 4, 1.0
			if direct {
				wantCore, wantPushes = 20, 5
			}
			if r.CoreSubscriptions != wantCore || r.CorePushesPerChange != wantPushes {
				t.Errorf("core subscriptions %d, pushes per change %.2f; want %d, %.0f", r.CoreSubscriptions,
					r.CorePushesPerChange, wantCore, wantPushes)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{Scenario: "register", Timeout: time.Minute, Register: RegisterConfig{Conns: 1, Count: 10}}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
	for name, mutate := range map[string]func(*Config){
		"unknown scenario": func(c *Config) { c.Scenario = "soak" },
		"no timeout":       func(c *Config) { c.Timeout = 0 },
		"unbounded loop":   func(c *Config) { c.Register.Count = 0 },
		"no connections":   func(c *Config) { c.Register.Conns = 0 },
	} {
		c := ok
		mutate(&c)
		if c.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestLeanClientSmoke runs fan-out and register with the lean client over
// both of Herald's transports: every push is acknowledged, every call
// answered, as with grpc-go.
func TestLeanClientSmoke(t *testing.T) {
	for _, tr := range []string{"netpoll", "event"} {
		args := []string{"-grpc.transport", tr}
		t.Run(tr+"/fanout", func(t *testing.T) {
			for _, backToBack := range []bool{false, true} {
				rep := smoke(t, Config{Scenario: "fanout", Client: ClientLean, HeraldArgs: args, Fanout: FanoutConfig{
					Subs: 30, Changes: 5, BackToBack: backToBack, Concurrency: 10, Service: "fan",
					ChangeTimeout: 10 * time.Second, DrainTimeout: 10 * time.Second,
				}})
				if r := rep.Fanout; r.DeliveredFinal != 30 || (!backToBack && r.Delivered != 150) {
					t.Errorf("back-to-back %v: delivered %d, final %d; want 150 paced, 30 final", backToBack, r.Delivered, r.DeliveredFinal)
				}
				if rep.Client != ClientLean {
					t.Errorf("report says client %q", rep.Client)
				}
			}
		})
		t.Run(tr+"/config", func(t *testing.T) {
			rep := smoke(t, Config{Scenario: "fanout", Client: ClientLean, HeraldArgs: args, Fanout: FanoutConfig{
				Subs: 20, Changes: 3, Concurrency: 10, Service: "fan", Kind: KindConfig,
				ChangeTimeout: 10 * time.Second, DrainTimeout: 10 * time.Second,
			}})
			if r := rep.Fanout; r.Delivered != 60 {
				t.Errorf("config pushes acked %d, want 60", r.Delivered)
			}
		})
		t.Run(tr+"/register", func(t *testing.T) {
			rep := smoke(t, Config{Scenario: "register", Client: ClientLean, HeraldArgs: args, Register: RegisterConfig{
				Conns: 3, Count: 200, Concurrency: 3,
			}})
			if r := rep.Register; r.Ops != 600 || r.Errors != 0 {
				t.Errorf("register: %d ops, %d errors; want 600, 0", r.Ops, r.Errors)
			}
		})
	}
}
