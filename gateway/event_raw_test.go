package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway/nacostest"
	"github.com/herald-gateway/herald/gateway/transport/h2test"
	"github.com/herald-gateway/herald/internal/nacospb"
	"github.com/herald-gateway/herald/internal/nacoswire"
)

// Raw-protocol tests of the event transport: HTTP/2 as a misbehaving or
// constrained client speaks it, against the real session core and hub.

// startEventServer runs the gateway over the event transport with a hub
// that pushes at once (merge window 10 ms) and the given stall timeout.
func startEventServer(t *testing.T, stall time.Duration, opts Options) *Server {
	t.Helper()
	pol := fanout.Policy{MergeWindow: 10 * time.Millisecond, StallTimeout: stall}
	opts.Transport = TransportEvent
	return startServerWith(t, opts, fanout.Options{Naming: pol, AckTimeout: time.Second, RetryBase: 100 * time.Millisecond})
}

// payload encodes one Nacos payload.
func payload(t testing.TB, typ string, body any) []byte {
	t.Helper()
	p, err := nacoswire.NewPayload(typ, body)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodePayload decodes one Nacos payload message.
func decodePayload(t testing.TB, b []byte) *nacospb.Payload {
	t.Helper()
	p := &nacospb.Payload{}
	if err := p.Unmarshal(b); err != nil {
		t.Fatalf("payload: %v", err)
	}
	return p
}

// rawSession opens a raw connection with a session subscribed to svc:
// ServerCheck (stream 1), the bidi stream (3) with ConnectionSetup, and a
// subscribe retried until the session exists (streams 5, 7, ...). It
// returns the next free stream id.
func rawSession(t *testing.T, s *Server, svc string, settings ...http2.Setting) (*h2test.Conn, uint32) {
	t.Helper()
	c := h2test.Dial(t, s.Addr().String(), settings...)
	if _, st := c.Call(1, "/Request/request", payload(t, "ServerCheckRequest", nacoswire.Internal("")), serverWait); st != "0" {
		t.Fatalf("ServerCheck: grpc-status %q", st)
	}
	c.Open(3, "/BiRequestStream/requestBiStream")
	c.Send(3, payload(t, "ConnectionSetupRequest", map[string]any{"clientVersion": "raw", "labels": map[string]string{"module": "naming"}}), false)
	sub := payload(t, "SubscribeServiceRequest", map[string]any{"serviceName": svc, "groupName": "G", "subscribe": true})
	next := uint32(5)
	deadline := time.Now().Add(serverWait)
	for {
		resp, st := c.Call(next, "/Request/request", sub, serverWait)
		next += 2
		if st != "0" {
			t.Fatalf("subscribe: grpc-status %q", st)
		}
		var r errorReply
		if err := json.Unmarshal(nacoswire.Body(decodePayload(t, resp)), &r); err != nil {
			t.Fatal(err)
		}
		if r.ResultCode == 200 {
			return c, next
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscribe never succeeded: %+v", r)
		}
	}
}

type errorReply struct {
	ResultCode int    `json:"resultCode"`
	ErrorCode  int    `json:"errorCode"`
	Message    string `json:"message"`
}

// register puts one instance ip:port into svc from its own connection.
func register(t *testing.T, cl *nacostest.Client, svc string, port int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), serverWait)
	defer cancel()
	m, err := cl.Request(ctx, "InstanceRequest", map[string]any{
		"serviceName": svc, "groupName": "G", "type": "registerInstance",
		"instance": map[string]any{"ip": "10.9.0.1", "port": port, "weight": 1, "healthy": true, "enabled": true, "ephemeral": true},
	})
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	var r errorReply
	if err := m.Decode(&r); err != nil || r.ResultCode != 200 {
		t.Fatalf("register: %s %v", m.Body, err)
	}
}

// setUpClient is a grpc-go raw client with a session.
func setUpClient(t *testing.T, s *Server) *nacostest.Client {
	t.Helper()
	cl := dialRaw(t, s)
	ctx, cancel := context.WithTimeout(t.Context(), serverWait)
	defer cancel()
	if err := cl.Setup(ctx, map[string]string{"module": "naming"}); err != nil {
		t.Fatal(err)
	}
	return cl
}

// pushPort is the instance port a NotifySubscriberRequest carries.
func pushPort(t *testing.T, p *nacospb.Payload) (id string, port int) {
	t.Helper()
	var body struct {
		RequestID   string `json:"requestId"`
		ServiceInfo struct {
			Hosts []struct {
				Port int `json:"port"`
			} `json:"hosts"`
		} `json:"serviceInfo"`
	}
	if err := json.Unmarshal(nacoswire.Body(p), &body); err != nil {
		t.Fatal(err)
	}
	if len(body.ServiceInfo.Hosts) > 0 {
		port = body.ServiceInfo.Hosts[0].Port
	}
	return body.RequestID, port
}

// ack answers a server request on the bidi stream.
func ack(t *testing.T, c *h2test.Conn, id string) {
	t.Helper()
	c.Send(3, payload(t, "NotifySubscriberResponse", nacoswire.Success(id)), false)
}

// TestEventTinyWindowGetsEveryPush: a client advertising a 7-byte stream
// window, which it reopens 7 bytes at a time, still receives every push
// whole and in order: each of its 30 changes, or a newer one, arrives,
// revisions never go backwards, and the last one arrives.
func TestEventTinyWindowGetsEveryPush(t *testing.T) {
	s := startEventServer(t, time.Minute, Options{})
	c, _ := rawSession(t, s, "tiny", http2.Setting{ID: http2.SettingInitialWindowSize, Val: 7})
	cl := setUpClient(t, s)
	const changes = 30
	go func() {
		for i := 1; i <= changes; i++ {
			register(t, cl, "tiny", 1000+i)
		}
	}()
	last := 0
	deadline := time.Now().Add(2 * serverWait)
	for last != 1000+changes {
		f := c.Read(time.Until(deadline))
		d, ok := f.(*http2.DataFrame)
		if !ok || d.StreamID != 3 {
			continue
		}
		if n := len(d.Data()); n > 7 {
			t.Fatalf("DATA of %d bytes on a 7-byte window", n)
		}
		c.WindowUpdate(3, uint32(len(d.Data())))
		c.WindowUpdate(0, uint32(len(d.Data())))
		for _, m := range c.Message(d) {
			id, port := pushPort(t, decodePayload(t, m))
			if port < last {
				t.Fatalf("push for port %d after %d: out of order", port, last)
			}
			last = port
			ack(t, c, id)
		}
	}
}

// TestEventStalledClientClosed: a client that never opens its window
// gets no push bytes; the stall rule closes it, and a healthy client on
// the same service receives every change meanwhile.
func TestEventStalledClientClosed(t *testing.T) {
	s := startEventServer(t, 2*time.Second, Options{})
	stalled, _ := rawSession(t, s, "stall")
	// From now on the stalled client's streams have no window at all.
	if err := stalled.Framer().WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0}); err != nil {
		t.Fatal(err)
	}
	healthy, _ := rawSession(t, s, "stall")
	cl := setUpClient(t, s)
	for i := 1; i <= 3; i++ {
		register(t, cl, "stall", 2000+i)
		for got := 0; got != 2000+i; {
			d, ok := healthy.Read(serverWait).(*http2.DataFrame)
			if !ok || d.StreamID != 3 {
				continue
			}
			for _, m := range healthy.Message(d) {
				id, port := pushPort(t, decodePayload(t, m))
				got = port
				ack(t, healthy, id)
			}
		}
	}
	for {
		f, err := stalled.TryRead(3 * serverWait)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return // closed by the stall rule
			}
			t.Fatalf("stalled client not closed: %v", err)
		}
		if d, ok := f.(*http2.DataFrame); ok && d.StreamID == 3 && len(d.Data()) > 0 {
			t.Fatalf("%d push bytes sent on a closed window", len(d.Data()))
		}
	}
}

// TestEventGoAwayOnShutdown: stopping the server sends GOAWAY(NO_ERROR)
// naming the last stream the client started, before the close.
func TestEventGoAwayOnShutdown(t *testing.T) {
	s := startEventServer(t, time.Minute, Options{})
	c, next := rawSession(t, s, "bye")
	go s.Stop()
	for {
		f, err := c.TryRead(serverWait)
		if err != nil {
			t.Fatalf("no GOAWAY before the close: %v", err)
		}
		if g, ok := f.(*http2.GoAwayFrame); ok {
			if g.ErrCode != http2.ErrCodeNo || g.LastStreamID != next-2 {
				t.Fatalf("GOAWAY %v last stream %d, want NO_ERROR and %d", g.ErrCode, g.LastStreamID, next-2)
			}
			return
		}
	}
}

// TestEventResetBidiStreamEndsSession: RST_STREAM of the bidi stream ends
// the Nacos connection: the server releases the session and closes the
// transport, as when the stream ends.
func TestEventResetBidiStreamEndsSession(t *testing.T) {
	s := startEventServer(t, time.Minute, Options{})
	c, _ := rawSession(t, s, "rst")
	awaitConns(t, s, 1)
	if err := c.Framer().WriteRSTStream(3, http2.ErrCodeCancel); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := c.TryRead(serverWait); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("connection not closed after the reset: %v", err)
			}
			break
		}
	}
	awaitConns(t, s, 0)
}

// TestEventUnaryDuringPushBurst: unary calls on a connection keep being
// answered while a burst of pushes is written to it, and every push is
// acknowledged.
func TestEventUnaryDuringPushBurst(t *testing.T) {
	s := startEventServer(t, time.Minute, Options{})
	cl := setUpClient(t, s)
	ctx, cancel := context.WithTimeout(t.Context(), 2*serverWait)
	defer cancel()
	pushes := make(chan int, 1024)
	go func() {
		for {
			m, err := cl.Recv()
			if err != nil {
				return
			}
			var body struct {
				RequestID   string `json:"requestId"`
				ServiceInfo struct {
					Hosts []struct{ Port int } `json:"hosts"`
				} `json:"serviceInfo"`
			}
			if m.Decode(&body) != nil {
				continue
			}
			if cl.Ack("NotifySubscriberResponse", body.RequestID) != nil {
				return
			}
			if len(body.ServiceInfo.Hosts) > 0 {
				pushes <- body.ServiceInfo.Hosts[0].Port
			}
		}
	}()
	if _, err := cl.Request(ctx, "SubscribeServiceRequest", map[string]any{"serviceName": "burst", "groupName": "G", "subscribe": true}); err != nil {
		t.Fatal(err)
	}
	writer := setUpClient(t, s)
	const changes = 200
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i <= changes; i++ {
			register(t, writer, "burst", 3000+i)
		}
	}()
	calls := 0
	for last := 0; last != 3000+changes; {
		select {
		case last = <-pushes:
		default:
			if _, err := cl.Request(ctx, "HealthCheckRequest", nacoswire.Internal("")); err != nil {
				t.Fatalf("health check during the burst: %v", err)
			}
			calls++
		case <-ctx.Done():
			t.Fatalf("burst not delivered (last port %d)", last)
		}
	}
	wg.Wait()
	if calls == 0 {
		t.Fatal("no unary call was made during the burst")
	}
}

// TestEventPartialFrameThenSilence: a client that sends half a frame and
// stops holds only its own connection: others are served, and the silent
// one is closed once IdleTimeout passes without a session.
func TestEventPartialFrameThenSilence(t *testing.T) {
	s := startEventServer(t, time.Minute, Options{IdleTimeout: time.Second, DetectTimeout: time.Second})
	nc, err := net.DialTimeout("tcp", s.Addr().String(), serverWait)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	half := h2test.New(t).Headers(1, false).Bytes()
	if _, err := nc.Write(half[:len(half)-3]); err != nil {
		t.Fatal(err)
	}
	other := setUpClient(t, s)
	closed := make(chan struct{})
	go func() { defer close(closed); awaitClosed(t, nc) }()
	for done := false; !done; {
		select {
		case <-closed:
			done = true
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := other.Request(t.Context(), "HealthCheckRequest", nacoswire.Internal("")); err != nil {
			t.Fatalf("other client: %v", err)
		}
	}
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestEventConnectionChurnReturnsMemory: 10,000 connections opened (each
// up to the server's SETTINGS: a session core connection) and closed, in
// rounds of 1,000, leave the heap where it started.
func TestEventConnectionChurnReturnsMemory(t *testing.T) {
	s := startEventServer(t, time.Minute, Options{})
	churn := func(n int) {
		conns := make([]net.Conn, 0, n)
		for range n {
			nc, err := net.DialTimeout("tcp", s.Addr().String(), serverWait)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := nc.Write(h2test.New(t).Bytes()); err != nil {
				t.Fatal(err)
			}
			conns = append(conns, nc)
		}
		awaitConns(t, s, n)
		for _, nc := range conns {
			nc.Close()
		}
		awaitConns(t, s, 0)
	}
	churn(1000) // warm pools and maps to their working size
	base := heapInUse()
	for range 10 {
		churn(1000)
	}
	after := heapInUse()
	t.Logf("heap in use: %d KiB before, %d KiB after 10,000 connections", base>>10, after>>10)
	if after > base+2<<20 {
		t.Fatalf("heap grew from %d to %d bytes over 10,000 opened and closed connections", base, after)
	}
}
