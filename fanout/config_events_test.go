package fanout

import (
	"context"
	"testing"
	"time"

	"github.com/herald-gateway/herald/upstream"
)

// eventChan is an Observer handing over the outcomes of one event.
type eventChan struct {
	want Event
	ch   chan Outcome
}

func (e eventChan) Observe(o Outcome) {
	if o.Event == e.want {
		e.ch <- o
	}
}

func (e eventChan) next(t *testing.T) Outcome {
	t.Helper()
	select {
	case o := <-e.ch:
		return o
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s outcome", e.want)
		return Outcome{}
	}
}

func (e eventChan) none(t *testing.T) {
	t.Helper()
	select {
	case o := <-e.ch:
		t.Fatalf("unexpected %s outcome %+v", e.want, o)
	default:
	}
}

// A config topic reports its changes with the states before and after
// (not the watch's first state), a new held md5 once, and served content;
// naming topics report none of these.
func TestConfigEvents(t *testing.T) {
	store, err := upstream.OpenEmbeddedConfig(upstream.ConfigOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	key := upstream.ConfigKey{DataID: "app.yaml"}.Normalize()
	ctx := context.Background()
	if _, err := store.PublishConfig(ctx, upstream.ConfigPublish{Key: key, Content: "v: 1"}); err != nil {
		t.Fatal(err)
	}
	changed, reported, served := eventChan{EventChanged, make(chan Outcome, 8)},
		eventChan{EventReported, make(chan Outcome, 8)}, eventChan{EventServed, make(chan Outcome, 8)}
	hub, err := NewHub(Sources{KindConfig: ConfigSource(store), KindNaming: NamingSource(upstream.NewEmbedded())},
		Options{Observer: Observers{changed, reported, served}})
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	sub, topic := newFakeSub("c1"), ConfigTopic(key)
	snap, err := hub.Subscribe(ctx, sub, topic, "")
	if err != nil {
		t.Fatal(err)
	}
	v1 := snap.ConfigState().Md5For("")
	hub.Holds("c1", topic, "", v1)
	if o := reported.next(t); o.Digest != v1 || o.ConnID != "c1" || o.Topic != topic {
		t.Fatalf("reported %+v", o)
	}
	hub.Holds("c1", topic, "", v1) // the same md5 again: nothing new
	reported.none(t)

	if _, err := store.PublishConfig(ctx, upstream.ConfigPublish{Key: key, Content: "v: 2", SrcIP: "10.0.0.9"}); err != nil {
		t.Fatal(err)
	}
	o := changed.next(t)
	prior, next := o.Prior.(upstream.ConfigState), o.Value.(upstream.ConfigState)
	if prior.Config == nil || prior.Config.Content != "v: 1" || next.Config.Content != "v: 2" || o.Revision != next.Revision {
		t.Fatalf("changed %+v", o)
	}
	hub.Served("c1", sub.Client(), topic, "", ConfigSnapshot(next), next.Config.Md5, 4)
	if o := served.next(t); o.Digest != next.Config.Md5 || o.Items != 4 || o.ConnID != "c1" {
		t.Fatalf("served %+v", o)
	}
	hub.Served("c1", sub.Client(), namingTopic("svc"), "", Snapshot{}, "", 0)
	hub.Holds("c1", namingTopic("svc"), "", "x")
	served.none(t)
	changed.none(t) // the first state of the watch was not a change
}
