package nacoslink

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway"
	"github.com/herald-gateway/herald/upstream"
)

func TestPersistentRequestShape(t *testing.T) {
	k := upstream.ServiceKey{Namespace: "prod", Group: "G", Name: "db"}
	in := inst("10.0.0.7", 5432)
	in.Ephemeral = true
	raw, err := json.Marshal(persistentRequest(k, "registerInstance", in))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Module      string             `json:"module"`
		Namespace   string             `json:"namespace"`
		GroupName   string             `json:"groupName"`
		ServiceName string             `json:"serviceName"`
		Type        string             `json:"type"`
		Instance    *upstream.Instance `json:"instance"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.Module != "naming" || got.Namespace != "prod" || got.GroupName != "G" || got.ServiceName != "db" ||
		got.Type != "registerInstance" || got.Instance == nil || got.Instance.Ephemeral || got.Instance.IP != "10.0.0.7" {
		t.Fatalf("PersistentInstanceRequest body = %s", raw)
	}
}

// Persistent instances are not kept for a redo: while the upstream is
// down their registration fails (the client retries), and nothing stays
// behind in the link.
func TestPersistentFailsWhileDown(t *testing.T) {
	l := newLink(t, Options{Servers: []string{"127.0.0.1:1"}})
	in := inst("10.0.0.7", 5432)
	owner := upstream.PersistentOwner(in)
	k := svc("db")
	err := l.Register(context.Background(), owner, k, []upstream.Instance{in})
	if !errors.Is(err, errUpstreamDown) {
		t.Fatalf("persistent register while down: %v, want %v", err, errUpstreamDown)
	}
	if err := l.Deregister(context.Background(), owner, k); !errors.Is(err, errUpstreamDown) {
		t.Fatalf("persistent deregister while down: %v, want %v", err, errUpstreamDown)
	}
	if err := l.Deregister(context.Background(), "persistent:broken", k); !errors.Is(err, upstream.ErrInvalid) {
		t.Fatalf("deregister of a malformed persistent owner: %v, want ErrInvalid", err)
	}
}

func TestServerRequestsAnswered(t *testing.T) {
	l := newLink(t, Options{Servers: []string{"127.0.0.1:1"}})
	s := &session{done: make(chan struct{})}
	if ack := l.onServerRequest(s, "ClientDetectionRequest", []byte(`{"requestId":"1"}`)); ack != "ClientDetectionResponse" {
		t.Fatalf("ClientDetectionRequest ack = %q", ack)
	}
	if ack := l.onServerRequest(s, "SetupAckRequest", []byte(`{"requestId":"2"}`)); ack != "" {
		t.Fatalf("unknown request acked with %q; Nacos clients send nothing", ack)
	}
	if ack := l.onServerRequest(s, "NotifySubscriberRequest", []byte(`not json`)); ack != "NotifySubscriberResponse" {
		t.Fatalf("bad push ack = %q", ack)
	}
	select {
	case <-s.done:
		t.Fatal("session ended before ConnectResetRequest")
	default:
	}
	if ack := l.onServerRequest(s, "ConnectResetRequest", []byte(`{"requestId":"3"}`)); ack != "ConnectResetResponse" {
		t.Fatalf("ConnectResetRequest ack = %q", ack)
	}
	select {
	case <-s.done:
	default:
		t.Fatal("ConnectResetRequest did not end the session")
	}
}

// An upstream that probes idle connections finds the link answering: the
// connection survives several probe rounds without health checks.
func TestClientDetectionKeepsConnection(t *testing.T) {
	reg := upstream.NewEmbedded()
	defer reg.Close()
	quietLog := quiet
	hub, err := fanout.NewHub(fanout.NamingSource(reg), fanout.Options{Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	srv, err := gateway.New(gateway.Options{Addr: "127.0.0.1:0", IdleTimeout: time.Second,
		DetectTimeout: 300 * time.Millisecond, Logger: quietLog, ExitWait: 100 * time.Millisecond}, reg, hub)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	l := newLink(t, Options{Servers: []string{srv.Addr().String()}, HealthInterval: time.Hour})
	waitReady(t, l)
	id := l.Status().Connection.ConnectionID
	// Three idle periods plus detection: a link that did not answer would
	// have been closed by now.
	deadline := time.Now().Add(4 * time.Second)
	for time.Now().Before(deadline) {
		st := l.Status().Connection
		if !st.Connected || st.ConnectionID != id {
			t.Fatalf("connection lost while idle: %+v", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestQueryAndListAskUpstream(t *testing.T) {
	c := startCore(t, "127.0.0.1:0")
	l := newLink(t, Options{Servers: []string{c.addr}})
	waitReady(t, l)
	ctx := context.Background()
	k := svc("listed")
	if err := c.reg.Register(ctx, "core-client", k, []upstream.Instance{inst("10.0.0.1", 80)}); err != nil {
		t.Fatal(err)
	}
	snap, err := l.Query(ctx, k)
	if err != nil || len(snap.Instances) != 1 || snap.Revision == 0 {
		t.Fatalf("Query = %+v, %v; want 1 instance with a revision", snap, err)
	}
	total, names, err := l.List(ctx, "", "", 1, 10)
	if err != nil || total != 1 || len(names) != 1 || names[0] != "listed" {
		t.Fatalf("List = %d %v %v, want [listed]", total, names, err)
	}
}
