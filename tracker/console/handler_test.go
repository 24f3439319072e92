package console

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/common/config"
	"github.com/cloudwego/hertz/pkg/common/hlog"
	"github.com/cloudwego/hertz/pkg/common/ut"
	"github.com/cloudwego/hertz/pkg/route"
)

func init() { hlog.SetLevel(hlog.LevelWarn) }

// The features the pages ask about come from the routes mounted on the
// listener: the configuration pages light up when configuration
// tracking mounts its routes, with no change to the console.
func TestInfoFeaturesFollowTheRoutes(t *testing.T) {
	ok := func(_ context.Context, c *app.RequestContext) { c.String(http.StatusOK, "ok") }
	info := func(extra ...string) info {
		t.Helper()
		e := route.NewEngine(config.NewOptions(nil))
		e.GET("/v1/tracks/service", ok)
		e.GET("/v1/tracks/client", ok)
		e.GET("/v1/status/service", ok)
		for _, p := range extra {
			e.GET(p, ok)
		}
		New(Options{Node: "n1", TraceURL: "http://t/{traceId}", MaxWindow: 6 * time.Hour}).Register(e)
		w := ut.PerformRequest(e, "GET", "/console/api/info", nil).Result()
		var got info
		if err := json.Unmarshal(w.Body(), &got); err != nil {
			t.Fatalf("info: %v: %s", err, w.Body())
		}
		return got
	}
	before := info()
	if before.Node != "n1" || before.TraceURL != "http://t/{traceId}" || before.MaxWindowMs != 6*3600*1000 || before.Auth {
		t.Fatalf("info %+v", before)
	}
	if !before.Features["serviceTracks"] || !before.Features["clientTracks"] || !before.Features["serviceStatus"] ||
		before.Features["configTracks"] || before.Features["configStatus"] {
		t.Fatalf("features without configuration routes: %v", before.Features)
	}
	after := info("/v1/tracks/config", "/v1/status/config")
	if !after.Features["configTracks"] || !after.Features["configStatus"] {
		t.Fatalf("features with configuration routes: %v", after.Features)
	}
}

// Every page and asset is served with its type and a policy that keeps
// the page to its own origin.
func TestAssets(t *testing.T) {
	e := route.NewEngine(config.NewOptions(nil))
	New(Options{}).Register(e)
	for path, ctype := range map[string]string{
		"/console/":            "text/html",
		"/console/console.css": "text/css",
		"/console/js/app.js":   "text/javascript",
		"/console/login.css":   "text/css",
	} {
		w := ut.PerformRequest(e, "GET", path, nil).Result()
		csp := string(w.Header.Peek("Content-Security-Policy"))
		if w.StatusCode() != http.StatusOK || !strings.HasPrefix(string(w.Header.ContentType()), ctype) ||
			!strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") {
			t.Errorf("GET %s: %d %s, CSP %q", path, w.StatusCode(), w.Header.ContentType(), csp)
		}
	}
	if w := ut.PerformRequest(e, "GET", "/console/login.html", nil).Result(); w.StatusCode() != http.StatusNotFound {
		t.Errorf("the login template is served as a file: %d", w.StatusCode())
	}
	if w := ut.PerformRequest(e, "GET", "/console", nil).Result(); w.StatusCode() != http.StatusFound || string(w.Header.Peek("Location")) != "/console/" {
		t.Errorf("GET /console: %d %s", w.StatusCode(), w.Header.Peek("Location"))
	}
}

// No asset names another host: the console works with no network.
func TestAssetsNameNoOtherHost(t *testing.T) {
	for p, a := range loadAssets() {
		body := strings.ReplaceAll(string(a.body), "http://www.w3.org/2000/svg", "") // a namespace name, never fetched
		for _, bad := range []string{"http://", "https://", "//cdn", "@import"} {
			if i := strings.Index(body, bad); i >= 0 {
				t.Errorf("%s holds %q: %.60s", p, bad, body[i:])
			}
		}
	}
}
