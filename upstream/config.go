package upstream

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"slices"
	"time"
)

// Configuration: the Nacos config center's data model (NACOS_PROTOCOL.md
// A.9, B.5), the store interface the gateway and fanout consume, and the
// name rules. The embedded store is config_store*.go; the Nacos link
// implements the same interface against an upstream.

// ConfigKey names a configuration. Namespace (Nacos "tenant") "" is
// normalised to "public" by Normalize, Group "" to DEFAULT_GROUP.
type ConfigKey struct {
	Namespace string
	Group     string
	DataID    string
}

// Normalize returns the key with blank namespace and group defaulted.
func (k ConfigKey) Normalize() ConfigKey {
	if k.Namespace == "" {
		k.Namespace = PublicNamespace
	}
	if k.Group == "" {
		k.Group = DefaultGroup
	}
	return k
}

// String is "namespace/group/dataId", for logs and errors.
func (k ConfigKey) String() string { return k.Namespace + "/" + k.Group + "/" + k.DataID }

// DefaultConfigType is the type of content published without one.
const DefaultConfigType = "text"

// DefaultMaxConfigBytes is the largest content accepted by default, as
// Nacos's maxContent (10 MiB).
const DefaultMaxConfigBytes = 10 << 20

// ConfigItem is one stored content: the normal content of a configuration
// or its beta (gray) content.
type ConfigItem struct {
	Content string
	// Md5 is the lowercase hex MD5 of Content's UTF-8 bytes.
	Md5 string
	// EncryptedDataKey is stored and echoed as given.
	EncryptedDataKey string
	// LastModified is when it was published, epoch milliseconds.
	LastModified int64
}

// Md5Hex is the lowercase hex MD5 of s's bytes, as Nacos's MD5Utils.
func Md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Beta is gray content served only to the client IPs listed.
type Beta struct {
	ConfigItem
	IPs []string
}

// Config is one configuration as stored: its normal content with the
// publish's metadata and, optionally, beta content. Configs are shared
// between goroutines: never modify one.
type Config struct {
	Key ConfigKey
	ConfigItem
	Type    string // text, json, yaml, properties, xml, html, ...
	AppName string
	SrcIP   string // the publisher's address
	SrcUser string // the publisher's user, when authenticated
	Beta    *Beta  // nil when no beta is published
}

// ConfigState is an immutable snapshot of one key: the configuration, or
// nil when it does not exist, and the revision at which it was taken.
// Revisions of one key strictly increase; they are Herald's own and never
// sent to clients.
type ConfigState struct {
	Key      ConfigKey
	Revision int64
	Changed  time.Time // when the store made this revision (zero when unknown)
	Config   *Config
	// Cached is set on a GetConfig answered from an edge's copy of the
	// upstream's content (nacoslink, listened and in sync), not read from
	// the source; push tracking records it on the content served.
	Cached bool
}

// For returns what the client at ip is served: the beta content when ip
// is one of its beta IPs, else the normal content; nil when the key does
// not exist.
func (s ConfigState) For(ip string) (item *ConfigItem, beta bool) {
	c := s.Config
	if c == nil {
		return nil, false
	}
	if c.Beta != nil && ip != "" && slices.Contains(c.Beta.IPs, ip) {
		return &c.Beta.ConfigItem, true
	}
	return &c.ConfigItem, false
}

// Md5For is the md5 of what the client at ip is served ("" when the key
// does not exist: a client holding nothing is in sync with it).
func (s ConfigState) Md5For(ip string) string {
	if item, _ := s.For(ip); item != nil {
		return item.Md5
	}
	return ""
}

// ConfigPublish is one publish: the content, and how it was sent.
type ConfigPublish struct {
	Key              ConfigKey
	Content          string
	CasMd5           string   // "" publishes unconditionally; else the current md5 must equal it
	Type             string   // default DefaultConfigType
	AppName          string   // optional
	EncryptedDataKey string   // stored and echoed as given
	BetaIPs          []string // non-empty: a beta publish, served only to these IPs
	SrcIP, SrcUser   string   // who published
}

// ConfigRemove is one remove. Beta removes only the beta content (stops
// the gray release); otherwise the configuration and its beta go.
type ConfigRemove struct {
	Key            ConfigKey
	Beta           bool
	SrcIP, SrcUser string
}

// ConfigOp is what a history entry records.
type ConfigOp string

// History operations, as Nacos's opType.
const (
	OpInsert ConfigOp = "I"
	OpUpdate ConfigOp = "U"
	OpDelete ConfigOp = "D"
)

// HistoryEntry is one publish or remove of a configuration.
type HistoryEntry struct {
	ID               int64     `json:"id"`
	Key              ConfigKey `json:"-"`
	Op               ConfigOp  `json:"op"`
	Beta             bool      `json:"beta,omitempty"`
	Content          string    `json:"content"`
	Md5              string    `json:"md5"`
	Type             string    `json:"type,omitempty"`
	AppName          string    `json:"appName,omitempty"`
	EncryptedDataKey string    `json:"encryptedDataKey,omitempty"`
	SrcIP            string    `json:"srcIp,omitempty"`
	SrcUser          string    `json:"srcUser,omitempty"`
	Time             int64     `json:"time"` // epoch ms
}

// Errors of a ConfigStore.
var (
	// ErrCasMismatch refuses a compare-and-set publish whose casMd5 is not
	// the current md5.
	ErrCasMismatch = errors.New("cas publish failed: the config's md5 has changed")
	// ErrNotSupported is returned for what a store cannot do (history
	// through an edge: the upstream keeps it).
	ErrNotSupported = errors.New("not supported by this config store")
)

// ConfigStore is everything the gateway and fanout need from a config
// center. Implementations are safe for concurrent use. Keys are
// normalised by the store; invalid input returns an error wrapping
// ErrInvalid (a *FieldError naming the field) and changes nothing.
type ConfigStore interface {
	// GetConfig returns the current state of key (Config nil when absent).
	GetConfig(ctx context.Context, key ConfigKey) (ConfigState, error)
	// PublishConfig stores content as the key's normal content, or with
	// BetaIPs as its beta content, and returns the new state. It returns
	// when the change is durable and its watchers have been offered it.
	PublishConfig(ctx context.Context, p ConfigPublish) (ConfigState, error)
	// RemoveConfig removes the key (or its beta). Removing what does not
	// exist is not an error.
	RemoveConfig(ctx context.Context, r ConfigRemove) (ConfigState, error)
	// WatchConfig calls notify with the current state of key, then with
	// every newer one, in strictly increasing revision order, from a
	// goroutine the store owns; bursts collapse into the latest. After
	// cancel returns notify is not started again.
	WatchConfig(key ConfigKey, notify func(ConfigState)) (cancel func(), err error)
	// ConfigHistory returns one page (pageNo from 1) of the key's history,
	// newest first, and the total count.
	ConfigHistory(ctx context.Context, key ConfigKey, pageNo, pageSize int) (total int, page []HistoryEntry, err error)
	// ConfigHistoryEntry returns one history entry of the key by id.
	ConfigHistoryEntry(ctx context.Context, key ConfigKey, id int64) (HistoryEntry, bool, error)
	// SearchConfigs returns the states of one page of the configurations
	// q finds, in a stable order, and how many it finds in all.
	SearchConfigs(ctx context.Context, q ConfigSearch) (total int, page []ConfigState, err error)
}
