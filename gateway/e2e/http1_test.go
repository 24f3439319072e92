package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/upstream"
)

// TestHTTPPersistentSeenByGRPCSubscriber: the Go SDK's default
// registration (Ephemeral:false) goes over HTTP 1.x, and a gRPC subscriber
// sees it come and go.
func TestHTTPPersistentSeenByGRPCSubscriber(t *testing.T) {
	cfg := testConfig(t)
	cfg.Fanout.MergeWindow = 0
	d := startHerald(t, cfg)
	sub := newClient(t, grpcPort(t, d), "")
	w := newWatcher()
	subscribe(t, sub, w, vo.SubscribeParam{ServiceName: "orders"})

	reg := newHTTPClient(t, d)
	// Ephemeral left at the SDK's default, false.
	p := vo.RegisterInstanceParam{ServiceName: "orders", Ip: "10.0.0.7", Port: 8080,
		Weight: 1, Enable: true, Healthy: true, Metadata: map[string]string{"zone": "a"}}
	mustRegister(t, reg, p)
	w.waitFor(t, "the persistent instance", 15*time.Second, hasAddrs("10.0.0.7:8080"))
	last, _ := w.snapshot()
	if last[0].Metadata["zone"] != "a" || last[0].Weight != 1 {
		t.Errorf("instance = %+v, want metadata zone=a, weight 1", last[0])
	}
	ok, err := reg.DeregisterInstance(vo.DeregisterInstanceParam{ServiceName: "orders", Ip: "10.0.0.7", Port: 8080})
	if err != nil || !ok {
		t.Fatalf("deregister: ok=%v err=%v", ok, err)
	}
	w.waitFor(t, "the instance to go", 15*time.Second, hasAddrs())
}

// TestHTTPBeatTimeline: an ephemeral HTTP instance that stops beating is
// pushed unhealthy after beatTimeout and removed after beatDeleteTimeout
// (short here; the rules with the 15 s / 30 s defaults are unit-tested with
// injected time); a beat with a body brings it back.
func TestHTTPBeatTimeline(t *testing.T) {
	cfg := testConfig(t)
	cfg.Fanout.MergeWindow = 0
	cfg.HTTP.BeatTimeout = 2 * time.Second
	cfg.HTTP.BeatDeleteTimeout = 4 * time.Second
	cfg.HTTP.BeatCheckInterval = 50 * time.Millisecond
	d := startHerald(t, cfg)
	sub := newClient(t, grpcPort(t, d), "")
	w := newWatcher()
	subscribe(t, sub, w, vo.SubscribeParam{ServiceName: "beats"})

	q := url.Values{"serviceName": {"DEFAULT_GROUP@@beats"}, "ip": {"10.1.1.1"}, "port": {"9000"}}
	start := time.Now()
	if code, body := nacosCall(t, d, http.MethodPost, "/v1/ns/instance", q); code != 200 || body != "ok" {
		t.Fatalf("register: %d %q", code, body)
	}
	w.waitFor(t, "the healthy instance", 15*time.Second, healthyIs(true))
	w.waitFor(t, "the instance turned unhealthy", 15*time.Second, healthyIs(false))
	if el := time.Since(start); el < cfg.HTTP.BeatTimeout {
		t.Errorf("unhealthy after %v, before the beat timeout %v", el, cfg.HTTP.BeatTimeout)
	}
	w.waitFor(t, "the instance deleted", 15*time.Second, hasAddrs())
	if el := time.Since(start); el < cfg.HTTP.BeatDeleteTimeout {
		t.Errorf("deleted after %v, before the delete timeout %v", el, cfg.HTTP.BeatDeleteTimeout)
	}

	beat := url.Values{"serviceName": {"DEFAULT_GROUP@@beats"},
		"beat": {`{"serviceName":"DEFAULT_GROUP@@beats","ip":"10.1.1.1","port":9000,"cluster":"DEFAULT","weight":1,"metadata":{},"scheduled":true}`}}
	code, body := nacosCall(t, d, http.MethodPut, "/v1/ns/instance/beat", beat)
	var reply struct {
		ClientBeatInterval json.Number `json:"clientBeatInterval"`
		Code               int         `json:"code"`
	}
	if err := json.Unmarshal([]byte(body), &reply); code != 200 || err != nil || reply.Code != 10200 {
		t.Fatalf("beat of a deleted instance: %d %q (%v), want 200 with code 10200", code, body, err)
	}
	if n, err := reply.ClientBeatInterval.Int64(); err != nil || n != 5000 {
		t.Errorf("clientBeatInterval = %q, want the integer 5000", reply.ClientBeatInterval)
	}
	w.waitFor(t, "the instance re-registered by its beat", 15*time.Second, healthyIs(true))
}

// healthyIs is true when exactly one instance is listed with that health.
func healthyIs(h bool) func([]model.Instance) bool {
	return func(ins []model.Instance) bool { return len(ins) == 1 && ins[0].Healthy == h }
}

// TestHTTPUDPPushAcked: a raw UDP client subscribes with instance/list,
// receives the push of a change, acks it with lastRefTime as a string (as
// Go does), and the ack reaches the Hub and the tracker.
func TestHTTPUDPPushAcked(t *testing.T) {
	cfg := testConfig(t)
	cfg.Fanout.MergeWindow = 0
	d := startHerald(t, cfg)
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	udpPort := pc.LocalAddr().(*net.UDPAddr).Port
	list := url.Values{"serviceName": {"DEFAULT_GROUP@@udp"}, "clusters": {"DEFAULT"},
		"udpPort": {strconv.Itoa(udpPort)}, "clientIP": {"127.0.0.1"}}
	code, body := nacosCall(t, d, http.MethodGet, "/v1/ns/instance/list", list)
	var info upstream.ServiceInfo
	if err := json.Unmarshal([]byte(body), &info); code != 200 || err != nil || info.Name != "DEFAULT_GROUP@@udp" || info.Clusters != "DEFAULT" {
		t.Fatalf("list: %d %s (%v), want the grouped name and clusters echoed", code, body, err)
	}
	reg := url.Values{"serviceName": {"DEFAULT_GROUP@@udp"}, "ip": {"10.2.2.2"}, "port": {"80"},
		"metadata": {`{"big":"` + strings.Repeat("x", 1500) + `"}`}}
	if code, body := nacosCall(t, d, http.MethodPost, "/v1/ns/instance", reg); code != 200 {
		t.Fatalf("register: %d %q", code, body)
	}
	dg, from := readPush(t, pc)
	var pushed upstream.ServiceInfo
	if err := json.Unmarshal([]byte(dg.Data), &pushed); err != nil || dg.Type != "dom" ||
		pushed.Name != "DEFAULT_GROUP@@udp" || len(pushed.Hosts) != 1 || pushed.Hosts[0].IP != "10.2.2.2" {
		t.Fatalf("push = %+v (data %v), want a dom push of 10.2.2.2", dg, err)
	}
	ack := fmt.Sprintf(`{"type":"push-ack","lastRefTime":"%s","data":""}`, dg.LastRefTime)
	if _, err := pc.WriteToUDP([]byte(ack), from); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the ack counted", 10*time.Second, func() error {
		if n := d.Hub().Counts()["acked"]; n < 1 {
			return fmt.Errorf("acked = %d", n)
		}
		return nil
	})
	if code, st := adminGet(t, d, "/stats", nil); code != 200 || !strings.Contains(string(st), `"udpSubscribers":1`) {
		t.Errorf("/stats = %d %s, want one UDP subscriber", code, st)
	}
	rec := findResult(t, d, "/v1/tracks/client", url.Values{"ip": {"127.0.0.1"}}, "acked")
	if rec.Service != "udp" || !strings.HasPrefix(rec.ConnID, "udp:") {
		t.Errorf("acked record = %+v, want service udp on a udp: connection", rec)
	}
}

// readPush waits for one datagram (the 1.5 KiB metadata makes it gzipped)
// and returns it with its source, where acks go.
func readPush(t *testing.T, pc *net.UDPConn) (udpDatagram, *net.UDPAddr) {
	t.Helper()
	buf := make([]byte, 64<<10)
	if err := pc.SetReadDeadline(time.Now().Add(15 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, from, err := pc.ReadFromUDP(buf)
	if err != nil {
		t.Fatalf("no UDP push: %v", err)
	}
	if buf[0] != 0x1f || buf[1] != 0x8b {
		t.Errorf("a %d-byte push is not gzipped", n)
	}
	return decodeDatagram(t, buf[:n]), from
}

// TestHTTPUDPPushRetried: a UDP push that is not acknowledged is sent again
// after the ack timeout, as configured for every push.
func TestHTTPUDPPushRetried(t *testing.T) {
	cfg := testConfig(t)
	cfg.Fanout.MergeWindow = 0
	cfg.Session.AckTimeout = 300 * time.Millisecond
	cfg.Fanout.RetryBase = 100 * time.Millisecond
	d := startHerald(t, cfg)
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	list := url.Values{"serviceName": {"DEFAULT_GROUP@@retry"}, "clientIP": {"127.0.0.1"},
		"udpPort": {strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)}}
	if code, body := nacosCall(t, d, http.MethodGet, "/v1/ns/instance/list", list); code != 200 {
		t.Fatalf("list: %d %q", code, body)
	}
	reg := url.Values{"serviceName": {"DEFAULT_GROUP@@retry"}, "ip": {"10.3.3.3"}, "port": {"80"},
		"metadata": {`{"big":"` + strings.Repeat("y", 1500) + `"}`}}
	if code, body := nacosCall(t, d, http.MethodPost, "/v1/ns/instance", reg); code != 200 {
		t.Fatalf("register: %d %q", code, body)
	}
	first, _ := readPush(t, pc) // not acknowledged
	again, from := readPush(t, pc)
	if again.Data != first.Data {
		t.Fatalf("the retry carries other data:\n%s\n%s", first.Data, again.Data)
	}
	ack := fmt.Sprintf(`{"type":"push-ack","lastRefTime":%s,"data":""}`, again.LastRefTime)
	if _, err := pc.WriteToUDP([]byte(ack), from); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the retried push acked", 10*time.Second, func() error {
		c := d.Hub().Counts()
		if c["retried"] < 1 || c["acked"] < 1 {
			return fmt.Errorf("counts %v", c)
		}
		return nil
	})
}
