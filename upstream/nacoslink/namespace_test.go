package nacoslink

import (
	"testing"
	"time"

	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/upstream"
)

// nacosPush is a NotifySubscriberRequest as a Nacos server sends it: the
// serviceInfo alone, no namespace.
func nacosPush(group, name string, hosts ...upstream.Instance) nacoswire.NotifySubscriberRequest {
	return nacoswire.NotifySubscriberRequest{ServiceInfo: &upstream.ServiceInfo{Name: name, GroupName: group, Hosts: hosts, LastRefTime: 5}}
}

// attached makes s the link's current session without a network.
func attached(l *Link) *session {
	s := &session{done: make(chan struct{})}
	l.mu.Lock()
	l.sess = s
	l.mu.Unlock()
	return s
}

// TestNamespacelessPushFindsItsSubscription: a push without a namespace
// (what Nacos sends) reaches the only subscription of its service, in
// whatever namespace it is.
func TestNamespacelessPushFindsItsSubscription(t *testing.T) {
	l := newLink(t, Options{Servers: []string{"127.0.0.1:1"}})
	s := attached(l)
	n := newNotes()
	dev := upstream.ServiceKey{Namespace: "dev", Group: "G", Name: "db"}
	if _, err := l.Subscribe(dev, n.notify); err != nil {
		t.Fatal(err)
	}
	l.pushed(s, nacosPush("G", "db", inst("10.0.0.1", 80)))
	got := n.next(t, "the dev subscriber gets the push", count(1))
	if got.Key.Namespace != "dev" {
		t.Errorf("pushed under %s, want namespace dev", got.Key)
	}
}

// TestNamespacelessPushAmbiguous: when several namespaces subscribe to the
// same group and name, a push without a namespace is applied to none of
// them; each subscribes again to get its own snapshot.
func TestNamespacelessPushAmbiguous(t *testing.T) {
	l := newLink(t, Options{Servers: []string{"127.0.0.1:1"}})
	s := attached(l)
	n := newNotes()
	keys := []upstream.ServiceKey{{Namespace: "dev", Group: "G", Name: "db"}, {Group: "G", Name: "db"}}
	for _, k := range keys {
		if _, err := l.Subscribe(k, n.notify); err != nil {
			t.Fatal(err)
		}
	}
	l.mu.Lock()
	for _, sub := range l.subs {
		sub.upstream = true // as after a successful subscribe
	}
	l.mu.Unlock()
	l.pushed(s, nacosPush("G", "db", inst("10.0.0.1", 80)))
	n.none(t, 200*time.Millisecond)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if sub := l.subs[k.Normalize()]; sub == nil || sub.upstream {
			t.Errorf("%s: not marked to subscribe again", k.Normalize())
		}
	}
}
