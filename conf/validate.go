package conf

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FieldError is one problem with one configuration field. Validate returns
// these joined; unwrap with errors.As to find the field.
type FieldError struct {
	// Field is the field's YAML path, e.g. "session.idleTimeout".
	Field string
	// Err says what is wrong with it.
	Err error
}

// Error returns "<field>: <problem>".
func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the underlying problem.
func (e *FieldError) Unwrap() error { return e.Err }

// fieldErrorf builds a *FieldError with a formatted message.
func fieldErrorf(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Allowed values of Log.Level and Log.Format.
var (
	logLevels  = []string{"debug", "info", "warn", "error"}
	logFormats = []string{"text", "json"}
	// TraceProtocols and TraceSamplers are the allowed values of
	// Telemetry.Traces.Protocol and Telemetry.Traces.Sampler.
	TraceProtocols = []string{"http", "grpc"}
	TraceSamplers  = []string{"always", "ratio", "off"}
	// GRPCTransports are the allowed values of GRPC.Transport.
	GRPCTransports = []string{"netpoll", "gonet", "event"}
)

// Validate checks every field and returns all problems found, joined with
// errors.Join, each a *FieldError naming the field by its YAML path; nil
// means the configuration is usable. Address fields (any string field whose
// YAML key is "addr" or ends in "Addr") must be host:port with a numeric port
// in 0..65535, and no two may clash (see clash).
func (c *Config) Validate() error {
	if c == nil {
		return errors.New("conf: Validate called on a nil *Config")
	}
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	if strings.TrimSpace(c.Node) == "" {
		add(fieldErrorf("node", "must not be empty"))
	}
	add(intRange("grpc.maxMessageBytes", c.GRPC.MaxMessageBytes, minMaxMessageBytes, maxMaxMessageBytes))
	add(oneOf("grpc.transport", c.GRPC.Transport, GRPCTransports))
	add(intRange("grpc.writeBufferSize", c.GRPC.WriteBufferSize, 0, maxGRPCBufferSize))
	add(intRange("grpc.readBufferSize", c.GRPC.ReadBufferSize, 0, maxGRPCBufferSize))
	add(intRange("grpc.initialWindowSize", c.GRPC.InitialWindowSize, 0, maxGRPCWindowSize))
	add(intRange("grpc.initialConnWindowSize", c.GRPC.InitialConnWindowSize, 0, maxGRPCWindowSize))
	c.validateHTTP(add)
	c.validateConfigCenter(add)
	c.validateAdmin(add)
	c.validateAuth(add)
	c.validateSecurity(add)
	errs = append(errs, c.Upstream.validate()...)
	errs = append(errs, c.validateEmbedded()...)
	add(minDuration("session.idleTimeout", c.Session.IdleTimeout, minIdleTimeout))
	add(minDuration("session.detectTimeout", c.Session.DetectTimeout, minDetectTimeout))
	add(intRange("session.pushQueue", c.Session.PushQueue, 1, maxPushQueue))
	add(minDuration("session.ackTimeout", c.Session.AckTimeout, minAckTimeout))
	add(minDuration("fanout.mergeWindow", c.Fanout.MergeWindow, 0))
	add(minDuration("fanout.mergeWindowMax", c.Fanout.MergeWindowMax, 0))
	add(intRange("fanout.workers", c.Fanout.Workers, 1, maxWorkers))
	add(minDuration("fanout.retryBase", c.Fanout.RetryBase, minRetryBase))
	add(minDuration("fanout.retryMax", c.Fanout.RetryMax, c.Fanout.RetryBase))
	add(minDuration("fanout.stallTimeout", c.Fanout.StallTimeout, minStallTimeout))
	add(intRange("fanout.maxSubscriptionsPerClient", c.Fanout.MaxSubscriptionsPerClient, 1, maxMaxSubsPerConn))
	add(minDuration("tracker.retention", c.Tracker.Retention, minRetention))
	if c.Tracker.Retention > maxRetention {
		add(fieldErrorf("tracker.retention", "must be at most %s, got %s", maxRetention, c.Tracker.Retention))
	}
	add(intRange("tracker.buffer", c.Tracker.Buffer, 1, maxTrackRecords))
	add(intRange("tracker.backlog", c.Tracker.Backlog, 0, maxTrackRecords))
	add(intRange("tracker.memoryRecords", c.Tracker.MemoryRecords, 1, maxTrackRecords))
	for i, a := range c.Tracker.Redis {
		if _, _, err := net.SplitHostPort(a); err != nil {
			add(fieldErrorf("tracker.redis", "entry %d %q is not host:port", i, a))
		}
	}
	if c.Tracker.Cluster && len(c.Tracker.Redis) == 0 {
		add(fieldErrorf("tracker.cluster", "needs at least one tracker.redis address"))
	}
	add(oneOf("log.level", c.Log.Level, logLevels))
	add(oneOf("log.format", c.Log.Format, logFormats))
	errs = append(errs, c.Telemetry.Traces.validate()...)
	c.validateFleet(add)
	errs = append(errs, c.validateAddrs()...)
	return errors.Join(errs...)
}

// intRange checks lo <= v <= hi.
func intRange(field string, v, lo, hi int) error {
	if v < lo || v > hi {
		return fieldErrorf(field, "must be between %d and %d, got %d", lo, hi, v)
	}
	return nil
}

// minDuration checks v >= lo.
func minDuration(field string, v, lo time.Duration) error {
	if v < lo {
		return fieldErrorf(field, "must be at least %s, got %s", lo, v)
	}
	return nil
}

// oneOf checks that v is one of allowed.
func oneOf(field, v string, allowed []string) error {
	if !slices.Contains(allowed, v) {
		return fieldErrorf(field, "must be one of %s, got %q", strings.Join(allowed, "|"), v)
	}
	return nil
}

// listenAddr is a parsed address field.
type listenAddr struct {
	field string
	raw   string
	host  string
	port  int
}

// validateAddrs checks each address field's syntax, then that no two clash.
func (c *Config) validateAddrs() []error {
	fields, err := fieldsOf(c)
	if err != nil {
		return []error{err}
	}
	var errs []error
	var addrs []listenAddr
	for _, f := range fields {
		if !isAddrField(f) {
			continue
		}
		a, err := parseListenAddr(f.path, f.v.String())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, prev := range addrs {
			if clash(prev, a) {
				errs = append(errs, fieldErrorf(a.field, "%q clashes with %s %q (both listen on port %d)", a.raw, prev.field, prev.raw, a.port))
				break
			}
		}
		addrs = append(addrs, a)
	}
	return errs
}

// isAddrField reports whether f is a listen address: a string field whose
// YAML key is "addr" or ends in "Addr".
func isAddrField(f field) bool {
	key := f.path[strings.LastIndex(f.path, ".")+1:]
	return f.v.Type() == stringType && (key == "addr" || strings.HasSuffix(key, "Addr"))
}

// parseListenAddr checks that raw is host:port with a numeric port 0..65535.
func parseListenAddr(field, raw string) (listenAddr, error) {
	host, portStr, err := net.SplitHostPort(raw)
	if err != nil {
		return listenAddr{}, fieldErrorf(field, "must be host:port, got %q: %w", raw, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return listenAddr{}, fieldErrorf(field, "port must be a number 0..65535, got %q in %q", portStr, raw)
	}
	return listenAddr{field: field, raw: raw, host: host, port: port}, nil
}

// clash reports whether two listeners would fight over a port: the same
// non-zero port, and either the same host or at least one wildcard host
// ("", "0.0.0.0" or "::"), since a wildcard listener takes the port on every
// interface. Port 0 never clashes: the kernel picks a free port.
func clash(a, b listenAddr) bool {
	if a.port == 0 || a.port != b.port {
		return false
	}
	return isWildcard(a.host) || isWildcard(b.host) || strings.EqualFold(a.host, b.host)
}

// isWildcard reports whether host means "all interfaces".
func isWildcard(host string) bool {
	return host == "" || host == "0.0.0.0" || host == "::"
}
