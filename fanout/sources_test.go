package fanout

import (
	"context"
	"errors"
	"testing"
)

// stubSource answers every topic with one snapshot and counts its watches.
type stubSource struct {
	snap    Snapshot
	watches int
}

func (s *stubSource) Watch(_ Topic, notify func(Snapshot)) (func(), error) {
	s.watches++
	go notify(s.snap)
	return func() {}, nil
}

func (s *stubSource) Current(context.Context, Topic) (Snapshot, error) { return s.snap, nil }

// Sources serves each kind of topic from its own Source; a kind without
// one is refused with ErrNoSource, and the Hub opens no watch for it.
func TestSourcesByKind(t *testing.T) {
	naming := &stubSource{snap: Snapshot{Revision: 7}}
	hub, err := NewHub(Sources{KindNaming: naming}, Options{Manual: true})
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	snap, err := hub.Subscribe(context.Background(), newFakeSub("c1"), namingTopic("a"), "")
	if err != nil || snap.Revision != 7 || naming.watches != 1 {
		t.Fatalf("naming subscribe: revision %d, err %v, %d watches; want 7, nil, 1", snap.Revision, err, naming.watches)
	}
	cfg := Topic{Kind: KindConfig, Namespace: "public", Group: "DEFAULT_GROUP", Name: "app.yaml"}
	if _, err := hub.Subscribe(context.Background(), newFakeSub("c1"), cfg, ""); !errors.Is(err, ErrNoSource) {
		t.Fatalf("config subscribe without a config source: err %v, want ErrNoSource", err)
	}
	if topics, subs := hub.Stats(KindConfig); topics != 0 || subs != 0 {
		t.Fatalf("refused config subscription left %d topics, %d subscriptions", topics, subs)
	}
	if topics, subs := hub.Stats(KindNaming); topics != 1 || subs != 1 {
		t.Fatalf("naming stats %d topics, %d subscriptions; want 1 and 1", topics, subs)
	}
}
