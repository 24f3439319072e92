package conf

import "time"

// EmbeddedConfig configures the embedded registry's persistent instances
// (registered with ephemeral=false or PersistentInstanceRequest).
type EmbeddedConfig struct {
	// DataDir is the directory that keeps persistent instances across
	// restarts (file persistent-instances.json), relative to the working
	// directory unless absolute. It is created on the first persistent
	// registration. Default "data"; empty keeps them in memory only.
	DataDir string `yaml:"dataDir" help:"directory keeping persistent instances across restarts (empty = memory only)"`
	// HealthCheck configures the active probes of persistent instances.
	HealthCheck HealthCheckConfig `yaml:"healthCheck"`
}

// HealthCheckConfig configures the active health checks of persistent
// instances. An instance's metadata preserved.health.checker (tcp, http or
// none) and preserved.health.path override Checker and Path for it.
type HealthCheckConfig struct {
	// Checker is the default checker: "tcp" (a connection to ip:port
	// opens), "http" (GET http://ip:port<path> answers 2xx/3xx) or "none"
	// (keep the health the instance was registered with). Default "tcp".
	Checker string `yaml:"checker" help:"default health checker of persistent instances: tcp|http|none"`
	// Path is the default path of the http checker. Default "/"; must
	// start with "/".
	Path string `yaml:"path" help:"default path of the http health checker"`
	// Interval is the time between probe rounds. Default 5s; >= 10ms.
	Interval time.Duration `yaml:"interval" help:"time between health probes of a persistent instance"`
	// Timeout bounds one probe. Default 2s; >= 10ms.
	Timeout time.Duration `yaml:"timeout" help:"how long one health probe may take"`
	// Failures is the number of consecutive failed probes that turn an
	// instance unhealthy (one success turns it healthy). Default 3, so a
	// dead instance is marked after about 15s, the heartbeat timeout of
	// Nacos's ephemeral instances; 1..100.
	Failures int `yaml:"failures" help:"consecutive failed probes before an instance is unhealthy"`
	// Concurrency bounds the probes running at once. Default 64; 1..4096.
	Concurrency int `yaml:"concurrency" help:"health probes running at once"`
}

// Defaults and limits of EmbeddedConfig.
const (
	defaultDataDir           = "data"
	defaultHealthChecker     = "tcp"
	defaultHealthPath        = "/"
	defaultHealthInterval    = 5 * time.Second
	defaultHealthTimeout     = 2 * time.Second
	minHealthDuration        = 10 * time.Millisecond
	defaultHealthFailures    = 3
	maxHealthFailures        = 100
	defaultHealthConcurrency = 64
	maxHealthConcurrency     = 4096
)

// healthCheckers are the allowed values of HealthCheckConfig.Checker.
var healthCheckers = []string{"tcp", "http", "none"}

// defaultEmbedded returns EmbeddedConfig's defaults.
func defaultEmbedded() EmbeddedConfig {
	return EmbeddedConfig{
		DataDir: defaultDataDir,
		HealthCheck: HealthCheckConfig{
			Checker: defaultHealthChecker, Path: defaultHealthPath,
			Interval: defaultHealthInterval, Timeout: defaultHealthTimeout,
			Failures: defaultHealthFailures, Concurrency: defaultHealthConcurrency,
		},
	}
}

// validateEmbedded checks upstream.embedded.
func (c *Config) validateEmbedded() []error {
	const p = "upstream.embedded.healthCheck."
	h := c.Upstream.Embedded.HealthCheck
	var errs []error
	for _, err := range []error{
		oneOf(p+"checker", h.Checker, healthCheckers),
		minDuration(p+"interval", h.Interval, minHealthDuration),
		minDuration(p+"timeout", h.Timeout, minHealthDuration),
		intRange(p+"failures", h.Failures, 1, maxHealthFailures),
		intRange(p+"concurrency", h.Concurrency, 1, maxHealthConcurrency),
	} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(h.Path) == 0 || h.Path[0] != '/' {
		errs = append(errs, fieldErrorf(p+"path", "must start with '/', got %q", h.Path))
	}
	return errs
}
