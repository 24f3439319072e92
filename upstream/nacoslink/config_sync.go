package nacoslink

import (
	"time"

	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/upstream"
)

// listenBatch is how many keys one upstream ConfigBatchListenRequest
// carries (the Go SDK sends 3000 per connection).
const listenBatch = 1000

// syncConfigs brings the upstream in line with the local config watches:
// expired watches unlistened, new (or, after a reconnect, every) watch
// listened with its cached md5, dirty keys queried and their new content
// offered to the local watchers.
func (l *Link) syncConfigs(s *session) {
	now := l.now()
	l.mu.Lock()
	var unlisten, listen []*configWatch
	for key, w := range l.cfgs {
		switch {
		case len(w.boxes) == 0 && !w.idleSince.IsZero() && now.Sub(w.idleSince) >= l.opts.Linger:
			delete(l.cfgs, key)
			if w.listening {
				unlisten = append(unlisten, w)
			}
		case !w.listening && !now.Before(w.retryAt):
			listen = append(listen, w)
		}
	}
	l.mu.Unlock()
	l.listenUpstream(s, unlisten, false)
	l.listenUpstream(s, listen, true)
	// Keys just queried are listened again with their new md5, as the SDKs
	// do: the upstream learns what this gateway holds now (it confirms
	// its push), and a change that came meanwhile is reported.
	if queried := l.queryDirty(s); len(queried) > 0 {
		l.listenUpstream(s, queried, true)
		l.queryDirty(s)
	}
}

// listenUpstream sends ConfigBatchListenRequests for ws in batches; keys
// the answer lists as changed, or not known yet, are marked dirty.
func (l *Link) listenUpstream(s *session, ws []*configWatch, on bool) {
	for len(ws) > 0 {
		batch := ws[:min(listenBatch, len(ws))]
		ws = ws[len(batch):]
		req := nacoswire.ConfigBatchListenRequest{ConfigRequest: nacoswire.ConfigRequest{Request: nacoswire.Request{Module: "config"}},
			Listen: on}
		l.mu.Lock()
		for _, w := range batch {
			c := configRequest(w.key)
			req.ConfigListenContexts = append(req.ConfigListenContexts,
				nacoswire.ConfigListenContext{DataID: c.DataID, Group: c.Group, Tenant: c.Tenant, Md5: w.md5()})
		}
		l.mu.Unlock()
		var resp nacoswire.ConfigChangeBatchListenResponse
		err := s.call(l.ctx, nacoswire.TypeConfigBatchListenRequest, req, &resp)
		l.listened(s, batch, on, resp.ChangedConfigs, err)
	}
}

// listened applies one batch listen's answer.
func (l *Link) listened(s *session, batch []*configWatch, on bool, changed []nacoswire.ConfigContext, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.log.Warn("upstream config listen failed", "keys", len(batch), "listen", on, "err", err)
		for _, w := range batch {
			w.retryAt = l.now().Add(backoff(w.failures, l.opts.BackoffMax))
			w.failures++
		}
		return
	}
	l.count.ConfigListens += uint64(len(batch))
	if !on || l.sess != s {
		return
	}
	moved := make(map[upstream.ConfigKey]bool, len(changed))
	for _, c := range changed {
		moved[upstream.ConfigKey{Namespace: c.Tenant, Group: c.Group, DataID: c.DataID}.Normalize()] = true
	}
	for _, w := range batch {
		w.listening, w.failures, w.retryAt = true, 0, time.Time{}
		switch {
		case moved[w.key]:
			w.dirty = true
		case w.state == nil:
			// In sync with md5 "": the config does not exist upstream.
			l.publishConfigLocked(w, nil)
		}
	}
}

// queryDirty queries every dirty listened key once, offers what changed,
// and returns the keys it queried successfully.
func (l *Link) queryDirty(s *session) []*configWatch {
	now := l.now()
	l.mu.Lock()
	var todo []*configWatch
	for _, w := range l.cfgs {
		if w.listening && w.dirty && !now.Before(w.retryAt) {
			todo = append(todo, w)
		}
	}
	l.mu.Unlock()
	var done []*configWatch
	for _, w := range todo {
		item, err := l.queryConfig(l.ctx, s, w.key)
		l.mu.Lock()
		if err != nil {
			l.log.Warn("upstream config query failed", "config", w.key.String(), "err", err)
			w.retryAt = l.now().Add(backoff(w.failures, l.opts.BackoffMax))
			w.failures++
		} else if l.sess == s {
			w.dirty, w.failures = false, 0
			l.publishConfigLocked(w, item)
			done = append(done, w)
		}
		l.mu.Unlock()
	}
	return done
}

// publishConfigLocked makes item (nil = absent) w's state, offered to its
// watchers, unless it equals what they have. Callers hold mu.
func (l *Link) publishConfigLocked(w *configWatch, item *upstream.Config) {
	if w.state != nil && sameConfig(w.state.Config, item) {
		return
	}
	st := upstream.ConfigState{Key: w.key, Revision: l.nextConfigRevLocked(), Changed: l.now(), Config: item}
	if w.state == nil {
		close(w.ready)
	}
	w.state = &st
	for b := range w.boxes {
		b.Offer(st)
	}
	l.count.ConfigNotified++
}

// sameConfig reports whether a and b hold the same content.
func sameConfig(a, b *upstream.Config) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Md5 == b.Md5 && a.Type == b.Type && a.EncryptedDataKey == b.EncryptedDataKey
}

// configPushed marks the key of an upstream ConfigChangeNotifyRequest
// dirty; the run loop queries it.
func (l *Link) configPushed(s *session, req nacoswire.ConfigChangeNotifyRequest) {
	key := upstream.ConfigKey{Namespace: req.Tenant, Group: req.Group, DataID: req.DataID}.Normalize()
	l.mu.Lock()
	l.count.ConfigPushes++
	w := l.cfgs[key]
	if w != nil && l.sess == s {
		w.pushes++
		w.dirty = true
	}
	l.mu.Unlock()
	if w != nil {
		l.wake()
	}
}

// resetConfigs makes every watch listen again on a new session; the cache
// is kept. Callers hold mu.
func (l *Link) resetConfigs() {
	for _, w := range l.cfgs {
		w.listening, w.failures, w.retryAt = false, 0, time.Time{}
	}
}

// stopConfigs stops every local watcher. Callers hold mu.
func (l *Link) stopConfigs() {
	for _, w := range l.cfgs {
		for b := range w.boxes {
			b.Stop()
		}
		w.boxes = map[*upstream.Mailbox[upstream.ConfigState]]struct{}{}
	}
}
