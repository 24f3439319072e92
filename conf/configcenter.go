package conf

import "time"

// ConfigCenterConfig configures the Nacos configuration center Herald
// serves (gRPC Config* requests and /nacos/v1/cs). With upstream.kind
// embedded, configurations are kept in upstream.embedded.dataDir/config.
type ConfigCenterConfig struct {
	// MaxContentBytes bounds a configuration's content (UTF-8 bytes);
	// larger publishes are refused with errorCode 400 / HTTP 400. Default
	// 10485760 (10 MiB, Nacos's maxContent); 1..67108864. A gRPC publish
	// is also bounded by grpc.maxMessageBytes, an HTTP one by
	// http.maxBodyBytes.
	MaxContentBytes int `yaml:"maxContentBytes" help:"largest configuration content, bytes"`
	// HistoryLimit is how many publishes and removes of one configuration
	// the embedded store keeps (GET /nacos/v1/cs/history). Default 100;
	// 1..100000.
	HistoryLimit int `yaml:"historyLimit" help:"history entries kept per configuration"`
	// PushMaxAttempts bounds the attempts of one ConfigChangeNotifyRequest
	// a client never acknowledges (retried with fanout.retryBase doubling
	// to fanout.retryMax); then the push is given up and recorded dropped,
	// and the connection stays. Default 10; 1..1000.
	PushMaxAttempts int `yaml:"pushMaxAttempts" help:"attempts of an unacknowledged config push before it is given up"`
	// PushConfirmTimeout: a client that acknowledges a config push must
	// also listen to the key again within this long (as the SDKs do at
	// once), or the push counts as failed and is retried (bounded by
	// pushMaxAttempts). It repairs an SDK that acks and then loses track of
	// the change. Default 5s; 0 takes the acknowledgement as final; at most
	// 1m.
	PushConfirmTimeout time.Duration `yaml:"pushConfirmTimeout" help:"a config push acked but not followed by a listen within this is retried (0 = off)"`
	// MaxLongPolls bounds the HTTP long polls (POST
	// /nacos/v1/cs/configs/listener) held at once; beyond it a poll is
	// answered 503 at once and the client retries. Default 10000;
	// 1..1000000.
	MaxLongPolls int `yaml:"maxLongPolls" help:"HTTP config long polls held at once"`
}

// Defaults and limits of ConfigCenterConfig.
const (
	defaultMaxContentBytes = 10 << 20
	maxMaxContentBytes     = 64 << 20
	defaultHistoryLimit    = 100
	maxHistoryLimit        = 100000
	defaultPushMaxAttempts = 10
	maxPushMaxAttempts     = 1000
	defaultMaxLongPolls    = 10000
	defaultConfirmTimeout  = 5 * time.Second
	maxConfirmTimeout      = time.Minute
	maxMaxLongPolls        = 1000000
)

func defaultConfigCenter() ConfigCenterConfig {
	return ConfigCenterConfig{MaxContentBytes: defaultMaxContentBytes, HistoryLimit: defaultHistoryLimit,
		PushMaxAttempts: defaultPushMaxAttempts, MaxLongPolls: defaultMaxLongPolls,
		PushConfirmTimeout: defaultConfirmTimeout}
}

// validateConfigCenter checks the config section.
func (c *Config) validateConfigCenter(add func(error)) {
	cc := c.Config
	add(intRange("config.maxContentBytes", cc.MaxContentBytes, 1, maxMaxContentBytes))
	add(intRange("config.historyLimit", cc.HistoryLimit, 1, maxHistoryLimit))
	add(intRange("config.pushMaxAttempts", cc.PushMaxAttempts, 1, maxPushMaxAttempts))
	add(intRange("config.maxLongPolls", cc.MaxLongPolls, 1, maxMaxLongPolls))
	add(minDuration("config.pushConfirmTimeout", cc.PushConfirmTimeout, 0))
	if cc.PushConfirmTimeout > maxConfirmTimeout {
		add(fieldErrorf("config.pushConfirmTimeout", "must be at most %s, got %s", maxConfirmTimeout, cc.PushConfirmTimeout))
	}
}
