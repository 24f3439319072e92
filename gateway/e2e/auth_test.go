package e2e

import (
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/clients"
	"github.com/nacos-group/nacos-sdk-go/v2/clients/config_client"
	"github.com/nacos-group/nacos-sdk-go/v2/clients/naming_client"
	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway/auth"
	"github.com/herald-gateway/herald/gateway/daemon"
	"github.com/herald-gateway/herald/upstream"
)

// The users of the auth tests, all with password "pw-<name>":
//   - writer may read and write everything in namespace dev;
//   - reader may only read dev;
//   - prodonly may read and write prod, and nothing in dev.
var authUsers = []string{"writer", "reader", "prodonly"}

// authConfig is testConfig with auth on and the users above.
func authConfig(t *testing.T) conf.Config {
	t.Helper()
	cfg := testConfig(t)
	for _, u := range authUsers {
		h, err := auth.HashPasswordCost("pw-"+u, 10000) // the cheapest accepted: tests stay fast
		if err != nil {
			t.Fatal(err)
		}
		cfg.Auth.Users = append(cfg.Auth.Users, u+":"+h)
	}
	cfg.Auth.Roles = []string{"dev-rw:writer", "dev-ro:reader", "prod-rw:prodonly"}
	cfg.Auth.Permissions = []string{"dev-rw:dev:*:*:rw", "dev-ro:dev:*:*:r", "prod-rw:prod:*:*:rw"}
	cfg.Fanout.MergeWindow = 0
	return cfg
}

// sdkClientConfig is a client config for namespace ns logging in as user.
func sdkClientConfig(t *testing.T, ns, user, password string) *constant.ClientConfig {
	t.Helper()
	dir, err := os.MkdirTemp(sdkDir, "auth-")
	if err != nil {
		t.Fatal(err)
	}
	return &constant.ClientConfig{
		NamespaceId: ns, TimeoutMs: 5000, NotLoadCacheAtStart: true, UpdateCacheWhenEmpty: true,
		CacheDir: dir, LogDir: dir, LogLevel: "error", AppName: "e2e-auth",
		Username: user, Password: password,
	}
}

// sdkServers points the SDK at d: HTTP for its login, gRPC for the rest.
func sdkServers(t *testing.T, d *daemon.Daemon) []constant.ServerConfig {
	return []constant.ServerConfig{{IpAddr: "127.0.0.1", Port: httpPort(t, d), GrpcPort: grpcPort(t, d)}}
}

// namingAs is a naming client of namespace ns logged in as user.
func namingAs(t *testing.T, d *daemon.Daemon, ns, user, password string) naming_client.INamingClient {
	t.Helper()
	c, err := clients.NewNamingClient(vo.NacosClientParam{ClientConfig: sdkClientConfig(t, ns, user, password), ServerConfigs: sdkServers(t, d)})
	if err != nil {
		t.Fatalf("new naming client as %s: %v", user, err)
	}
	t.Cleanup(c.CloseClient)
	return c
}

// configAs is a config client of namespace ns logged in as user.
func configAs(t *testing.T, d *daemon.Daemon, ns, user, password string) config_client.IConfigClient {
	t.Helper()
	c, err := clients.NewConfigClient(vo.NacosClientParam{ClientConfig: sdkClientConfig(t, ns, user, password), ServerConfigs: sdkServers(t, d)})
	if err != nil {
		t.Fatalf("new config client as %s: %v", user, err)
	}
	t.Cleanup(c.CloseClient)
	return c
}

// wantRefused fails unless err is Herald's (and Nacos's) refusal msg.
func wantRefused(t *testing.T, what string, err error, msg string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), msg) {
		t.Fatalf("%s: err = %v, want the refusal %q", what, err, msg)
	}
}

// TestAuthGoSDK: with auth on, the Go SDK logging in with Username and
// Password registers, subscribes, publishes, reads and listens, as against
// a Nacos with auth on.
func TestAuthGoSDK(t *testing.T) {
	d := startHerald(t, authConfig(t))
	nc := namingAs(t, d, "dev", "writer", "pw-writer")
	w := newWatcher()
	subscribe(t, nc, w, vo.SubscribeParam{ServiceName: "orders"})
	mustRegister(t, nc, instance("orders", "10.20.0.1", 80))
	w.waitFor(t, "the writer's own instance", wait, hasAddrs("10.20.0.1:80"))

	cc := configAs(t, d, "dev", "writer", "pw-writer")
	mustPublish(t, cc, vo.ConfigParam{DataId: "app.yaml", Group: "G", Content: "v1"})
	if got := mustGet(t, cc, "G", "app.yaml"); got != "v1" {
		t.Fatalf("GetConfig = %q, want v1", got)
	}
	cw := newConfigWatch()
	listen(t, cc, "G", "app.yaml", cw)
	held := fanout.ConfigTopic(upstream.ConfigKey{Namespace: "dev", Group: "G", DataID: "app.yaml"})
	eventually(t, "the SDK's listen held at v1", goListenWait, func() error {
		for _, sub := range d.Hub().Status(held).Subscribers {
			if sub.Held == upstream.Md5Hex("v1") {
				return nil
			}
		}
		return errorString("not held yet")
	})
	mustPublish(t, cc, vo.ConfigParam{DataId: "app.yaml", Group: "G", Content: "v2"})
	cw.waitFor(t, "v2", chainWait)
}

// TestAuthTokenRenewed: with a 2 s token the SDK's token expires while it
// is connected; the SDK logs in again (its 5 s refresh) and carries on:
// its subscription still gets pushes and its new requests are served.
func TestAuthTokenRenewed(t *testing.T) {
	cfg := authConfig(t)
	cfg.HTTP.TokenTTL = 2 * time.Second
	d := startHerald(t, cfg)
	nc := namingAs(t, d, "dev", "writer", "pw-writer")
	w := newWatcher()
	subscribe(t, nc, w, vo.SubscribeParam{ServiceName: "orders"})
	mustRegister(t, nc, instance("orders", "10.20.0.1", 80))
	w.waitFor(t, "the first instance", wait, hasAddrs("10.20.0.1:80"))
	logins := func() float64 {
		return sample(scrape(t, d), "herald_requests_total", "protocol", "http", "type", "POST /nacos/v1/auth/users/login", "code", "200")
	}
	first := logins()
	eventually(t, "the SDK logs in again after its token expired", chainWait, func() error {
		if n := logins(); n <= first {
			return errorString("no new login yet")
		}
		return nil
	})
	// Registering may meet the expired token until the new one is in use;
	// the SDK carries on with the new one. (One client holds one instance
	// per service: the new one replaces the first, as in Nacos.)
	eventually(t, "a registration with the renewed token", chainWait, func() error {
		_, err := nc.RegisterInstance(instance("orders", "10.20.0.2", 80))
		return err
	})
	w.waitFor(t, "the subscription carries on", chainWait, hasAddrs("10.20.0.2:80"))
}

type errorString string

func (e errorString) Error() string { return string(e) }

// TestAuthUserInPushRecords: the push records of an authenticated
// client's connection name its user, so the tracker answers which user's
// clients got a push.
func TestAuthUserInPushRecords(t *testing.T) {
	d := startHerald(t, authConfig(t))
	reader := namingAs(t, d, "dev", "reader", "pw-reader")
	w := newWatcher()
	subscribe(t, reader, w, vo.SubscribeParam{ServiceName: "tracked"})
	mustRegister(t, namingAs(t, d, "dev", "writer", "pw-writer"), instance("tracked", "10.20.0.5", 80))
	w.waitFor(t, "the pushed instance", wait, hasAddrs("10.20.0.5:80"))
	rec := findResult(t, d, "/v1/tracks/service", url.Values{"service": {"tracked"}, "namespace": {"dev"}}, "acked")
	if rec.User != "reader" {
		t.Fatalf("acked push record has user %q, want reader: %+v", rec.User, rec)
	}
}
