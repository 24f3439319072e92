package daemon

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/upstream"
)

// openEmbedded opens the embedded registry: persistent instances loaded
// from and saved to cfg.DataDir, and health-checked as cfg.HealthCheck says.
func openEmbedded(cfg conf.EmbeddedConfig, log *slog.Logger) (*upstream.Embedded, error) {
	h := cfg.HealthCheck
	reg, err := upstream.OpenEmbedded(cfg.DataDir,
		upstream.WithLogger(log),
		upstream.WithHealthCheck(upstream.HealthCheck{
			Checker: h.Checker, Path: h.Path, Interval: h.Interval, Timeout: h.Timeout,
			Failures: h.Failures, Concurrency: h.Concurrency,
		}))
	if err != nil {
		return nil, fmt.Errorf("embedded registry (upstream.embedded.dataDir %q): %w", cfg.DataDir, err)
	}
	dir := cfg.DataDir
	if abs, err := filepath.Abs(dir); err == nil && dir != "" {
		dir = abs
	}
	log.Info("embedded registry opened", "dataDir", dir, "healthCheck", h.Checker)
	return reg, nil
}
