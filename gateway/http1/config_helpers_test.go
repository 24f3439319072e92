package http1

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// configServer is a started Server with a real embedded config store and
// a running Hub; everything stops when the test ends.
type configServer struct {
	s      *Server
	store  *upstream.EmbeddedConfig
	hub    *fanout.Hub
	base   string      // http://addr/nacos/v1
	events chan string // the long polls' "held" and "released"
}

// tuning is how a test adjusts the server before it starts.
type tuning struct {
	opts    Options
	store   upstream.ConfigOptions
	noStore bool // serve no configuration
}

// startConfigServer starts one; tune, if not nil, adjusts it first.
func startConfigServer(t *testing.T, tune func(*tuning)) *configServer {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tu := tuning{opts: Options{Addr: "127.0.0.1:0", UDPAddr: "127.0.0.1:0", Manual: true, Logger: quiet},
		store: upstream.ConfigOptions{Logger: quiet}}
	if tune != nil {
		tune(&tu)
	}
	opts := tu.opts
	store, err := upstream.OpenEmbeddedConfig(tu.store)
	if err != nil {
		t.Fatal(err)
	}
	if !tu.noStore {
		opts.Config = store
	}
	reg := upstream.NewEmbedded()
	hub, err := fanout.NewHub(fanout.Sources{
		fanout.KindNaming: fanout.NamingSource(reg), fanout.KindConfig: fanout.ConfigSource(store),
	}, fanout.Options{Logger: quiet,
		// As the daemon runs config pushes.
		Config: fanout.Policy{StallTimeout: -1, MaxAttempts: 10, ConfirmTimeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(opts, reg, hub)
	if err != nil {
		t.Fatal(err)
	}
	cs := &configServer{s: s, store: store, hub: hub, events: make(chan string, 64)}
	s.polls.onHold = func(e string) { cs.events <- e }
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	cs.base = "http://" + s.Addr().String() + "/nacos/v1"
	t.Cleanup(func() {
		s.Stop()
		hub.Close()
		store.Close()
		reg.Close()
	})
	return cs
}

// answer is a response as a test reads it.
type answer struct {
	status int
	header http.Header
	body   string
}

// do sends one request; form, when not nil, is the body.
func (cs *configServer) do(t *testing.T, method, path string, query url.Values, form url.Values, header map[string]string) answer {
	t.Helper()
	a, err := cs.try(context.Background(), method, path, query, form, header)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return a
}

// try is do returning the error (for requests made off the test goroutine).
func (cs *configServer) try(ctx context.Context, method, path string, query, form url.Values, header map[string]string) (answer, error) {
	u := cs.base + path
	if query != nil {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return answer{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}, err
}

// publish stores content under dataId in DEFAULT_GROUP over HTTP.
func (cs *configServer) publish(t *testing.T, dataID, content string) {
	t.Helper()
	if a := cs.do(t, "POST", "/cs/configs", nil, url.Values{"dataId": {dataID}, "content": {content}}, nil); a.status != 200 || a.body != "true" {
		t.Fatalf("publish %s: %d %q", dataID, a.status, a.body)
	}
}

// record is one Listening-Configs record without a tenant.
func record(dataID, group, md5 string) string {
	return dataID + wordSep + group + wordSep + md5 + lineSep
}

// pollHeaders are Node's long-poll headers with a timeout of ms.
func pollHeaders(ms string) map[string]string { return map[string]string{pollTimeoutHeader: ms} }

// poll sends a long poll in the background; its answer arrives on the
// channel.
func (cs *configServer) poll(ctx context.Context, listening string, header map[string]string) <-chan pollResult {
	out := make(chan pollResult, 1)
	go func() {
		a, err := cs.try(ctx, "POST", "/cs/configs/listener", nil, url.Values{listeningParam: {listening}}, header)
		out <- pollResult{a, err}
	}()
	return out
}

type pollResult struct {
	answer
	err error
}

// await returns the poll's answer, failing after d.
func await(t *testing.T, ch <-chan pollResult, d time.Duration) answer {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("poll: %v", r.err)
		}
		return r.answer
	case <-time.After(d):
		t.Fatalf("poll not answered within %v", d)
		return answer{}
	}
}

// expectEvent waits for the next long-poll event and checks it.
func (cs *configServer) expectEvent(t *testing.T, want string) {
	t.Helper()
	select {
	case e := <-cs.events:
		if e != want {
			t.Fatalf("long-poll event %q, want %q", e, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no long-poll event %q within 5s", want)
	}
}

func decodeJSON(s string, v any) error { return json.Unmarshal([]byte(s), v) }
