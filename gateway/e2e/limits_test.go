package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway/nacostest"
	"github.com/herald-gateway/herald/upstream"
)

// A connection holding fanout.maxSubscriptionsPerClient subscriptions is
// refused another with a 400 that says why, keeps what it has, and another
// connection subscribes freely.
func TestSubscriptionCapPerClient(t *testing.T) {
	cfg := testConfig(t)
	cfg.Fanout.MaxSubscriptionsPerClient = 2
	d := startHerald(t, cfg)
	c := dialSetUp(t, d.GRPCAddr().String())
	subscribe := func(c *nacostest.Client, svc string) errorReply {
		_, r := call(t, c, "SubscribeServiceRequest", with(naming(svc, ""), "subscribe", true))
		return r
	}
	for _, svc := range []string{"a", "b", "a"} {
		if r := subscribe(c, svc); r.ResultCode != 200 {
			t.Fatalf("subscribe %s: %+v", svc, r)
		}
	}
	if r := subscribe(c, "c"); r.ErrorCode != 400 || !strings.Contains(r.Message, "too many subscriptions") {
		t.Fatalf("third service: %+v, want 400 naming the limit", r)
	}
	if r := subscribe(dialSetUp(t, d.GRPCAddr().String()), "c"); r.ResultCode != 200 {
		t.Fatalf("another connection: %+v", r)
	}
	if _, r := call(t, c, "SubscribeServiceRequest", with(naming("a", ""), "subscribe", false)); r.ResultCode != 200 {
		t.Fatalf("unsubscribe: %+v", r)
	}
	if r := subscribe(c, "c"); r.ResultCode != 200 {
		t.Fatalf("after unsubscribing one: %+v", r)
	}
}

// A UDP subscriber (1.x instance/list with udpPort) over the cap still gets
// its list answered; only the subscription is refused.
func TestSubscriptionCapUDPStillLists(t *testing.T) {
	cfg := testConfig(t)
	cfg.Fanout.MaxSubscriptionsPerClient = 1
	d := startHerald(t, cfg)
	if code, body := nacosCall(t, d, http.MethodPost, "/v1/ns/instance",
		url.Values{"serviceName": {"capped"}, "ip": {"10.3.3.3"}, "port": {"80"}}); code != 200 {
		t.Fatalf("register: %d %q", code, body)
	}
	list := func(svc string) upstream.ServiceInfo {
		t.Helper()
		code, body := nacosCall(t, d, http.MethodGet, "/v1/ns/instance/list",
			url.Values{"serviceName": {svc}, "udpPort": {"40001"}, "clientIP": {"127.0.0.1"}})
		var info upstream.ServiceInfo
		if err := json.Unmarshal([]byte(body), &info); code != 200 || err != nil {
			t.Fatalf("list %s: %d %s (%v)", svc, code, body, err)
		}
		return info
	}
	list("first")
	if info := list("capped"); len(info.Hosts) != 1 || info.Hosts[0].IP != "10.3.3.3" {
		t.Fatalf("list over the cap: %+v, want the registered instance", info)
	}
	if _, n := d.Hub().Stats(fanout.KindNaming); n != 1 {
		t.Fatalf("%d hub subscriptions, want 1 (the second refused)", n)
	}
}
