package upstream

import (
	"fmt"
	"strings"
	"time"
)

// Health checkers an embedded registry can apply to a persistent instance.
const (
	// CheckerTCP is healthy when a TCP connection to ip:port opens.
	CheckerTCP = "tcp"
	// CheckerHTTP is healthy when GET http://ip:port<path> answers 2xx or
	// 3xx (redirects are not followed).
	CheckerHTTP = "http"
	// CheckerNone never probes: the instance keeps the health it was
	// registered with.
	CheckerNone = "none"
)

// Instance metadata keys that override the health check of one persistent
// instance (Herald's own keys, in Nacos's "preserved." namespace).
const (
	// MetaHealthChecker selects the checker: tcp, http or none.
	MetaHealthChecker = "preserved.health.checker"
	// MetaHealthPath is the path of the HTTP checker, starting with "/".
	MetaHealthPath = "preserved.health.path"
)

// Defaults of HealthCheck, applied by withDefaults to zero fields.
const (
	DefaultHealthInterval    = 5 * time.Second
	DefaultHealthTimeout     = 2 * time.Second
	DefaultHealthFailures    = 3
	DefaultHealthConcurrency = 64
	DefaultHealthPath        = "/"
)

// HealthCheck configures the active health checks an embedded registry runs
// against its persistent instances. Ephemeral instances are never probed:
// they live as long as their connection.
type HealthCheck struct {
	// Checker is the default checker (CheckerTCP, CheckerHTTP or
	// CheckerNone); an instance's MetaHealthChecker overrides it.
	// Default CheckerTCP, as Nacos.
	Checker string
	// Path is the default path of the HTTP checker; an instance's
	// MetaHealthPath overrides it. Default "/".
	Path string
	// Interval is the time between the starts of two probe rounds.
	// Default 5s.
	Interval time.Duration
	// Timeout bounds one probe. Default 2s.
	Timeout time.Duration
	// Failures is the number of consecutive failed probes that turn a
	// healthy instance unhealthy; one successful probe turns it healthy
	// again. Default 3.
	Failures int
	// Concurrency bounds the probes running at once. Default 64.
	Concurrency int
}

// withDefaults returns h with every zero field set to its default.
func (h HealthCheck) withDefaults() HealthCheck {
	if h.Checker == "" {
		h.Checker = CheckerTCP
	}
	if h.Path == "" {
		h.Path = DefaultHealthPath
	}
	if h.Interval <= 0 {
		h.Interval = DefaultHealthInterval
	}
	if h.Timeout <= 0 {
		h.Timeout = DefaultHealthTimeout
	}
	if h.Failures <= 0 {
		h.Failures = DefaultHealthFailures
	}
	if h.Concurrency <= 0 {
		h.Concurrency = DefaultHealthConcurrency
	}
	return h
}

// validate checks the checker name and path after defaulting.
func (h HealthCheck) validate() error {
	if err := checkChecker("checker", h.Checker); err != nil {
		return err
	}
	return checkHealthPath("path", h.Path)
}

// checkerFor returns the checker and HTTP path that apply to in.
func (h HealthCheck) checkerFor(in Instance) (checker, path string) {
	checker, path = h.Checker, h.Path
	if c := in.Metadata[MetaHealthChecker]; c != "" {
		checker = c
	}
	if p := in.Metadata[MetaHealthPath]; p != "" {
		path = p
	}
	return checker, path
}

// ValidateHealthMetadata checks the health-check keys of a persistent
// instance's metadata. It returns nil or a *FieldError (wrapping
// ErrInvalid).
func ValidateHealthMetadata(md map[string]string) error {
	if c, ok := md[MetaHealthChecker]; ok {
		if err := checkChecker("metadata."+MetaHealthChecker, c); err != nil {
			return err
		}
	}
	if p, ok := md[MetaHealthPath]; ok {
		return checkHealthPath("metadata."+MetaHealthPath, p)
	}
	return nil
}

func checkChecker(field, c string) error {
	switch c {
	case CheckerTCP, CheckerHTTP, CheckerNone:
		return nil
	}
	return invalid(field, "must be %s, %s or %s, got %q", CheckerTCP, CheckerHTTP, CheckerNone, c)
}

func checkHealthPath(field, p string) error {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, " \t\r\n") {
		return invalid(field, "must be a URL path starting with '/' and without spaces, got %q", p)
	}
	return nil
}

// String describes h for logs.
func (h HealthCheck) String() string {
	return fmt.Sprintf("checker=%s path=%s interval=%s timeout=%s failures=%d concurrency=%d",
		h.Checker, h.Path, h.Interval, h.Timeout, h.Failures, h.Concurrency)
}
