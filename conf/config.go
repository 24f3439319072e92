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
	// Console configures the push-track console served on the admin
	// listener at /console/.
	Console ConsoleConfig `yaml:"console"`
	// Upstream selects the registry Herald fronts.
	Upstream UpstreamConfig `yaml:"upstream"`
	// Config configures the configuration center.
	Config ConfigCenterConfig `yaml:"config"`
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
	// Auth configures client authentication and permissions (both wires).
	Auth AuthConfig `yaml:"auth"`
	// Limits bounds what one client may take (connections, request rate).
	Limits LimitsConfig `yaml:"limits"`
	// Fleet configures drains, shedding and the fleet view (fleet.go).
	Fleet FleetConfig `yaml:"fleet"`
}

// GRPCConfig configures the Nacos 2.x gRPC listener.
type GRPCConfig struct {
	// Addr is the host:port to listen on. Default ":9848", the Nacos 2.x
	// gRPC port. Port 0 picks a free port.
	Addr string `yaml:"addr" help:"gRPC listen address (Nacos 2.x SDK port)"`
	// MaxMessageBytes caps one client request body; a larger one is
	// answered with errorCode 400. A gRPC message whose length prefix
	// declares more than this plus 64 KiB of metadata (or a gzip message
	// inflating past that) drops the client's connection with a warn log,
	// before anything is allocated.
	// Default 10485760 (10 MiB, Nacos's own inbound limit); must be within
	// 1024..67108864.
	MaxMessageBytes int `yaml:"maxMessageBytes" help:"largest client message accepted, in bytes"`
	// Transport serves the listener: "event" (Herald's event transport:
	// gnet event loops with x/net/http2 framing, no goroutine per idle
	// connection), "netpoll" (Kitex on its epoll loop) or "gonet" (Kitex,
	// a goroutine per connection over net.Conn). All enforce
	// MaxMessageBytes. Default event. A TLS listener is served by Kitex on
	// gonet whatever this says. The Kitex buffer and window keys below
	// apply to netpoll and gonet only.
	Transport string `yaml:"transport" help:"gRPC transport: netpoll|gonet (Kitex) or event"`
	// WriteBufferSize is Kitex's per-connection HTTP/2 write batch buffer,
	// in bytes (0 = write each frame directly). Default 32768.
	WriteBufferSize int `yaml:"writeBufferSize" help:"per-connection HTTP/2 write buffer, bytes"`
	// ReadBufferSize is Kitex's per-connection read buffer, in bytes.
	// Default 32768.
	ReadBufferSize int `yaml:"readBufferSize" help:"per-connection HTTP/2 read buffer, bytes"`
	// InitialWindowSize is the HTTP/2 stream flow-control window the Kitex
	// transport advertises, in bytes; 0 keeps Kitex's 64 KiB with dynamic
	// growth (a BDP ping after every quiet second). Values below 65535 are
	// ignored by Kitex. Default 65535: a fixed window, which cut Kitex's
	// CPU per push by 13-21 % with every push delivered
	// (benchmarks/RESULTS.md, issue 14). The event transport always uses
	// fixed 64 KiB windows.
	InitialWindowSize int `yaml:"initialWindowSize" help:"HTTP/2 stream window, bytes (0 = Kitex default, dynamic)"`
	// InitialConnWindowSize is the HTTP/2 connection window, in bytes; 0
	// keeps Kitex's default. Default 65535 (fixed, with InitialWindowSize).
	InitialConnWindowSize int `yaml:"initialConnWindowSize" help:"HTTP/2 connection window, bytes (0 = Kitex default, dynamic)"`
	// ReuseWriteBuffer pools the write flush buffer between connections
	// instead of keeping one per connection. Default true: it cut resident
	// memory per idle connection by 14 % (benchmarks/RESULTS.md).
	ReuseWriteBuffer bool `yaml:"reuseWriteBuffer" help:"pool HTTP/2 write buffers across connections"`
	// ReuseFramerBuffer pools the per-frame encoding buffer. Default true.
	ReuseFramerBuffer bool `yaml:"reuseFramerBuffer" help:"pool HTTP/2 frame encoding buffers across connections"`
	// TLS serves the listener over TLS (conf/security.go).
	TLS ListenerTLS `yaml:"tls"`
}

// HTTPConfig configures the Nacos 1.x HTTP API listener (context path
// /nacos), the UDP push socket and the 1.x beat rules.
type HTTPConfig struct {
	// Addr is the host:port to listen on. Default ":8848". Port 0 picks a
	// free port.
	Addr string `yaml:"addr" help:"HTTP listen address (Nacos 1.x API port)"`
	// MaxBodyBytes caps an HTTP request body; larger requests get 413.
	// Default 1048576 (1 MiB); must be within 1024..67108864.
	MaxBodyBytes int `yaml:"maxBodyBytes" help:"largest HTTP request body accepted, in bytes"`
	// UDPAddr is the local address of the socket that sends UDP pushes to
	// 1.x subscribers and reads their acks. Default ":0" (any free port;
	// clients answer to the datagram's source).
	UDPAddr string `yaml:"udpAddr" help:"UDP push socket address"`
	// UDPExpiry drops a UDP subscription not renewed by an instance list
	// query for this long (Nacos expires idle ip:port clients after 3 min).
	// Default 3m; must be >= 1s.
	UDPExpiry time.Duration `yaml:"udpExpiry" help:"drop a UDP subscription not renewed this long"`
	// UDPMaxSubscribers bounds the UDP subscribers (clientIP:udpPort
	// pairs). Beyond it, list queries are answered without subscribing, and
	// those clients fall back to polling. Default 100000; 1..10000000.
	UDPMaxSubscribers int `yaml:"udpMaxSubscribers" help:"most UDP subscribers; beyond it clients poll"`
	// BeatInterval is the clientBeatInterval answered to beats of
	// instances without preserved.heart.beat.interval. Default 5s; >= 100ms.
	BeatInterval time.Duration `yaml:"beatInterval" help:"beat interval told to 1.x clients"`
	// BeatTimeout marks a 1.x ephemeral instance unhealthy when it has not
	// beaten this long (metadata preserved.heart.beat.timeout overrides).
	// Default 15s; must be >= 10ms.
	BeatTimeout time.Duration `yaml:"beatTimeout" help:"mark a 1.x instance unhealthy after this long without a beat"`
	// BeatDeleteTimeout deletes a 1.x ephemeral instance that has not beaten
	// this long (metadata preserved.ip.delete.timeout overrides). Default
	// 30s; must be >= 10ms.
	BeatDeleteTimeout time.Duration `yaml:"beatDeleteTimeout" help:"delete a 1.x instance after this long without a beat"`
	// BeatCheckInterval is how often beat deadlines are checked. Default
	// 5s, as Nacos; must be >= 10ms.
	BeatCheckInterval time.Duration `yaml:"beatCheckInterval" help:"how often 1.x beat deadlines are checked"`
	// Users lists "username:password" pairs in plain text (legacy; prefer
	// auth.users, which holds hashes). Each is a global administrator, and
	// any user turns authentication on for both wires (see AuthConfig).
	Users []string `yaml:"users" help:"legacy plain username:password pairs (global admins); prefer auth.users"`
	// TokenTTL is how long a login token is valid, on both wires. Default
	// 18000s (5h), as Nacos; must be >= 1s.
	TokenTTL time.Duration `yaml:"tokenTtl" help:"lifetime of a login token (both wires)"`
	// TrustedProxies lists the networks (CIDR, or single IPs) of HTTP
	// proxies in front of Herald. UDP pushes go to the address a list
	// request came from; only a request from one of these networks may
	// name another host in clientIP. Default empty: clientIP is never
	// honoured, so no request can aim pushes at a third party.
	TrustedProxies []string `yaml:"trustedProxies" help:"proxy networks (CIDR) whose clientIP parameter is honoured for UDP pushes"`
	// TLS serves the listener over TLS (conf/security.go).
	TLS ListenerTLS `yaml:"tls"`
}

// AdminConfig configures Herald's own admin API listener.
type AdminConfig struct {
	// Addr is the host:port to listen on. Default "127.0.0.1:8850":
	// loopback, so the admin API is never exposed to clients by accident.
	// Port 0 picks a free port.
	Addr string `yaml:"addr" help:"admin API listen address (loopback by default)"`
	// Token, when set, is required on every admin request (API, stats,
	// metrics, console) as "Authorization: Bearer <token>" or the console's
	// session cookie; /livez and /readyz stay open for probes. At least 16
	// visible ASCII characters. Required (or TokenFile) when Addr is not
	// loopback-only. Default empty: no token, loopback only.
	Token string `yaml:"token" help:"admin bearer token (prefer tokenFile or the environment: flags show in ps)"`
	// TokenFile names a file holding the token, read at start (a trailing
	// newline is trimmed). At most one of Token and TokenFile.
	TokenFile string `yaml:"tokenFile" help:"file holding the admin bearer token, read at start"`
}

// UpstreamConfig selects the service registry behind Herald.
type UpstreamConfig struct {
	// Kind is "embedded" (the default, an in-process registry) or "nacos"
	// (an upstream Nacos cluster, or another Herald, reached over the Nacos
	// 2.x gRPC protocol at Servers).
	Kind string `yaml:"kind" help:"registry behind Herald: embedded|nacos"`
	// Servers are the upstream's gRPC addresses, host:port, for kind nacos
	// (at least one). Nacos's gRPC port is its HTTP port + 1000: 9848 for a
	// default server; for a Herald upstream, its grpc.addr port.
	Servers []string `yaml:"servers" help:"upstream Nacos gRPC addresses host:port (kind nacos; gRPC port, e.g. 9848)"`
	// Linger keeps an upstream subscription this long after the last local
	// subscriber left. Default 30s; 0..1h.
	Linger time.Duration `yaml:"linger" help:"keep an unused upstream subscription this long"`
	// RequestTimeout bounds each request to the upstream. Default 3s;
	// 100ms..1m.
	RequestTimeout time.Duration `yaml:"requestTimeout" help:"timeout of each upstream request"`
	// ResyncGrace is how long after a reconnect's redo a service may not
	// drop to zero instances (push-empty protection). Default 5s; 0..5m.
	ResyncGrace time.Duration `yaml:"resyncGrace" help:"after a reconnect, hold drops to zero instances this long"`
	// Username and Password log the link in to an upstream with auth on
	// (kind nacos), as a Nacos SDK does: POST /nacos/v1/auth/users/login
	// on LoginServers, the token sent as accessToken on every request and
	// renewed before it expires. Empty (the default): no credentials.
	Username string `yaml:"username" help:"upstream login user (kind nacos; upstream with auth on)"`
	Password string `yaml:"password" help:"upstream login password (prefer HERALD_UPSTREAM_PASSWORD: flags show in ps)"`
	// AccessToken is sent as is instead of logging in (at most one of it
	// and Username).
	AccessToken string `yaml:"accessToken" help:"upstream token sent instead of logging in"`
	// LoginServers are the upstream's HTTP host:port for logins. Default:
	// each of Servers at its port - 1000 (Nacos: 9848 -> 8848); a Herald
	// core needs its http.addr here unless that convention holds.
	LoginServers []string `yaml:"loginServers" help:"upstream HTTP host:port for logins (default: servers' port - 1000)"`
	// Embedded configures the embedded registry (kind "embedded"): where
	// persistent instances are kept and how they are health-checked.
	Embedded EmbeddedConfig `yaml:"embedded"`
	// Nacos configures the link of kind "nacos" (TLS).
	Nacos UpstreamNacosConfig `yaml:"nacos"`
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
	// MergeWindowMax lets a service that keeps changing merge longer:
	// each window opened within this long of the last push is twice the
	// last, up to this; after a quiet spell this long it is MergeWindow
	// again. Default 0: fixed windows, as Nacos (with 2s a burst of a
	// few changes through a core and an edge waited up to 4 s, where the
	// e2e suite expects 2); 2s made a drain storm's arrivals cost
	// 0.6-0.8x the CPU (benchmarks/RESULTS.md). Not above MergeWindow:
	// fixed windows.
	MergeWindowMax time.Duration `yaml:"mergeWindowMax" help:"longest merge window of a service that keeps changing (<= mergeWindow: fixed)"`
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
	// MaxSubscriptionsPerClient caps the subscriptions (service and
	// cluster filter pairs) one connection or UDP subscriber may hold, so
	// one client cannot make the gateway subscribe upstream without bound.
	// Default 10000; must be within 1..1000000.
	MaxSubscriptionsPerClient int `yaml:"maxSubscriptionsPerClient" help:"subscriptions one client may hold"`
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
	defaultHTTPBodyBytes   = 1 << 20
	defaultUDPAddr         = ":0"
	defaultUDPExpiry       = 3 * time.Minute
	defaultUDPMaxSubs      = 100000
	maxUDPMaxSubs          = 10000000
	defaultBeatInterval    = 5 * time.Second
	minBeatInterval        = 100 * time.Millisecond
	defaultBeatTimeout     = 15 * time.Second
	defaultBeatDelete      = 30 * time.Second
	defaultBeatCheck       = 5 * time.Second
	minBeatTiming          = 10 * time.Millisecond
	defaultTokenTTL        = 18000 * time.Second
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
	defaultGRPCTransport   = "event"
	maxGRPCBufferSize      = 16 << 20
	maxGRPCWindowSize      = 1 << 30
	defaultGRPCWindow      = 65535 // HTTP/2's initial window, fixed
	defaultMergeWindow     = 500 * time.Millisecond
	defaultMergeWindowMax  = 0 // fixed windows; see FanoutConfig.MergeWindowMax
	defaultWorkers         = 32
	maxWorkers             = 4096
	defaultRetryBase       = time.Second
	minRetryBase           = 10 * time.Millisecond
	defaultRetryMax        = 30 * time.Second
	defaultStallTimeout    = 3 * time.Minute
	minStallTimeout        = time.Second
	defaultMaxSubsPerConn  = 10000
	maxMaxSubsPerConn      = 1000000
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

	defaultLinger         = 30 * time.Second
	maxLinger             = time.Hour
	defaultRequestTimeout = 3 * time.Second
	minRequestTimeout     = 100 * time.Millisecond
	maxRequestTimeout     = time.Minute
	defaultResyncGrace    = 5 * time.Second
	maxResyncGrace        = 5 * time.Minute

	// UpstreamEmbedded is the in-process registry.
	UpstreamEmbedded = "embedded"
	// UpstreamNacos fronts a Nacos cluster (or another Herald) over the
	// Nacos 2.x gRPC protocol.
	UpstreamNacos = "nacos"
)

// Default returns a Config with every field set to its default. It always
// passes Validate.
func Default() Config {
	return Config{
		Node: defaultNodeName(),
		GRPC: GRPCConfig{
			Addr: defaultGRPCAddr, MaxMessageBytes: defaultMaxMessageBytes, Transport: defaultGRPCTransport,
			WriteBufferSize: defaultGRPCBufferSize, ReadBufferSize: defaultGRPCBufferSize,
			InitialWindowSize: defaultGRPCWindow, InitialConnWindowSize: defaultGRPCWindow,
			ReuseWriteBuffer: true, ReuseFramerBuffer: true,
		},
		HTTP: HTTPConfig{
			Addr: defaultHTTPAddr, MaxBodyBytes: defaultHTTPBodyBytes, UDPAddr: defaultUDPAddr,
			UDPExpiry: defaultUDPExpiry, UDPMaxSubscribers: defaultUDPMaxSubs, BeatInterval: defaultBeatInterval,
			BeatTimeout: defaultBeatTimeout, BeatDeleteTimeout: defaultBeatDelete,
			BeatCheckInterval: defaultBeatCheck, Users: []string{}, TokenTTL: defaultTokenTTL,
			TrustedProxies: []string{},
		},
		Admin: AdminConfig{Addr: defaultAdminAddr},
		Upstream: UpstreamConfig{
			Kind: UpstreamEmbedded, Servers: []string{}, Linger: defaultLinger,
			RequestTimeout: defaultRequestTimeout, ResyncGrace: defaultResyncGrace, LoginServers: []string{},
			Embedded: defaultEmbedded(),
		},
		Config: defaultConfigCenter(),
		Session: SessionConfig{
			IdleTimeout:   defaultIdleTimeout,
			DetectTimeout: defaultDetectTimeout,
			PushQueue:     defaultPushQueue,
			AckTimeout:    defaultAckTimeout,
		},
		Fanout: FanoutConfig{
			MergeWindow:    defaultMergeWindow,
			MergeWindowMax: defaultMergeWindowMax,
			Workers:        defaultWorkers,
			RetryBase:      defaultRetryBase,
			RetryMax:       defaultRetryMax,
			StallTimeout:   defaultStallTimeout,

			MaxSubscriptionsPerClient: defaultMaxSubsPerConn,
		},
		Tracker: TrackerConfig{
			Redis:         []string{},
			Retention:     defaultRetention,
			Buffer:        defaultTrackBuffer,
			Backlog:       defaultTrackBacklog,
			MemoryRecords: defaultMemoryRecords,
		},
		Log:  LogConfig{Level: "info", Format: "text"},
		Auth: AuthConfig{Users: []string{}, Roles: []string{}, Permissions: []string{}},
		Telemetry: TelemetryConfig{Traces: TracesConfig{
			Protocol: defaultTraceProtocol, Sampler: defaultTraceSampler,
			Ratio: defaultTraceRatio, ExportInterval: defaultExportInterval,
		}},
		Limits: defaultLimits(),
		Fleet:  defaultFleet(),
	}
}

// defaultNodeName is the host name, or "herald" if it is unavailable.
func defaultNodeName() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return defaultNode
}
