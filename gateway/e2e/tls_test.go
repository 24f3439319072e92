package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/clients"
	"github.com/nacos-group/nacos-sdk-go/v2/clients/naming_client"
	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/herald-gateway/herald/conf"
	"github.com/herald-gateway/herald/gateway/daemon"
	"github.com/herald-gateway/herald/gateway/nacostest"
	"github.com/herald-gateway/herald/internal/tlstest"
)

// tlsHerald is Herald serving TLS on both client listeners with a server
// certificate of ca (files in certDir, which the test may rewrite), and
// with clientCA, when set, requiring client certificates on both.
func tlsHerald(t *testing.T, ca *tlstest.CA, certDir, clientCA string) *daemon.Daemon {
	t.Helper()
	pair := ca.Server(certDir)
	cfg := testConfig(t)
	// TLS is served by Kitex on gonet whatever grpc.transport says.
	files := conf.ListenerTLS{CertFile: pair.CertFile, KeyFile: pair.KeyFile, ClientCAFile: clientCA}
	cfg.GRPC.TLS, cfg.HTTP.TLS = files, files
	return startHerald(t, cfg)
}

// newTLSClient is an SDK naming client over TLS: gRPC with TLSCfg and
// the HTTP API (persistent registrations) over https, trusting caFile.
func newTLSClient(t *testing.T, d *daemon.Daemon, tlsCfg constant.TLSConfig) naming_client.INamingClient {
	t.Helper()
	dir, err := os.MkdirTemp(sdkDir, "client-")
	if err != nil {
		t.Fatal(err)
	}
	cc := constant.ClientConfig{
		TimeoutMs: 5000, NotLoadCacheAtStart: true, UpdateCacheWhenEmpty: true,
		CacheDir: dir, LogDir: dir, LogLevel: "error", AppName: "e2e-tls",
		TLSCfg: tlsCfg,
	}
	sc := []constant.ServerConfig{{Scheme: "https", IpAddr: "127.0.0.1", Port: httpPort(t, d), GrpcPort: grpcPort(t, d)}}
	c, err := clients.NewNamingClient(vo.NacosClientParam{ClientConfig: &cc, ServerConfigs: sc})
	if err != nil {
		t.Fatalf("new naming client: %v", err)
	}
	t.Cleanup(c.CloseClient)
	return c
}

// sdkTLS is the SDK's TLS setting trusting caFile (Appointed: the
// environment does not override it).
func sdkTLS(caFile string) constant.TLSConfig {
	return constant.TLSConfig{Appointed: true, Enable: true, CaFile: caFile}
}

// TestTLSSDKOverGRPCAndHTTP: nacos-sdk-go with TLSCfg (a CA file) speaks
// to Herald over TLS on both listeners: an ephemeral instance goes over
// gRPC, a persistent one (of another service: a service holds one kind)
// over the HTTP API, and queries over gRPC see both.
func TestTLSSDKOverGRPCAndHTTP(t *testing.T) {
	ca := tlstest.NewCA(t, "herald")
	d := tlsHerald(t, ca, t.TempDir(), "")
	c := newTLSClient(t, d, sdkTLS(ca.File))
	mustRegister(t, c, instance("tls-svc", "10.0.0.1", 8080))
	persistent := instance("tls-persistent-svc", "10.0.0.2", 8080)
	persistent.Ephemeral = false
	mustRegister(t, c, persistent)
	for svc, want := range map[string]string{"tls-svc": "[10.0.0.1:8080]", "tls-persistent-svc": "[10.0.0.2:8080]"} {
		ins, err := c.SelectAllInstances(vo.SelectAllInstancesParam{ServiceName: svc})
		if err != nil || addrs(ins) != want {
			t.Fatalf("%s over TLS: %s, %v; want %s", svc, addrs(ins), err, want)
		}
	}
}

// TestTLSRefusesPlainText: plain-text clients on TLS listeners get an
// error, not a hang, and the listeners keep serving TLS clients.
func TestTLSRefusesPlainText(t *testing.T) {
	ca := tlstest.NewCA(t, "herald")
	d := tlsHerald(t, ca, t.TempDir(), "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c, err := nacostest.Dial(ctx, d.GRPCAddr().String()); err == nil {
		c.Close()
		t.Fatal("a plain-text gRPC client was served on the TLS listener")
	} else if ctx.Err() != nil {
		t.Fatalf("plain-text gRPC client: no answer before the deadline: %v", err)
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	if resp, err := hc.Get("http://" + d.HTTPAddr().String() + "/nacos/v1/ns/operator/metrics"); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatalf("a plain-text HTTP request was served on the TLS listener: %s", body)
		}
	} else if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Timeout") {
		t.Fatalf("plain-text HTTP request: no answer: %v", err)
	}
	// TLS clients are served as before.
	tc, err := nacostest.Dial(ctx, d.GRPCAddr().String(), grpcTLS(t, ca.File, nil))
	if err != nil {
		t.Fatalf("TLS gRPC client after the plain-text ones: %v", err)
	}
	tc.Close()
	resp, err := httpsClient(ca.File).Get("https://" + d.HTTPAddr().String() + "/nacos/v1/ns/operator/metrics")
	if err != nil {
		t.Fatalf("TLS HTTP client after the plain-text ones: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("TLS HTTP client: status %d", resp.StatusCode)
	}
}

// TestTLSCertificateReload: rewriting the certificate and key files makes
// both listeners serve the new certificate without a restart; connections
// made before carry on.
func TestTLSCertificateReload(t *testing.T) {
	ca := tlstest.NewCA(t, "herald")
	dir := t.TempDir()
	d := tlsHerald(t, ca, dir, "")
	before := newTLSClient(t, d, sdkTLS(ca.File))
	mustRegister(t, before, instance("reload-svc", "10.0.0.1", 8080))
	first := servedSerial(t, d.GRPCAddr().String(), ca.File)
	next := ca.Server(dir) // same paths, new certificate and key
	if next.Serial.String() == first {
		t.Fatal("the new certificate has the old serial")
	}
	for _, addr := range []string{d.GRPCAddr().String(), d.HTTPAddr().String()} {
		eventually(t, "new certificate served on "+addr, 10*time.Second, func() error {
			if got := servedSerial(t, addr, ca.File); got != next.Serial.String() {
				return errors.New("still serving serial " + got)
			}
			return nil
		})
	}
	after := newTLSClient(t, d, sdkTLS(ca.File))
	mustRegister(t, after, instance("reload-svc", "10.0.0.2", 8080))
	ins, err := before.SelectAllInstances(vo.SelectAllInstancesParam{ServiceName: "reload-svc"})
	if err != nil || addrs(ins) != "[10.0.0.1:8080 10.0.0.2:8080]" {
		t.Fatalf("the client connected before the rotation: %s, %v", addrs(ins), err)
	}
}

// TestMutualTLSRefusesClientWithoutCertificate: with a client CA, a client
// without a certificate is refused on both listeners and one with a
// certificate of that CA is served.
func TestMutualTLSRefusesClientWithoutCertificate(t *testing.T) {
	ca := tlstest.NewCA(t, "herald")
	clients := tlstest.NewCA(t, "clients")
	d := tlsHerald(t, ca, t.TempDir(), clients.File)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c, err := nacostest.Dial(ctx, d.GRPCAddr().String(), grpcTLS(t, ca.File, nil)); err == nil {
		c.Close()
		t.Fatal("gRPC: a client without a certificate was served")
	}
	if resp, err := httpsClient(ca.File).Get("https://" + d.HTTPAddr().String() + "/nacos/v1/ns/operator/metrics"); err == nil {
		resp.Body.Close()
		t.Fatalf("HTTP: a client without a certificate was served (status %d)", resp.StatusCode)
	}
	pair := clients.Client(t.TempDir(), "app")
	cert, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := nacostest.Dial(ctx, d.GRPCAddr().String(), grpcTLS(t, ca.File, &cert))
	if err != nil {
		t.Fatalf("gRPC with a client certificate: %v", err)
	}
	c.Close()
	// The SDK presents its certificate from TLSCfg.
	sdk := sdkTLS(ca.File)
	sdk.CertFile, sdk.KeyFile = pair.CertFile, pair.KeyFile
	mustRegister(t, newTLSClient(t, d, sdk), instance("mtls-svc", "10.0.0.1", 8080))
}

// TestEdgeReachesTLSCore: an edge dials its core over TLS (CA file, and a
// client certificate the core requires) and serves the core's registry.
func TestEdgeReachesTLSCore(t *testing.T) {
	ca := tlstest.NewCA(t, "core")
	clients := tlstest.NewCA(t, "edges")
	pair := ca.Server(t.TempDir())
	coreCfg := testConfig(t)
	coreCfg.GRPC.TLS = conf.ListenerTLS{CertFile: pair.CertFile, KeyFile: pair.KeyFile, ClientCAFile: clients.File}
	core := startCore(t, coreCfg)
	app := clients.Client(t.TempDir(), "app")
	mustRegister(t, newTLSClient(t, core, constant.TLSConfig{Appointed: true, Enable: true, CaFile: ca.File,
		CertFile: app.CertFile, KeyFile: app.KeyFile}), instance("edge-tls-svc", "10.0.0.1", 8080))

	edgeCfg := edgeConfig(t, core.GRPCAddr().String())
	ec := clients.Client(t.TempDir(), "edge")
	edgeCfg.Upstream.Nacos.TLS = conf.UpstreamTLS{CAFile: ca.File, CertFile: ec.CertFile, KeyFile: ec.KeyFile}
	edge := startCore(t, edgeCfg)
	waitUpstreamReady(t, edge)
	ins, err := newClient(t, grpcPort(t, edge), "").SelectAllInstances(vo.SelectAllInstancesParam{ServiceName: "edge-tls-svc"})
	if err != nil || addrs(ins) != "[10.0.0.1:8080]" {
		t.Fatalf("through the edge: %s, %v", addrs(ins), err)
	}
}

// grpcTLS is a raw client's TLS credentials trusting caFile, presenting
// cert when set.
func grpcTLS(t *testing.T, caFile string, cert *tls.Certificate) grpc.DialOption {
	t.Helper()
	cfg := &tls.Config{RootCAs: pool(caFile), ServerName: "127.0.0.1"}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return grpc.WithTransportCredentials(credentials.NewTLS(cfg))
}

// httpsClient trusts caFile.
func httpsClient(caFile string) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool(caFile)}, DisableKeepAlives: true}}
}

func pool(caFile string) *x509.CertPool {
	p := x509.NewCertPool()
	if pem, err := os.ReadFile(caFile); err == nil {
		p.AppendCertsFromPEM(pem)
	}
	return p
}

// servedSerial handshakes with addr and returns the serial of the
// certificate it serves.
func servedSerial(t *testing.T, addr, caFile string) string {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
		&tls.Config{RootCAs: pool(caFile), ServerName: "127.0.0.1", NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatalf("handshake with %s: %v", addr, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

// TestEdgeRefusesUntrustedCore: an edge whose CA did not sign the core's
// certificate does not link to it, and says why.
func TestEdgeRefusesUntrustedCore(t *testing.T) {
	pair := tlstest.NewCA(t, "core").Server(t.TempDir())
	coreCfg := testConfig(t)
	coreCfg.GRPC.TLS = conf.ListenerTLS{CertFile: pair.CertFile, KeyFile: pair.KeyFile}
	core := startCore(t, coreCfg)
	edgeCfg := edgeConfig(t, core.GRPCAddr().String())
	edgeCfg.Upstream.Nacos.TLS = conf.UpstreamTLS{CAFile: tlstest.NewCA(t, "stranger").File}
	edge := startCore(t, edgeCfg)
	eventually(t, "the edge reports the certificate it refused", chainWait, func() error {
		var body struct {
			Ready bool `json:"ready"`
			Link  struct {
				Connection struct {
					LastError string `json:"lastError"`
				} `json:"connection"`
			} `json:"link"`
		}
		if err := adminJSON(edge, "/v1/upstream", &body); err != nil {
			return err
		}
		if body.Ready {
			t.Fatal("the edge linked to a core whose certificate it cannot verify")
		}
		if !strings.Contains(body.Link.Connection.LastError, "certificate") {
			return errors.New("last error: " + body.Link.Connection.LastError)
		}
		return nil
	})
}
