package e2e

import (
	"testing"
	"time"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/internal/tlstest"
)

// TestEdgeReachesTLSCoreWithCredentials: a core with auth on and TLS on
// both client listeners; an edge whose link trusts the core's CA and logs
// in with a username and password (over https, as it dials gRPC over TLS)
// registers through it, and the core shows the instance.
func TestEdgeReachesTLSCoreWithCredentials(t *testing.T) {
	ca := tlstest.NewCA(t, "core")
	pair := ca.Server(t.TempDir())
	coreCfg := authCoreConfig(t)
	files := conf.ListenerTLS{CertFile: pair.CertFile, KeyFile: pair.KeyFile}
	coreCfg.GRPC.TLS, coreCfg.HTTP.TLS = files, files
	core := startCore(t, coreCfg)

	edgeCfg := edgeConfig(t, core.GRPCAddr().String())
	edgeCfg.Upstream.Nacos.TLS = conf.UpstreamTLS{CAFile: ca.File}
	edgeCfg.Upstream.Username, edgeCfg.Upstream.Password = "edge", "pw-edge"
	edgeCfg.Upstream.LoginServers = []string{core.HTTPAddr().String()}
	edge := startCore(t, edgeCfg)
	waitUpstreamReady(t, edge)

	mustRegister(t, newClient(t, grpcPort(t, edge), "dev"), instance("tls-auth-chain", "10.41.0.1", 1))
	eventually(t, "the edge's registration on the TLS core", 20*time.Second, func() error {
		snap, err := core.Gateway().Registry().Query(t.Context(), upstreamKey("dev", "tls-auth-chain"))
		if err != nil {
			return err
		}
		if len(snap.Instances) != 1 || snap.Instances[0].IP != "10.41.0.1" {
			return errorString("not on the core yet")
		}
		return nil
	})
}
