package h2c

import (
	"bytes"
	"strings"
	"testing"
)

// TestAssembledMessageSurvivesTheNextOne: a stream message assembled
// from two frames, the second of which also starts the next message,
// reaches the handler intact although the assembly buffer is reused for
// the next message's start before the handler runs.
func TestAssembledMessageSurvivesTheNextOne(t *testing.T) {
	bodyA := []byte(`{"requestId":"a","pad":"` + strings.Repeat("a", 200) + `"}`)
	bodyB := []byte(`{"requestId":"b","pad":"` + strings.Repeat("b", 200) + `"}`)
	msgA, _ := encode("NotifySubscriberRequest", bodyA)
	msgB, _ := encode("NotifySubscriberRequest", bodyB)
	st := &stream{id: 1, partial: make([]byte, 0, 4096)} // room: no reallocation hides the reuse
	c := &Client{bidi: st}

	if err := c.messages(st, msgA[:10]); err != nil || len(c.ready) != 0 {
		t.Fatalf("first part: %v, %d messages", err, len(c.ready))
	}
	second := append(append([]byte(nil), msgA[10:]...), msgB[:len(msgB)-1]...)
	if err := c.messages(st, second); err != nil {
		t.Fatal(err)
	}
	if len(c.ready) != 1 || !bytes.Equal(c.ready[0].Body, bodyA) {
		t.Fatalf("ready %q, want the first message's body intact", c.ready)
	}
	if err := c.messages(st, msgB[len(msgB)-1:]); err != nil {
		t.Fatal(err)
	}
	if len(c.ready) != 2 || !bytes.Equal(c.ready[1].Body, bodyB) || !bytes.Equal(c.ready[0].Body, bodyA) {
		t.Fatalf("ready %q, want both bodies intact", c.ready)
	}
}
