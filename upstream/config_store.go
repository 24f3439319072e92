package upstream

// The embedded config store: Herald's own ConfigStore, used when no Nacos
// cluster sits behind it.
//
// Data layout. EmbeddedConfig.entries maps a normalised ConfigKey to an
// entry: its current state (immutable, shared) and its watchers (mailboxes).
// An entry exists while the key has a configuration or watchers.
//
// Revisions come from one counter for the whole store, max(now in ms, last
// + 1), so every key's revisions strictly increase, across removes and
// re-creations too, and the state of an absent key carries the counter's
// current value (above anything the key had before).
//
// Writes. A publish or remove of one key is serialised with the other
// writes of that key by a striped lock (keyLocks), not by mu: the new state
// is computed under mu held shared, made durable (config_files.go: the
// key's file rewritten atomically, its history appended, both fsynced)
// with no store lock held, and only then installed and handed to the
// watchers under mu held exclusively. Writes of different keys proceed in
// parallel, and readers never wait for a disk.

import (
	"context"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"sync"
	"time"
)

var _ ConfigStore = (*EmbeddedConfig)(nil)

// ConfigOptions configure an embedded config store.
type ConfigOptions struct {
	// DataDir keeps every configuration and its history ("" = memory
	// only). The daemon locks it (LockDataDir) before opening the store.
	DataDir string
	// MaxContentBytes bounds a content; default DefaultMaxConfigBytes.
	MaxContentBytes int
	// HistoryLimit is how many history entries are kept per key; default
	// DefaultHistoryLimit.
	HistoryLimit int
	Now          func() time.Time
	Logger       *slog.Logger
}

// DefaultHistoryLimit is how many publishes and removes of one key the
// embedded store keeps by default.
const DefaultHistoryLimit = 100

func (o *ConfigOptions) defaults() {
	if o.MaxContentBytes <= 0 {
		o.MaxContentBytes = DefaultMaxConfigBytes
	}
	if o.HistoryLimit <= 0 {
		o.HistoryLimit = DefaultHistoryLimit
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// EmbeddedConfig is the embedded ConfigStore. Create it with
// OpenEmbeddedConfig; it is safe for concurrent use.
type EmbeddedConfig struct {
	opts    ConfigOptions
	files   *configFiles // nil: memory only
	history historyLog
	seed    maphash.Seed
	// keyLocks serialise the writes of one key (striped by key hash).
	keyLocks [64]sync.Mutex

	// mu protects entries, rev and closed.
	mu      sync.RWMutex
	entries map[ConfigKey]*configEntry
	rev     int64
	closed  bool
}

type configEntry struct {
	state ConfigState
	subs  map[*Mailbox[ConfigState]]struct{}
}

// OpenEmbeddedConfig returns an embedded config store, loading what an
// earlier store saved in o.DataDir; a file that cannot be read or parsed is
// an error naming it, never silently dropped.
func OpenEmbeddedConfig(o ConfigOptions) (*EmbeddedConfig, error) {
	o.defaults()
	s := &EmbeddedConfig{opts: o, seed: maphash.MakeSeed(), entries: make(map[ConfigKey]*configEntry)}
	if o.DataDir == "" {
		s.history = newMemHistory(o.HistoryLimit)
		return s, nil
	}
	s.files = newConfigFiles(o.DataDir, o.HistoryLimit)
	s.history = s.files
	loaded, err := s.files.load()
	if err != nil {
		return nil, err
	}
	now := o.Now()
	for _, c := range loaded {
		s.entries[c.Key] = &configEntry{state: ConfigState{Key: c.Key, Revision: s.nextRev(), Changed: now, Config: c}}
	}
	return s, nil
}

// nextRev is the next revision. Callers hold mu, or own s exclusively.
func (s *EmbeddedConfig) nextRev() int64 {
	s.rev = max(s.opts.Now().UnixMilli(), s.rev+1)
	return s.rev
}

// Close stops every watch. Later calls return ErrClosed.
func (s *EmbeddedConfig) Close() error {
	var boxes []*Mailbox[ConfigState]
	s.mu.Lock()
	s.closed = true
	for _, ent := range s.entries {
		for b := range ent.subs {
			boxes = append(boxes, b)
		}
		ent.subs = nil
	}
	s.mu.Unlock()
	for _, b := range boxes {
		b.Stop()
	}
	return nil
}

// GetConfig implements ConfigStore.
func (s *EmbeddedConfig) GetConfig(ctx context.Context, key ConfigKey) (ConfigState, error) {
	key = key.Normalize()
	if err := ValidateConfigKey(key); err != nil {
		return ConfigState{}, fmt.Errorf("get config %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return ConfigState{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ConfigState{}, ErrClosed
	}
	if ent := s.entries[key]; ent != nil {
		return ent.state, nil
	}
	return ConfigState{Key: key, Revision: s.rev}, nil
}

// lockKey takes the write lock of key and returns its unlock.
func (s *EmbeddedConfig) lockKey(key ConfigKey) func() {
	h := maphash.Comparable(s.seed, key)
	m := &s.keyLocks[h%uint64(len(s.keyLocks))]
	m.Lock()
	return m.Unlock
}

// PublishConfig implements ConfigStore.
func (s *EmbeddedConfig) PublishConfig(ctx context.Context, p ConfigPublish) (ConfigState, error) {
	p.Key = p.Key.Normalize()
	if err := ValidateConfigPublish(p, s.opts.MaxContentBytes); err != nil {
		return ConfigState{}, fmt.Errorf("publish config %s: %w", p.Key, err)
	}
	defer s.lockKey(p.Key)()
	cur, err := s.GetConfig(ctx, p.Key)
	if err != nil {
		return ConfigState{}, err
	}
	next, entry, err := publishedConfig(cur.Config, p, s.opts.Now())
	if err != nil {
		return ConfigState{}, fmt.Errorf("publish config %s: %w", p.Key, err)
	}
	return s.commit(p.Key, next, entry)
}

// publishedConfig is the configuration after publish p on cur (nil when
// absent), and its history entry.
func publishedConfig(cur *Config, p ConfigPublish, now time.Time) (*Config, HistoryEntry, error) {
	if p.CasMd5 != "" && (cur == nil || cur.Md5 != p.CasMd5) {
		return nil, HistoryEntry{}, ErrCasMismatch
	}
	item := ConfigItem{Content: p.Content, Md5: Md5Hex(p.Content), EncryptedDataKey: p.EncryptedDataKey,
		LastModified: now.UnixMilli()}
	e := HistoryEntry{Key: p.Key, Op: OpUpdate, Content: p.Content, Md5: item.Md5, Type: p.Type, AppName: p.AppName,
		EncryptedDataKey: p.EncryptedDataKey, SrcIP: p.SrcIP, SrcUser: p.SrcUser, Time: item.LastModified}
	if len(p.BetaIPs) > 0 {
		if cur == nil {
			return nil, HistoryEntry{}, invalid("betaIps", "a beta is published over an existing config; publish the config first")
		}
		next := *cur
		next.Beta = &Beta{ConfigItem: item, IPs: slices.Clone(p.BetaIPs)}
		e.Beta = true
		return &next, e, nil
	}
	typ := p.Type
	if typ == "" {
		typ = DefaultConfigType
	}
	next := &Config{Key: p.Key, ConfigItem: item, Type: typ, AppName: p.AppName, SrcIP: p.SrcIP, SrcUser: p.SrcUser}
	if cur == nil {
		e.Op = OpInsert
	} else {
		next.Beta = cur.Beta
	}
	e.Type = typ
	return next, e, nil
}

// RemoveConfig implements ConfigStore.
func (s *EmbeddedConfig) RemoveConfig(ctx context.Context, r ConfigRemove) (ConfigState, error) {
	r.Key = r.Key.Normalize()
	if err := ValidateConfigKey(r.Key); err != nil {
		return ConfigState{}, fmt.Errorf("remove config %s: %w", r.Key, err)
	}
	defer s.lockKey(r.Key)()
	cur, err := s.GetConfig(ctx, r.Key)
	if err != nil || cur.Config == nil || r.Beta && cur.Config.Beta == nil {
		return cur, err // nothing to remove
	}
	c := cur.Config
	e := HistoryEntry{Key: r.Key, Op: OpDelete, Beta: r.Beta, Content: c.Content, Md5: c.Md5, Type: c.Type,
		AppName: c.AppName, EncryptedDataKey: c.EncryptedDataKey, SrcIP: r.SrcIP, SrcUser: r.SrcUser,
		Time: s.opts.Now().UnixMilli()}
	var next *Config
	if r.Beta {
		cp := *c
		cp.Beta = nil
		next = &cp
		e.Content, e.Md5, e.EncryptedDataKey = c.Beta.Content, c.Beta.Md5, c.Beta.EncryptedDataKey
	}
	return s.commit(r.Key, next, e)
}

// commit makes next (nil = removed) durable with its history entry, then
// installs it and hands it to the key's watchers. The caller holds the
// key's write lock.
func (s *EmbeddedConfig) commit(key ConfigKey, next *Config, e HistoryEntry) (ConfigState, error) {
	if s.files != nil {
		if err := s.files.save(key, next); err != nil {
			return ConfigState{}, fmt.Errorf("config %s not changed: %w", key, err)
		}
	}
	if err := s.history.append(e); err != nil {
		s.opts.Logger.Error("config history not written", "config", key.String(), "err", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ConfigState{}, ErrClosed
	}
	st := ConfigState{Key: key, Revision: s.nextRev(), Changed: s.opts.Now(), Config: next}
	ent := s.entries[key]
	if ent == nil {
		ent = &configEntry{}
		s.entries[key] = ent
	}
	ent.state = st
	for b := range ent.subs {
		b.Offer(st)
	}
	s.dropIfUnused(key, ent)
	return st, nil
}

// dropIfUnused deletes an entry without configuration or watchers.
// Callers hold mu exclusively.
func (s *EmbeddedConfig) dropIfUnused(key ConfigKey, ent *configEntry) {
	if ent.state.Config == nil && len(ent.subs) == 0 {
		delete(s.entries, key)
	}
}

// WatchConfig implements ConfigStore.
func (s *EmbeddedConfig) WatchConfig(key ConfigKey, notify func(ConfigState)) (func(), error) {
	key = key.Normalize()
	if err := ValidateConfigKey(key); err != nil {
		return nil, fmt.Errorf("watch config %s: %w", key, err)
	}
	b := NewConfigMailbox(notify)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	ent := s.entries[key]
	if ent == nil {
		ent = &configEntry{state: ConfigState{Key: key, Revision: s.rev}}
		s.entries[key] = ent
	}
	if ent.subs == nil {
		ent.subs = make(map[*Mailbox[ConfigState]]struct{})
	}
	ent.subs[b] = struct{}{}
	b.Offer(ent.state)
	s.mu.Unlock()
	go b.Run()
	return func() {
		s.mu.Lock()
		if ent := s.entries[key]; ent != nil {
			delete(ent.subs, b)
			s.dropIfUnused(key, ent)
		}
		s.mu.Unlock()
		b.Stop()
	}, nil
}

// ConfigHistory implements ConfigStore.
func (s *EmbeddedConfig) ConfigHistory(_ context.Context, key ConfigKey, pageNo, pageSize int) (int, []HistoryEntry, error) {
	key = key.Normalize()
	if err := ValidateConfigKey(key); err != nil {
		return 0, nil, fmt.Errorf("config history %s: %w", key, err)
	}
	return s.history.page(key, pageNo, pageSize)
}

// ConfigHistoryEntry implements ConfigStore.
func (s *EmbeddedConfig) ConfigHistoryEntry(_ context.Context, key ConfigKey, id int64) (HistoryEntry, bool, error) {
	key = key.Normalize()
	if err := ValidateConfigKey(key); err != nil {
		return HistoryEntry{}, false, fmt.Errorf("config history %s: %w", key, err)
	}
	return s.history.entry(key, id)
}
