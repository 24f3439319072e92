package conf

import (
	"os"
	"time"
)

// Config is Herald's complete configuration. The zero value is not useful;
// start from Default (or use LoadFile / Load, which do so) and call Validate
// before use.
type Config struct {
	// Node is this gateway's node name. Default: os.Hostname(), or "herald"
	// if the host name cannot be determined. Must not be empty.
	Node string `yaml:"node" help:"this gateway's node name"`
	// GRPC configures the Nacos 2.x gRPC listener that SDK clients dial.
	GRPC GRPCConfig `yaml:"grpc"`
	// HTTP configures the Nacos 1.x HTTP API listener.
	HTTP HTTPConfig `yaml:"http"`
	// Admin configures Herald's own admin API listener.
	Admin AdminConfig `yaml:"admin"`
	// Upstream selects the registry Herald fronts.
	Upstream UpstreamConfig `yaml:"upstream"`
	// Session holds per-connection timing and buffering.
	Session SessionConfig `yaml:"session"`
	// Fanout configures how changes are pushed to subscribers.
	Fanout FanoutConfig `yaml:"fanout"`
	// Tracker configures push tracking.
	Tracker TrackerConfig `yaml:"tracker"`
	// Log configures the process logger returned by Config.Slog.
	Log LogConfig `yaml:"log"`
	// Telemetry configures traces (OpenTelemetry) exported by Herald.
	Telemetry TelemetryConfig `yaml:"telemetry"`
}

// GRPCConfig configures the Nacos 2.x gRPC listener.
type GRPCConfig struct {
	// Addr is the host:port to listen on. Default ":9848", the Nacos 2.x
	// gRPC port. Port 0 picks a free port.
	Addr string `yaml:"addr" help:"gRPC listen address (Nacos 2.x SDK port)"`
	// MaxMessageBytes caps the body of one client request; larger ones are
	// answered with errorCode 400.
	// Default 10485760 (10 MiB); must be within 1024..67108864.
	MaxMessageBytes int `yaml:"maxMessageBytes" help:"largest client request body accepted, in bytes"`
	// WriteBufferSize is Kitex's per-connection HTTP/2 write batch buffer,
	// in bytes (0 = write each frame directly). Default 32768.
	WriteBufferSize int `yaml:"writeBufferSize" help:"per-connection HTTP/2 write buffer, bytes"`
	// ReadBufferSize is Kitex's per-connection read buffer, in bytes.
	// Default 32768.
	ReadBufferSize int `yaml:"readBufferSize" help:"per-connection HTTP/2 read buffer, bytes"`
	// InitialWindowSize is the HTTP/2 stream flow-control window the server
	// advertises, in bytes; 0 keeps Kitex's 64 KiB with dynamic growth.
	// Values below 65535 are ignored by Kitex.
	InitialWindowSize int `yaml:"initialWindowSize" help:"HTTP/2 stream window, bytes (0 = Kitex default)"`
	// InitialConnWindowSize is the HTTP/2 connection window, in bytes; 0
	// keeps Kitex's default.
	InitialConnWindowSize int `yaml:"initialConnWindowSize" help:"HTTP/2 connection window, bytes (0 = Kitex default)"`
	// ReuseWriteBuffer pools the write flush buffer between connections
	// instead of keeping one per connection. Default true: it cut resident
	// memory per idle connection by 14 % (benchmarks/RESULTS.md).
	ReuseWriteBuffer bool `yaml:"reuseWriteBuffer" help:"pool HTTP/2 write buffers across connections"`
	// ReuseFramerBuffer pools the per-frame encoding buffer. Default true.
	ReuseFramerBuffer bool `yaml:"reuseFramerBuffer" help:"pool HTTP/2 frame encoding buffers across connections"`
}

// HTTPConfig configures the Nacos 1.x HTTP API listener (served by a later
// release; the address is reserved and validated now).
type HTTPConfig struct {
	// Addr is the host:port to listen on. Default ":8848". Port 0 picks a
	// free port.
	Addr string `yaml:"addr" help:"HTTP listen address (Nacos 1.x API port)"`
}

// AdminConfig configures Herald's own admin API listener.
type AdminConfig struct {
	// Addr is the host:port to listen on. Default "127.0.0.1:8850":
	// loopback, so the admin API is never exposed to clients by accident.
	// Port 0 picks a free port.
	Addr string `yaml:"addr" help:"admin API listen address (loopback by default)"`
}

// UpstreamConfig selects the service registry behind Herald.
type UpstreamConfig struct {
	// Kind is "embedded" (the default, an in-process registry). "nacos"
	// (a real Nacos server behind Herald) is planned but not supported yet,
	// so Validate accepts only "embedded" for now.
	Kind string `yaml:"kind" help:"registry behind Herald: embedded (nacos is planned)"`
}

// SessionConfig holds per-connection timing and buffering.
type SessionConfig struct {
	// IdleTimeout is how long a connection may stay silent before it is
	// probed with a ClientDetectionRequest. Default 20s; must be >= 1s.
	IdleTimeout time.Duration `yaml:"idleTimeout" help:"probe a connection idle this long"`
	// DetectTimeout is how long a probed client has to answer before its
	// connection is closed. Default 5s; must be >= 100ms.
	DetectTimeout time.Duration `yaml:"detectTimeout" help:"close a probed connection that does not answer within this"`
	// PushQueue is the number of pending server-to-client messages buffered
	// per connection. Default 1024; must be within 1..1048576.
	PushQueue int `yaml:"pushQueue" help:"pending server-to-client messages per connection"`
	// AckTimeout is how long a push waits for the client's acknowledgement.
	// Default 5s; must be >= 100ms.
	AckTimeout time.Duration `yaml:"ackTimeout" help:"how long a push waits for the client's acknowledgement"`
}

// FanoutConfig configures the push engine.
type FanoutConfig struct {
	// MergeWindow collects a service's changes for this long and pushes
	// the latest once. Default 500ms, as Nacos; 0 pushes at once.
	MergeWindow time.Duration `yaml:"mergeWindow" help:"collect a service's changes this long before pushing (0 = at once)"`
	// Workers is the size of the worker pool that sends pushes.
	// Default 32; must be within 1..4096.
	Workers int `yaml:"workers" help:"push worker pool size"`
	// RetryBase is the delay before the first retry of a failed or
	// timed-out push; each further retry doubles it. Default 1s.
	RetryBase time.Duration `yaml:"retryBase" help:"delay before the first push retry"`
	// RetryMax caps the retry delay. Default 30s; must be >= retryBase.
	RetryMax time.Duration `yaml:"retryMax" help:"longest delay between push retries"`
	// StallTimeout closes a connection whose pushes have gone
	// unacknowledged this long. Default 3m.
	StallTimeout time.Duration `yaml:"stallTimeout" help:"close a connection whose pushes stay unacknowledged this long"`
}

// TrackerConfig configures push tracking.
type TrackerConfig struct {
	// Redis lists Redis addresses (host:port). Empty keeps records in
	// memory (bounded by MemoryRecords); one address is a single server;
	// several, or Cluster, use Redis Cluster.
	Redis []string `yaml:"redis" help:"Redis addresses for push records (empty = in memory)"`
	// Cluster makes a single Redis address a Redis Cluster seed.
	Cluster bool `yaml:"cluster" help:"treat the Redis addresses as a Redis Cluster"`
	// Retention is how long records are kept. Default 24h; 1m..720h.
	Retention time.Duration `yaml:"retention" help:"how long push records are kept"`
	// Buffer is the number of outcomes queued for writing; beyond it they
	// are dropped and counted. Default 65536.
	Buffer int `yaml:"buffer" help:"push outcomes queued for the store"`
	// Backlog is the number of records held while Redis is unreachable;
	// beyond it the oldest are dropped and counted. Default 200000.
	Backlog int `yaml:"backlog" help:"records held while the store is down"`
	// MemoryRecords bounds the in-memory store. Default 1000000.
	MemoryRecords int `yaml:"memoryRecords" help:"records kept by the in-memory store"`
}

// LogConfig configures the process logger.
type LogConfig struct {
	// Level is the minimum level logged: debug, info, warn or error.
	// Default info.
	Level string `yaml:"level" help:"minimum log level: debug|info|warn|error"`
	// Format is the log line format: text or json. Default text.
	Format string `yaml:"format" help:"log format: text|json"`
}

// TelemetryConfig configures OpenTelemetry. Metrics are always served
// at /metrics on the admin listener; traces are exported only when
// Traces.Endpoint is set.
type TelemetryConfig struct {
	// Traces configures the trace of every push.
	Traces TracesConfig `yaml:"traces"`
}

// TracesConfig configures trace export. Push records carry a trace id
// whatever the sampling: ids are minted for unsampled spans too.
type TracesConfig struct {
	// Endpoint is the OTLP collector URL, e.g. "http://127.0.0.1:4318"
	// (protocol http; the path defaults to /v1/traces) or
	// "http://127.0.0.1:4317" (protocol grpc). http:// sends in clear
	// text, https:// with TLS. Empty (the default) exports nothing and
	// samples nothing.
	Endpoint string `yaml:"endpoint" help:"OTLP collector URL for traces (empty = no export)"`
	// Protocol is the OTLP transport: http (protobuf over HTTP) or grpc.
	// Default http.
	Protocol string `yaml:"protocol" help:"OTLP transport: http|grpc"`
	// Sampler chooses which changes are traced: always, ratio (a share of
	// changes, see Ratio) or off. Parent-based. Default always.
	Sampler string `yaml:"sampler" help:"trace sampler: always|ratio|off"`
	// Ratio is the share of changes traced when Sampler is ratio, 0..1.
	// Default 0.01.
	Ratio float64 `yaml:"ratio" help:"share of changes traced with sampler ratio (0..1)"`
	// ExportInterval is the longest a finished span waits before it is
	// exported. Default 5s; must be >= 10ms.
	ExportInterval time.Duration `yaml:"exportInterval" help:"longest a finished span waits for export"`
}

// Defaults and limits. Validate's messages quote the limits.
const (
	defaultNode            = "herald"
	defaultGRPCAddr        = ":9848"
	defaultHTTPAddr        = ":8848"
	defaultAdminAddr       = "127.0.0.1:8850"
	defaultMaxMessageBytes = 10 << 20
	minMaxMessageBytes     = 1024
	maxMaxMessageBytes     = 64 << 20
	defaultIdleTimeout     = 20 * time.Second
	minIdleTimeout         = time.Second
	defaultDetectTimeout   = 5 * time.Second
	minDetectTimeout       = 100 * time.Millisecond
	defaultPushQueue       = 1024
	maxPushQueue           = 1 << 20
	defaultAckTimeout      = 5 * time.Second
	minAckTimeout          = 100 * time.Millisecond
	defaultGRPCBufferSize  = 32 << 10
	maxGRPCBufferSize      = 16 << 20
	maxGRPCWindowSize      = 1 << 30
	defaultMergeWindow     = 500 * time.Millisecond
	defaultWorkers         = 32
	maxWorkers             = 4096
	defaultRetryBase       = time.Second
	minRetryBase           = 10 * time.Millisecond
	defaultRetryMax        = 30 * time.Second
	defaultStallTimeout    = 3 * time.Minute
	minStallTimeout        = time.Second
	defaultRetention       = 24 * time.Hour
	minRetention           = time.Minute
	maxRetention           = 720 * time.Hour
	defaultTrackBuffer     = 65536
	defaultTrackBacklog    = 200000
	defaultMemoryRecords   = 1000000
	maxTrackRecords        = 100000000
	defaultTraceProtocol   = "http"
	defaultTraceSampler    = "always"
	defaultTraceRatio      = 0.01
	defaultExportInterval  = 5 * time.Second
	minExportInterval      = 10 * time.Millisecond

	// UpstreamEmbedded is the in-process registry, the only supported
	// Upstream.Kind for now.
	UpstreamEmbedded = "embedded"
	// UpstreamNacos fronts a real Nacos server. Planned, not supported yet.
	UpstreamNacos = "nacos"
)

// Default returns a Config with every field set to its default. It always
// passes Validate.
func Default() Config {
	return Config{
		Node: defaultNodeName(),
		GRPC: GRPCConfig{
			Addr: defaultGRPCAddr, MaxMessageBytes: defaultMaxMessageBytes,
			WriteBufferSize: defaultGRPCBufferSize, ReadBufferSize: defaultGRPCBufferSize,
			ReuseWriteBuffer: true, ReuseFramerBuffer: true,
		},
		HTTP:     HTTPConfig{Addr: defaultHTTPAddr},
		Admin:    AdminConfig{Addr: defaultAdminAddr},
		Upstream: UpstreamConfig{Kind: UpstreamEmbedded},
		Session: SessionConfig{
			IdleTimeout:   defaultIdleTimeout,
			DetectTimeout: defaultDetectTimeout,
			PushQueue:     defaultPushQueue,
			AckTimeout:    defaultAckTimeout,
		},
		Fanout: FanoutConfig{
			MergeWindow:  defaultMergeWindow,
			Workers:      defaultWorkers,
			RetryBase:    defaultRetryBase,
			RetryMax:     defaultRetryMax,
			StallTimeout: defaultStallTimeout,
		},
		Tracker: TrackerConfig{
			Redis:         []string{},
			Retention:     defaultRetention,
			Buffer:        defaultTrackBuffer,
			Backlog:       defaultTrackBacklog,
			MemoryRecords: defaultMemoryRecords,
		},
		Log: LogConfig{Level: "info", Format: "text"},
		Telemetry: TelemetryConfig{Traces: TracesConfig{
			Protocol: defaultTraceProtocol, Sampler: defaultTraceSampler,
			Ratio: defaultTraceRatio, ExportInterval: defaultExportInterval,
		}},
	}
}

// defaultNodeName is the host name, or "herald" if it is unavailable.
func defaultNodeName() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return defaultNode
}
