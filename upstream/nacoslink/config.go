package nacoslink

// The link's config center: an upstream.ConfigStore backed by the
// upstream's config requests (NACOS_PROTOCOL.md A.9).
//
// Coalescing: one upstream listen per config key, however many local
// watchers (client listeners) it has; the link caches each listened key's
// content and md5 and answers local reads from that cache while it is in
// sync. A ConfigChangeNotifyRequest from the upstream marks the key dirty
// and the run loop queries it once (one upstream query per change, not one
// per client); the new content is then offered to every local watcher.
//
// While the upstream is unreachable nothing is notified and every cached
// key keeps its last known content, so a client is never told that a
// config vanished because the upstream cannot be reached. After a
// reconnect every listened key is listened again with its cached md5, and
// what changed meanwhile is queried. Publishes and removes are forwarded;
// history stays upstream (ErrNotSupported here).

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/upstream"
)

var _ upstream.ConfigStore = (*Link)(nil)

// configWatch is the link's one upstream listen of a config key and its
// local watchers. Its fields are protected by Link.mu.
type configWatch struct {
	key       upstream.ConfigKey
	boxes     map[*upstream.Mailbox[upstream.ConfigState]]struct{}
	idleSince time.Time             // last local watcher left (zero while used)
	listening bool                  // listened on the current session
	dirty     bool                  // the upstream may hold newer content: query it
	state     *upstream.ConfigState // last known (nil before the first answer)
	ready     chan struct{}         // closed when state is first set
	failures  int                   // upstream listens or queries failed in a row
	retryAt   time.Time             // no new attempt before this
	pushes    uint64                // upstream change notifications received
}

func newConfigWatch(key upstream.ConfigKey) *configWatch {
	return &configWatch{key: key, boxes: make(map[*upstream.Mailbox[upstream.ConfigState]]struct{}),
		ready: make(chan struct{})}
}

// inSync reports whether the cache may answer for the key. Callers hold
// mu.
func (w *configWatch) inSync(connected bool) bool {
	return connected && w.listening && !w.dirty && w.state != nil
}

// md5 is the md5 of the cached normal content ("" when absent or unknown).
func (w *configWatch) md5() string {
	if w.state == nil || w.state.Config == nil {
		return ""
	}
	return w.state.Config.Md5
}

// upstreamTenant is the tenant sent upstream: "" for the public namespace,
// which every Nacos version reads as public.
func upstreamTenant(ns string) string {
	if ns == upstream.PublicNamespace {
		return ""
	}
	return ns
}

func configRequest(key upstream.ConfigKey) nacoswire.ConfigRequest {
	return nacoswire.ConfigRequest{Request: nacoswire.Request{Module: "config"},
		DataID: key.DataID, Group: key.Group, Tenant: upstreamTenant(key.Namespace)}
}

// WatchConfig implements upstream.ConfigStore. It never waits for the
// network: the first local watcher of a key registers it here and the run
// loop listens upstream; later ones share that listen and get the cached
// state at once.
func (l *Link) WatchConfig(key upstream.ConfigKey, notify func(upstream.ConfigState)) (func(), error) {
	key = key.Normalize()
	if err := upstream.ValidateConfigKey(key); err != nil {
		return nil, fmt.Errorf("watch config %s: %w", key, err)
	}
	b := upstream.NewConfigMailbox(notify)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, fmt.Errorf("watch config %s: %w", key, upstream.ErrClosed)
	}
	w := l.cfgs[key]
	fresh := w == nil
	if fresh {
		w = newConfigWatch(key)
		l.cfgs[key] = w
	}
	w.boxes[b] = struct{}{}
	w.idleSince = time.Time{}
	if w.state != nil {
		b.Offer(*w.state)
	}
	l.mu.Unlock()
	go b.Run()
	if fresh {
		l.wake()
	}
	return func() { l.unwatchConfig(w, b) }, nil
}

// unwatchConfig removes one local watcher; the last one starts the linger.
func (l *Link) unwatchConfig(w *configWatch, b *upstream.Mailbox[upstream.ConfigState]) {
	l.mu.Lock()
	if _, ok := w.boxes[b]; ok {
		delete(w.boxes, b)
		if len(w.boxes) == 0 {
			w.idleSince = l.now()
		}
	}
	l.mu.Unlock()
	b.Stop()
	l.wake()
}

// GetConfig implements upstream.ConfigStore: the cached state of a
// listened key in sync; else it waits (bounded) for a new listen's first
// answer, or queries the upstream. With the upstream down, a listened key
// answers its last known state and any other key ErrUnavailable.
func (l *Link) GetConfig(ctx context.Context, key upstream.ConfigKey) (upstream.ConfigState, error) {
	key = key.Normalize()
	if err := upstream.ValidateConfigKey(key); err != nil {
		return upstream.ConfigState{}, fmt.Errorf("get config %s: %w", key, err)
	}
	l.mu.Lock()
	w, s := l.cfgs[key], l.sess
	switch {
	case w != nil && w.inSync(s != nil), w != nil && s == nil && w.state != nil:
		st := *w.state
		l.mu.Unlock()
		st.Cached = true
		return st, nil
	case s == nil:
		l.mu.Unlock()
		return upstream.ConfigState{}, fmt.Errorf("get config %s: %w", key, ErrUnavailable)
	}
	first := w != nil && w.state == nil
	l.mu.Unlock()
	if first {
		if st, ok := l.waitConfig(ctx, w); ok {
			return st, nil
		}
	}
	item, err := l.queryConfig(ctx, s, key)
	if err != nil {
		return upstream.ConfigState{}, err
	}
	return upstream.ConfigState{Key: key, Revision: l.nextConfigRev(), Changed: l.now(), Config: item}, nil
}

// waitConfig waits for w's first state.
func (l *Link) waitConfig(ctx context.Context, w *configWatch) (upstream.ConfigState, bool) {
	t := time.NewTimer(l.opts.RequestTimeout)
	defer t.Stop()
	select {
	case <-w.ready:
	case <-ctx.Done():
	case <-t.C:
	case <-l.stop:
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if w.state == nil {
		return upstream.ConfigState{}, false
	}
	return *w.state, true
}

// nextConfigRev is the next revision of a config state the link makes:
// max(now in ms, last + 1), one counter for every key.
func (l *Link) nextConfigRev() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nextConfigRevLocked()
}

func (l *Link) nextConfigRevLocked() int64 {
	l.cfgRev = max(l.now().UnixMilli(), l.cfgRev+1)
	return l.cfgRev
}

// queryConfig sends ConfigQueryRequest; an absent config is (nil, nil).
func (l *Link) queryConfig(ctx context.Context, s *session, key upstream.ConfigKey) (*upstream.Config, error) {
	var resp nacoswire.ConfigQueryResponse
	err := s.call(ctx, nacoswire.TypeConfigQueryRequest, nacoswire.ConfigQueryRequest{ConfigRequest: configRequest(key)}, &resp)
	l.mu.Lock()
	l.count.ConfigQueries++
	l.mu.Unlock()
	var e *Error
	if errors.As(err, &e) && e.Code == nacoswire.ErrConfigNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("query config %s: %w", key, err)
	}
	typ := resp.ContentType
	if typ == "" {
		typ = upstream.DefaultConfigType
	}
	md5 := resp.Md5
	if md5 == "" {
		md5 = upstream.Md5Hex(resp.Content)
	}
	return &upstream.Config{Key: key, Type: typ, ConfigItem: upstream.ConfigItem{Content: resp.Content, Md5: md5,
		EncryptedDataKey: resp.EncryptedDataKey, LastModified: resp.LastModified}}, nil
}

// PublishConfig implements upstream.ConfigStore: forwarded upstream (the
// link keeps nothing to redo); the listened key is re-read before the next
// local read is answered, so the publisher reads its own write.
func (l *Link) PublishConfig(ctx context.Context, p upstream.ConfigPublish) (upstream.ConfigState, error) {
	p.Key = p.Key.Normalize()
	if err := upstream.ValidateConfigPublish(p, l.opts.MaxConfigBytes); err != nil {
		return upstream.ConfigState{}, fmt.Errorf("publish config %s: %w", p.Key, err)
	}
	add := map[string]string{}
	for k, v := range map[string]string{"type": p.Type, "appName": p.AppName, "encryptedDataKey": p.EncryptedDataKey,
		"src_user": p.SrcUser, "betaIps": strings.Join(p.BetaIPs, ",")} {
		if v != "" {
			add[k] = v
		}
	}
	req := nacoswire.ConfigPublishRequest{ConfigRequest: configRequest(p.Key), Content: p.Content, CasMd5: p.CasMd5, AdditionMap: add}
	if err := l.forwardConfig(ctx, p.Key, nacoswire.TypeConfigPublishRequest, req); err != nil {
		return upstream.ConfigState{}, fmt.Errorf("publish config %s: %w", p.Key, err)
	}
	return l.GetConfig(ctx, p.Key)
}

// RemoveConfig implements upstream.ConfigStore: forwarded upstream. A
// beta remove is not part of the Nacos 2.x gRPC protocol.
func (l *Link) RemoveConfig(ctx context.Context, r upstream.ConfigRemove) (upstream.ConfigState, error) {
	r.Key = r.Key.Normalize()
	if err := upstream.ValidateConfigKey(r.Key); err != nil {
		return upstream.ConfigState{}, fmt.Errorf("remove config %s: %w", r.Key, err)
	}
	if r.Beta {
		return upstream.ConfigState{}, fmt.Errorf("remove config %s beta through an edge: %w", r.Key, upstream.ErrNotSupported)
	}
	req := nacoswire.ConfigRemoveRequest{ConfigRequest: configRequest(r.Key)}
	if err := l.forwardConfig(ctx, r.Key, nacoswire.TypeConfigRemoveRequest, req); err != nil {
		return upstream.ConfigState{}, fmt.Errorf("remove config %s: %w", r.Key, err)
	}
	return l.GetConfig(ctx, r.Key)
}

// forwardConfig sends a publish or remove and marks the key dirty.
func (l *Link) forwardConfig(ctx context.Context, key upstream.ConfigKey, typ string, body any) error {
	l.mu.Lock()
	s := l.sess
	l.mu.Unlock()
	if s == nil {
		return errUpstreamDown
	}
	err := s.call(ctx, typ, body, nil)
	l.mu.Lock()
	if w := l.cfgs[key]; w != nil && err == nil {
		w.dirty = true
	}
	l.mu.Unlock()
	if err == nil {
		l.wake()
	}
	return err
}

// ConfigHistory implements upstream.ConfigStore: the upstream keeps it.
func (l *Link) ConfigHistory(context.Context, upstream.ConfigKey, int, int) (int, []upstream.HistoryEntry, error) {
	return 0, nil, fmt.Errorf("config history is kept by the upstream: %w", upstream.ErrNotSupported)
}

// SearchConfigs implements upstream.ConfigStore: Nacos 2.x has no search
// request on the gRPC wire the link speaks (its SDKs search over HTTP).
func (l *Link) SearchConfigs(context.Context, upstream.ConfigSearch) (int, []upstream.ConfigState, error) {
	return 0, nil, fmt.Errorf("config search is served by the upstream: %w", upstream.ErrNotSupported)
}

// ConfigHistoryEntry implements upstream.ConfigStore: the upstream keeps it.
func (l *Link) ConfigHistoryEntry(context.Context, upstream.ConfigKey, int64) (upstream.HistoryEntry, bool, error) {
	return upstream.HistoryEntry{}, false, fmt.Errorf("config history is kept by the upstream: %w", upstream.ErrNotSupported)
}
