package fanout

import (
	"context"

	"github.com/herald-gateway/herald/upstream"
)

// Config topics: a configuration of an upstream.ConfigStore, whose
// snapshots carry an upstream.ConfigState. A config subscription's view is
// the namespace as the client spelt it ("" stays ""), echoed in its pushes.

// ConfigTopic is the topic of a configuration; key should be normalised.
func ConfigTopic(key upstream.ConfigKey) Topic {
	return Topic{Kind: KindConfig, Namespace: key.Namespace, Group: key.Group, Name: key.DataID}
}

// ConfigKey is the configuration a config topic names.
func (t Topic) ConfigKey() upstream.ConfigKey {
	return upstream.ConfigKey{Namespace: t.Namespace, Group: t.Group, DataID: t.Name}
}

// ConfigSnapshot is the snapshot of a configuration's state.
func ConfigSnapshot(st upstream.ConfigState) Snapshot {
	return Snapshot{Revision: st.Revision, Changed: st.Changed, Value: st}
}

// ConfigState is the upstream.ConfigState a config snapshot carries (the
// zero state for any other snapshot).
func (s Snapshot) ConfigState() upstream.ConfigState {
	st, _ := s.Value.(upstream.ConfigState)
	return st
}

// ConfigSource is the Source of config topics from a config store.
func ConfigSource(store upstream.ConfigStore) Source { return configSource{store} }

type configSource struct{ store upstream.ConfigStore }

func (c configSource) Watch(t Topic, notify func(Snapshot)) (func(), error) {
	return c.store.WatchConfig(t.ConfigKey(), func(st upstream.ConfigState) { notify(ConfigSnapshot(st)) })
}

func (c configSource) Current(ctx context.Context, t Topic) (Snapshot, error) {
	st, err := c.store.GetConfig(ctx, t.ConfigKey())
	if err != nil {
		return Snapshot{}, err
	}
	return ConfigSnapshot(st), nil
}
