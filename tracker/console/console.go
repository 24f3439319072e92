// Package console serves the push-track console: web pages on the admin
// listener, at /console/, that answer the delivery questions an operator
// asks in an incident ("did this client get the update?") from the
// tracker's HTTP API.
//
// The pages are plain HTML, CSS and JavaScript modules embedded in the
// binary (assets/), with no build step, no CDN and no request to any
// other host: the browser talks only to the admin listener, through the
// same JSON API a script would use (/v1/tracks/*, /v1/status/*, /stats,
// /v1/upstream, /readyz) and one endpoint of its own, GET
// /console/api/info: the node, the trace UI URL, the longest query window
// and which tracker features this gateway serves. Features are read from
// the routes mounted on the listener, so a page whose API is absent (the
// configuration pages, on a gateway that serves no configuration) says
// so, and lights up when the route appears.
//
// With an admin token (gateway/adminauth), a browser without a session
// gets the login page (401) for every console path; POST /console/login
// with the pasted token sets the session cookie.
package console

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/route"

	"github.com/herald-gateway/herald/gateway/adminauth"
)

//go:embed assets
var assets embed.FS

// Prefix is where the console is mounted.
const Prefix = "/console/"

// Options configure the console.
type Options struct {
	Node string // this gateway's name, shown in the header
	// TraceURL links trace ids: a URL with {traceId}; "" shows them as text.
	TraceURL string
	// MaxWindow is the longest from..to span the tracker API accepts (its
	// retention); the widest time preset is clamped to it.
	MaxWindow time.Duration
	// Guard is the admin listener's token guard; nil or disabled means no
	// login step.
	Guard *adminauth.Guard
	// Fleet says the delivery status answers for the whole fleet (the
	// fleet view in Redis): the pages show each subscriber's gateway.
	Fleet bool
}

// Console is the mounted console.
type Console struct {
	opts   Options
	routes func() route.RoutesInfo
	files  map[string]asset // request path -> file
}

type asset struct {
	body  []byte
	ctype string
}

// featureRoutes maps each feature the pages ask about to the GET route
// that serves it. The configuration entries are mounted by the tracker
// API when the gateway serves configuration; without them those pages
// say they are not available.
var featureRoutes = map[string]string{
	"serviceTracks": "/v1/tracks/service",
	"clientTracks":  "/v1/tracks/client",
	"serviceStatus": "/v1/status/service",
	"configTracks":  "/v1/tracks/config",
	"configClient":  "/v1/tracks/config/client",
	"configStatus":  "/v1/status/config",
}

// New returns a console; Register mounts it.
func New(o Options) *Console {
	if o.MaxWindow <= 0 {
		o.MaxWindow = 24 * time.Hour
	}
	return &Console{opts: o, files: loadAssets()}
}

// Register mounts the console on e: the pages, /console/api/info, the
// login and logout forms. It declares to the guard which paths a browser
// without a session may fetch (the login form and its stylesheet) and
// that refused console pages get the login page.
func (con *Console) Register(e *route.Engine) {
	con.routes = e.Routes
	e.GET("/console", func(_ context.Context, c *app.RequestContext) { c.Redirect(http.StatusFound, []byte(Prefix)) })
	for p := range con.files {
		e.GET(p, con.serveAsset)
	}
	e.GET(Prefix+"api/info", con.serveInfo)
	e.POST(Prefix+"login", con.login)
	e.POST(Prefix+"logout", con.logout)
	if g := con.opts.Guard; g != nil {
		g.Allow(Prefix+"login", Prefix+"login.css")
		g.DenyWith(Prefix, con.refused)
	}
}

// loadAssets maps every embedded file to its URL: assets/index.html is
// /console/, assets/x is /console/x.
func loadAssets() map[string]asset {
	files := map[string]asset{}
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "assets/login.html" {
			return err
		}
		body, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		url := Prefix + strings.TrimPrefix(p, "assets/")
		if p == "assets/index.html" {
			url = Prefix
		}
		files[url] = asset{body: body, ctype: contentType(p)}
		return nil
	})
	if err != nil {
		panic("console: embedded assets unreadable: " + err.Error()) // a build defect, not input
	}
	return files
}

func contentType(p string) string {
	switch path.Ext(p) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	return "application/octet-stream"
}

// securityHeaders keep the pages to their own origin: no script, style,
// font or connection anywhere else, no framing.
func securityHeaders(c *app.RequestContext) {
	c.Header("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("Cache-Control", "no-cache")
}

func (con *Console) serveAsset(_ context.Context, c *app.RequestContext) {
	a, ok := con.files[string(c.Request.URI().Path())]
	if !ok {
		c.AbortWithStatus(http.StatusNotFound)
		return
	}
	securityHeaders(c)
	c.Data(http.StatusOK, a.ctype, a.body)
}

// info is the body of GET /console/api/info.
type info struct {
	Node        string          `json:"node"`
	TraceURL    string          `json:"traceUrl"`
	MaxWindowMs int64           `json:"maxWindowMs"`
	Auth        bool            `json:"auth"`  // a token guards the listener: show "sign out"
	Fleet       bool            `json:"fleet"` // status answers for the whole fleet
	Features    map[string]bool `json:"features"`
}

func (con *Console) serveInfo(_ context.Context, c *app.RequestContext) {
	mounted := map[string]bool{}
	for _, r := range con.routes() {
		if r.Method == http.MethodGet {
			mounted[r.Path] = true
		}
	}
	features := make(map[string]bool, len(featureRoutes))
	for f, p := range featureRoutes {
		features[f] = mounted[p]
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, info{
		Node: con.opts.Node, TraceURL: con.opts.TraceURL, MaxWindowMs: con.opts.MaxWindow.Milliseconds(),
		Auth: con.opts.Guard != nil && con.opts.Guard.Enabled(), Features: features, Fleet: con.opts.Fleet,
	})
}
