package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-gateway/herald/gateway/daemon"
	"github.com/herald-gateway/herald/upstream"
)

// udpPair is one UDP port number bound on both 127.0.0.1 and 127.0.0.2,
// so a push's destination address is the only thing that differs.
type udpPair struct {
	port   int
	one    *net.UDPConn // 127.0.0.1:port
	two    *net.UDPConn // 127.0.0.2:port
	portSt string
}

func newUDPPair(t *testing.T) udpPair {
	t.Helper()
	for range 20 {
		two, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
		if err != nil {
			t.Fatalf("bind 127.0.0.2 (loopback beyond 127.0.0.1 is needed): %v", err)
		}
		port := two.LocalAddr().(*net.UDPAddr).Port
		one, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			two.Close() // that port is taken on 127.0.0.1: try another
			continue
		}
		t.Cleanup(func() { one.Close(); two.Close() })
		return udpPair{port: port, one: one, two: two, portSt: strconv.Itoa(port)}
	}
	t.Fatal("no UDP port free on both 127.0.0.1 and 127.0.0.2")
	return udpPair{}
}

// listFrom sends an instance list request from the local address from.
func listFrom(t *testing.T, d *daemon.Daemon, from string, q url.Values) (int, string) {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext:       (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}).DialContext,
		DisableKeepAlives: true,
	}}
	req, err := http.NewRequest(http.MethodGet, "http://"+d.HTTPAddr().String()+"/nacos/v1/ns/instance/list?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("list from %s: %v", from, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = fmt.Fprint(&b, resp.Status)
	return resp.StatusCode, b.String()
}

// udpSubscribers lists the UDP subscriber ids of service on d.
func udpSubscribers(t *testing.T, d *daemon.Daemon, service string) []string {
	t.Helper()
	code, body := adminGet(t, d, "/v1/status/service", url.Values{"service": {service}})
	var st struct {
		Subscribers []struct {
			ConnectionID string `json:"connectionId"`
		} `json:"subscribers"`
	}
	if err := json.Unmarshal(body, &st); code != 200 || err != nil {
		t.Fatalf("status of %s: %d %s (%v)", service, code, body, err)
	}
	var ids []string
	for _, s := range st.Subscribers {
		ids = append(ids, s.ConnectionID)
	}
	return ids
}

// registerAndAwaitPush registers an instance into service over HTTP and
// waits for its push on pc.
func registerAndAwaitPush(t *testing.T, d *daemon.Daemon, service string, pc *net.UDPConn) {
	t.Helper()
	reg := url.Values{"serviceName": {"DEFAULT_GROUP@@" + service}, "ip": {"10.9.9.9"}, "port": {"80"},
		"metadata": {`{"pad":"` + strings.Repeat("p", 1500) + `"}`}}
	if code, body := nacosCall(t, d, http.MethodPost, "/v1/ns/instance", reg); code != 200 {
		t.Fatalf("register: %d %q", code, body)
	}
	dg, _ := readPush(t, pc)
	var pushed upstream.ServiceInfo
	if err := json.Unmarshal([]byte(dg.Data), &pushed); err != nil || len(pushed.Hosts) != 1 {
		t.Fatalf("push = %+v (%v), want the new instance", dg, err)
	}
}

// TestUDPNoReflection: a list request naming another host in clientIP
// subscribes the address the request came from, never that host.
func TestUDPNoReflection(t *testing.T) {
	cfg := testConfig(t)
	cfg.Fanout.MergeWindow = 0
	d := startHerald(t, cfg)
	p := newUDPPair(t)
	q := url.Values{"serviceName": {"DEFAULT_GROUP@@reflect"}, "udpPort": {p.portSt}, "clientIP": {"127.0.0.2"}}
	if code, st := listFrom(t, d, "127.0.0.1", q); code != 200 {
		t.Fatalf("list: %s", st)
	}
	if got := udpSubscribers(t, d, "reflect"); len(got) != 1 || got[0] != "udp:127.0.0.1:"+p.portSt {
		t.Fatalf("UDP subscribers = %v, want only the requester udp:127.0.0.1:%s", got, p.portSt)
	}
	registerAndAwaitPush(t, d, "reflect", p.one)
	if got := udpSubscribers(t, d, "reflect"); len(got) != 1 || got[0] != "udp:127.0.0.1:"+p.portSt {
		t.Fatalf("after the push, UDP subscribers = %v", got)
	}
}

// TestUDPTrustedProxyNamesClient: a request from a trusted proxy network
// subscribes the clientIP it names; one from elsewhere still does not.
func TestUDPTrustedProxyNamesClient(t *testing.T) {
	cfg := testConfig(t)
	cfg.Fanout.MergeWindow = 0
	cfg.HTTP.TrustedProxies = []string{"127.0.0.2/32"}
	d := startHerald(t, cfg)
	p := newUDPPair(t)
	viaProxy := url.Values{"serviceName": {"DEFAULT_GROUP@@proxied"}, "udpPort": {p.portSt}, "clientIP": {"127.0.0.1"}}
	if code, st := listFrom(t, d, "127.0.0.2", viaProxy); code != 200 {
		t.Fatalf("list through the proxy: %s", st)
	}
	if got := udpSubscribers(t, d, "proxied"); len(got) != 1 || got[0] != "udp:127.0.0.1:"+p.portSt {
		t.Fatalf("UDP subscribers = %v, want the named client udp:127.0.0.1:%s", got, p.portSt)
	}
	registerAndAwaitPush(t, d, "proxied", p.one)

	direct := url.Values{"serviceName": {"DEFAULT_GROUP@@direct"}, "udpPort": {p.portSt}, "clientIP": {"127.0.0.2"}}
	if code, st := listFrom(t, d, "127.0.0.1", direct); code != 200 {
		t.Fatalf("direct list: %s", st)
	}
	if got := udpSubscribers(t, d, "direct"); len(got) != 1 || got[0] != "udp:127.0.0.1:"+p.portSt {
		t.Fatalf("a request from outside the proxy network: UDP subscribers = %v, want udp:127.0.0.1:%s", got, p.portSt)
	}
}

// TestUDPOversizePushDropped: a push too large for one datagram even
// gzipped is not sent: it is recorded dropped with that reason, and the
// subscriber stays (it keeps polling, and gets pushes that fit).
func TestUDPOversizePushDropped(t *testing.T) {
	cfg := testConfig(t)
	cfg.Fanout.MergeWindow = 0
	d := startHerald(t, cfg)
	p := newUDPPair(t)
	pushes := ackPushes(t, p.one)
	q := url.Values{"serviceName": {"DEFAULT_GROUP@@huge"}, "udpPort": {p.portSt}}
	if code, st := listFrom(t, d, "127.0.0.1", q); code != 200 {
		t.Fatalf("list: %s", st)
	}
	// Instance metadata is bounded (16 KiB each), so the list grows past a
	// datagram with several instances of random (incompressible) metadata.
	const instances = 8
	for i := range instances {
		noise := make([]byte, 11<<10)
		if _, err := rand.Read(noise); err != nil {
			t.Fatal(err)
		}
		reg := url.Values{"serviceName": {"DEFAULT_GROUP@@huge"}, "ip": {fmt.Sprintf("10.8.8.%d", i)}, "port": {"80"},
			"metadata": {`{"noise":"` + base64.StdEncoding.EncodeToString(noise) + `"}`}}
		if code, body := nacosForm(t, d, http.MethodPost, "/v1/ns/instance", reg); code != 200 {
			t.Fatalf("register: %d %q", code, body)
		}
	}
	rec := findResult(t, d, "/v1/tracks/service", url.Values{"service": {"huge"}}, "dropped")
	if !strings.Contains(rec.Reason, "exceeds one UDP datagram") || rec.ConnID != "udp:127.0.0.1:"+p.portSt {
		t.Fatalf("dropped record = %+v, want the oversize reason for udp:127.0.0.1:%s", rec, p.portSt)
	}
	if got := udpSubscribers(t, d, "huge"); len(got) != 1 {
		t.Fatalf("after the oversize push, UDP subscribers = %v, want the subscriber kept", got)
	}
	// The next change that fits is pushed to it.
	for i := range instances {
		if code, body := nacosCall(t, d, http.MethodDelete, "/v1/ns/instance", url.Values{"serviceName": {"DEFAULT_GROUP@@huge"},
			"ip": {fmt.Sprintf("10.8.8.%d", i)}, "port": {"80"}}); code != 200 {
			t.Fatalf("deregister: %d %q", code, body)
		}
	}
	select {
	case <-pushes:
	case <-time.After(30 * time.Second):
		t.Fatal("no empty push after the oversize one")
	}
}

// ackPushes acknowledges every push on pc, as a 1.x client does (one that
// stops acknowledging is dropped after its retries), and returns a channel
// closed at the first push listing no instance. It stops when pc closes.
func ackPushes(t *testing.T, pc *net.UDPConn) <-chan struct{} {
	t.Helper()
	empty := make(chan struct{})
	go func() {
		buf := make([]byte, 64<<10)
		closed := false
		for {
			n, from, err := pc.ReadFromUDP(buf)
			if err != nil {
				return // closed by the test's cleanup
			}
			dg, err := parseDatagram(buf[:n])
			if err != nil {
				continue
			}
			ack := fmt.Sprintf(`{"type":"push-ack","lastRefTime":%s,"data":""}`, dg.LastRefTime)
			_, _ = pc.WriteToUDP([]byte(ack), from)
			var pushed upstream.ServiceInfo
			if json.Unmarshal([]byte(dg.Data), &pushed) == nil && len(pushed.Hosts) == 0 && !closed {
				closed = true
				close(empty)
			}
		}
	}()
	return empty
}
