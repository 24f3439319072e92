package fanout

import "time"

// Config push tracking: besides the outcomes of its pushes, the Hub
// reports, for config topics only, the events that tell which content a
// client runs (naming topics report none of them, so registry tracking
// is unchanged):
//
//   - EventChanged when a watched config topic gets a new revision: the
//     change as this gateway learned it (from its own store, or through
//     an edge from the upstream), with the states before and after. The
//     first state of a new watch is not a change.
//   - EventServed when the gateway answers a client's query with the
//     content (Hub.Served, called by the wire handlers).
//   - EventReported when a client's listen says which md5 it holds and
//     that differs from what its subscription said before (Hub.Holds).
//
// All go to the Observer as every outcome does: off the push path for
// the tracker, counted by event.

// changed reports a new revision of a config feed. prior is the newest
// state before it: the last one received, or before the watch's first
// the one subscribers were answered with. The watch's first state is a
// change only when it is newer than that.
func (f *feed) changed(prior *Snapshot, snap Snapshot, now time.Time) {
	if prior == nil || prior.Revision >= snap.Revision || f.topic.Kind != KindConfig {
		return
	}
	f.hub.observe(Outcome{Event: EventChanged, At: now, Topic: f.topic, Revision: snap.Revision,
		Changed: snap.Changed, Value: snap.Value, Prior: prior.Value})
}

// latestValue is the newest snapshot's revision and value: the last one
// received, or before the watch's first the one subscribers were
// answered with (0, nil when neither).
func (f *feed) latestValue() (int64, any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	snap := f.latest
	if snap == nil {
		snap = f.base
	}
	if snap == nil {
		return 0, nil
	}
	return snap.Revision, snap.Value
}

// reported tells the observers that subscription su now holds digest.
func (h *Hub) reported(f *feed, su *subscription, digest string, now time.Time) {
	if f.topic.Kind != KindConfig {
		return
	}
	rev, val := f.latestValue()
	h.observe(Outcome{Event: EventReported, At: now, ConnID: su.sub.ID(), Client: su.sub.Client(),
		Topic: f.topic, View: su.view, Revision: rev, Digest: digest, Value: val})
}

// Served reports that the client of connection connID was answered a
// query of config topic t with content of md5 digest and size bytes,
// from state (the upstream.ConfigState served). It never blocks.
func (h *Hub) Served(connID string, client ClientInfo, t Topic, view string, state Snapshot, digest string, size int) {
	if t.Kind != KindConfig {
		return
	}
	h.observe(Outcome{Event: EventServed, At: h.now(), ConnID: connID, Client: client, Topic: t, View: view,
		Revision: state.Revision, Changed: state.Changed, Digest: digest, Items: size, Value: state.Value})
}
