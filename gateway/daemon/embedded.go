package daemon

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/upstream"
)

// openEmbedded opens the embedded backend: the data directory locked, the
// registry (persistent instances loaded from and saved to the data
// directory, health-checked as configured) and the config store (kept in
// the data directory's config/).
func openEmbedded(cfg conf.Config, log *slog.Logger) (b backend, err error) {
	e := cfg.Upstream.Embedded
	defer func() {
		if err != nil {
			b.close(log)
		}
	}()
	if e.DataDir != "" {
		unlock, err := upstream.LockDataDir(e.DataDir)
		if err != nil {
			return b, fmt.Errorf("upstream.embedded.dataDir %q: %w", e.DataDir, err)
		}
		b.closes = append(b.closes, unlock)
	}
	h := e.HealthCheck
	reg, err := upstream.OpenEmbedded(e.DataDir,
		upstream.WithLogger(log.With("component", "registry")),
		upstream.WithHealthCheck(upstream.HealthCheck{
			Checker: h.Checker, Path: h.Path, Interval: h.Interval, Timeout: h.Timeout,
			Failures: h.Failures, Concurrency: h.Concurrency,
		}))
	if err != nil {
		return b, fmt.Errorf("embedded registry (upstream.embedded.dataDir %q): %w", e.DataDir, err)
	}
	b.reg = reg
	b.closes = append(b.closes, reg.Close)
	store, err := upstream.OpenEmbeddedConfig(upstream.ConfigOptions{
		DataDir: e.DataDir, MaxContentBytes: cfg.Config.MaxContentBytes, HistoryLimit: cfg.Config.HistoryLimit,
		Logger: log.With("component", "config"),
	})
	if err != nil {
		return b, fmt.Errorf("embedded config store (upstream.embedded.dataDir %q): %w", e.DataDir, err)
	}
	b.config = store
	b.closes = append(b.closes, store.Close)
	dir := e.DataDir
	if abs, err := filepath.Abs(dir); err == nil && dir != "" {
		dir = abs
	}
	log.Info("embedded registry and config store opened", "dataDir", dir, "healthCheck", h.Checker)
	return b, nil
}
