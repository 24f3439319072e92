package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"testing"

	"github.com/nacos-group/nacos-sdk-go/v2/clients"
	"github.com/nacos-group/nacos-sdk-go/v2/clients/naming_client"
	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/gateway/daemon"
)

// httpPort is the port of Herald's Nacos 1.x HTTP listener.
func httpPort(t *testing.T, d *daemon.Daemon) uint64 {
	t.Helper()
	return uint64(d.HTTPAddr().(*net.TCPAddr).Port)
}

// newHTTPClient is an SDK naming client as users configure it: Port is the
// HTTP port (persistent registrations go there), GrpcPort the gRPC port.
func newHTTPClient(t *testing.T, d *daemon.Daemon) naming_client.INamingClient {
	t.Helper()
	return newHTTPClientAs(t, d, "", "")
}

// newHTTPClientAs is newHTTPClient logging in with username and password
// (no login when username is empty).
func newHTTPClientAs(t *testing.T, d *daemon.Daemon, username, password string) naming_client.INamingClient {
	t.Helper()
	dir, err := os.MkdirTemp(sdkDir, "client-")
	if err != nil {
		t.Fatal(err)
	}
	cc := constant.ClientConfig{
		TimeoutMs: 5000, NotLoadCacheAtStart: true, UpdateCacheWhenEmpty: true,
		CacheDir: dir, LogDir: dir, LogLevel: "error", AppName: "e2e-http",
		Username: username, Password: password,
	}
	sc := []constant.ServerConfig{{IpAddr: "127.0.0.1", Port: httpPort(t, d), GrpcPort: grpcPort(t, d)}}
	c, err := clients.NewNamingClient(vo.NacosClientParam{ClientConfig: &cc, ServerConfigs: sc})
	if err != nil {
		t.Fatalf("new naming client: %v", err)
	}
	t.Cleanup(c.CloseClient)
	return c
}

// nacosCall sends a 1.x API request with params in the query string (as
// Node does) and returns the status and body.
func nacosCall(t *testing.T, d *daemon.Daemon, method, path string, q url.Values) (int, string) {
	t.Helper()
	u := "http://" + d.HTTPAddr().String() + "/nacos" + path + "?" + q.Encode()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return doHTTP(t, req)
}

// nacosForm sends params as a form body (as the Go SDK's POST does).
func nacosForm(t *testing.T, d *daemon.Daemon, method, path string, form url.Values) (int, string) {
	t.Helper()
	u := "http://" + d.HTTPAddr().String() + "/nacos" + path
	req, err := http.NewRequest(method, u, bytes.NewBufferString(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return doHTTP(t, req)
}

func doHTTP(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// udpDatagram is a 1.x push as a client decodes it.
type udpDatagram struct {
	Type        string          `json:"type"`
	Data        string          `json:"data"`
	LastRefTime json.RawMessage `json:"lastRefTime"`
}

// decodeDatagram gunzips (when it starts with the gzip magic) and parses.
func decodeDatagram(t *testing.T, b []byte) udpDatagram {
	t.Helper()
	d, err := parseDatagram(b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// parseDatagram is decodeDatagram returning its error.
func parseDatagram(b []byte) (udpDatagram, error) {
	var d udpDatagram
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		r, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return d, err
		}
		if b, err = io.ReadAll(r); err != nil {
			return d, err
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("datagram %q: %v", b, err)
	}
	return d, nil
}
