package nacoslink

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/herald-gateway/herald/upstream"
)

// The Registry contract, run against the embedded registry and against
// the link in front of a core: what the gateway relies on must hold for
// both. (Known difference: disabled instances are stored by the embedded
// registry but never served by an upstream, so the link never sees them;
// no case here uses them.)

func registries(t *testing.T) map[string]upstream.Registry {
	t.Helper()
	emb := upstream.NewEmbedded()
	t.Cleanup(func() { emb.Close() })
	c := startCore(t, "127.0.0.1:0")
	// A short grace: losses right after the connect are held back for it.
	l := newLink(t, Options{Servers: []string{c.addr}, ResyncGrace: 100 * time.Millisecond})
	waitReady(t, l)
	return map[string]upstream.Registry{"embedded": emb, "nacoslink": l}
}

func queryCount(ctx context.Context, r upstream.Registry, k upstream.ServiceKey, want int) error {
	s, err := r.Query(ctx, k)
	if err != nil {
		return err
	}
	if len(s.Instances) != want {
		return fmt.Errorf("query has %d instances, want %d", len(s.Instances), want)
	}
	return nil
}

func TestContract(t *testing.T) {
	for name, r := range registries(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			k := svc("contract")
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(queryCount(ctx, r, k, 0)) // unknown service: empty, not an error
			must(r.Register(ctx, "a", k, []upstream.Instance{inst("10.0.0.1", 1)}))
			must(r.Register(ctx, "a", k, []upstream.Instance{inst("10.0.0.2", 2)})) // replaces a's slot
			must(r.Register(ctx, "b", k, []upstream.Instance{inst("10.0.0.3", 3), inst("10.0.0.4", 4)}))
			must(queryCount(ctx, r, k, 3))

			n := newNotes()
			cancel, err := r.Subscribe(k, n.notify)
			must(err)
			defer cancel()
			first := n.next(t, "current snapshot", count(3))
			must(r.Deregister(ctx, "b", k))
			second := n.next(t, "b's slot emptied", count(1))
			if second.Revision <= first.Revision {
				t.Fatalf("revision %d after %d", second.Revision, first.Revision)
			}
			must(r.Deregister(ctx, "nobody", k)) // emptying an empty slot is fine

			err = r.Register(ctx, "a", k, []upstream.Instance{{IP: "10.0.0.9", Port: 0}})
			if !errors.Is(err, upstream.ErrInvalid) {
				t.Fatalf("invalid instance: %v, want ErrInvalid", err)
			}
			must(queryCount(ctx, r, k, 1)) // and nothing changed

			total, names, err := r.List(ctx, "", "", 1, 10)
			must(err)
			if total != 1 || len(names) != 1 || names[0] != "contract" {
				t.Fatalf("List = %d %v", total, names)
			}
		})
	}
}
