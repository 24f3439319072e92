package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/gateway/auth"
	"github.com/herald-gateway/herald/gateway/daemon"
	"github.com/herald-gateway/herald/upstream"
)

// authCore is a core with auth on, a 2 s token (the link renews it many
// times in a test) and an "edge" user that may do anything, like the
// account a Nacos cluster would give a gateway.
func authCore(t *testing.T) *daemon.Daemon {
	t.Helper()
	cfg := authCoreConfig(t)
	cfg.HTTP.TokenTTL = 2 * time.Second
	return startDaemon(t, cfg)
}

// authCoreConfig is the configuration of a core with auth on and the
// "edge" user.
func authCoreConfig(t *testing.T) conf.Config {
	t.Helper()
	cfg := authConfig(t)
	h, err := auth.HashPasswordCost("pw-edge", 10000)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Auth.Users = append(cfg.Auth.Users, "edge:"+h)
	cfg.Auth.Roles = append(cfg.Auth.Roles, "all-rw:edge")
	cfg.Auth.Permissions = append(cfg.Auth.Permissions, "all-rw:*:*:*:rw")
	cfg.Node = "core"
	return cfg
}

// authEdge is an edge in front of core logging in as user.
func authEdge(t *testing.T, core *daemon.Daemon, user, password string) *daemon.Daemon {
	t.Helper()
	cfg := edgeConfig(t, core.GRPCAddr().String())
	cfg.Upstream.Username, cfg.Upstream.Password = user, password
	cfg.Upstream.LoginServers = []string{core.HTTPAddr().String()}
	return startDaemon(t, cfg)
}

// TestAuthChainLogin: an edge whose link logs in to a core with auth on
// registers, subscribes and publishes through it, and keeps doing so as
// its short-lived token is renewed. Nothing else logs in to the core (it
// is observed directly and with password parameters), so its login count
// is the link's.
func TestAuthChainLogin(t *testing.T) {
	core := authCore(t)
	edge := authEdge(t, core, "edge", "pw-edge")
	waitUpstreamReady(t, edge)
	onCore := func(ips ...string) func() error {
		return func() error {
			snap, err := core.Gateway().Registry().Query(t.Context(), upstreamKey("dev", "chain-auth"))
			if err != nil {
				return err
			}
			var got []string
			for _, in := range snap.Instances {
				got = append(got, fmt.Sprintf("%s:%d", in.IP, in.Port))
			}
			sort.Strings(got)
			if !slices.Equal(got, ips) {
				return fmt.Errorf("core has %v, want %v", got, ips)
			}
			return nil
		}
	}
	mustRegister(t, newClient(t, grpcPort(t, edge), "dev"), instance("chain-auth", "10.40.0.1", 1))
	eventually(t, "the edge's registration on the core", chainWait, onCore("10.40.0.1:1"))
	we := newWatcher()
	subscribe(t, newClient(t, grpcPort(t, edge), "dev"), we, vo.SubscribeParam{ServiceName: "chain-auth"})
	we.waitFor(t, "the core's service through the edge", chainWait, hasAddrs("10.40.0.1:1"))

	logins := func() float64 {
		return sample(scrape(t, core), "herald_requests_total", "protocol", "http", "type", "POST /nacos/v1/auth/users/login", "code", "200")
	}
	first := logins()
	if first < 1 {
		t.Fatalf("the link has not logged in (%v logins)", first)
	}
	// Two renewals, at least 3/4 of the 2 s TTL apart: the token the link
	// started with has expired by the second.
	eventually(t, "the link renews its token twice", chainWait, func() error {
		if logins() < first+2 {
			return errorString("not renewed twice yet")
		}
		return nil
	})
	mustRegister(t, newClient(t, grpcPort(t, edge), "dev"), instance("chain-auth", "10.40.0.2", 2))
	eventually(t, "a registration after the renewals", chainWait, onCore("10.40.0.1:1", "10.40.0.2:2"))
	we.waitFor(t, "the edge's subscription carries on", chainWait, hasAddrs("10.40.0.1:1", "10.40.0.2:2"))

	mustPublish(t, newConfigClient(t, grpcPort(t, edge), "dev"), vo.ConfigParam{DataId: "chain.yaml", Group: "G", Content: "through"})
	get := url.Values{"tenant": {"dev"}, "group": {"G"}, "dataId": {"chain.yaml"}, "username": {"writer"}, "password": {"pw-writer"}}
	if code, body := nacosForm(t, core, http.MethodGet, "/v1/cs/configs", get); code != 200 || body != "through" {
		t.Fatalf("core has %d %q, want the edge's publish", code, body)
	}
}

func upstreamKey(ns, name string) upstream.ServiceKey {
	return upstream.ServiceKey{Namespace: ns, Name: name}.Normalize()
}
