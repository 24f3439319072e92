package console_test

import (
	"context"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromiumBin is Debian's chromium; CI installs it (apt-get install -y chromium).
const chromiumBin = "chromium"

// The browser window's size.
const windowWidth, windowHeight = 1440, 900

// actionTimeout bounds one step a person would take (a click and the
// page's answer).
const actionTimeout = 20 * time.Second

// browser is one headless Chromium tab, watched for requests leaving the
// admin listener.
type browser struct {
	t      *testing.T
	ctx    context.Context // the tab
	origin string          // http://<admin addr>
	shots  string          // where screenshots go

	// mu protects urls and outside.
	mu      sync.Mutex
	urls    int      // requests seen
	outside []string // requests to anywhere but origin
	watched chan struct{}
}

// startBrowser runs Chromium (a fresh profile, no background networking:
// this machine refuses connections anywhere else) in time zone tz, and
// stops it when the test ends. The tab's requests are watched from the
// start.
func startBrowser(t *testing.T, origin, tz string) *browser {
	t.Helper()
	bin, err := exec.LookPath(chromiumBin)
	if err != nil {
		t.Fatalf("%s not found in PATH (install Debian's package: apt-get install -y chromium): %v", chromiumBin, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(windowWidth, windowHeight),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: ctx, origin: origin, shots: artifactDir(t), watched: make(chan struct{})}
	t.Cleanup(func() {
		cancelTab()
		<-b.watched
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		close(b.watched)
		t.Fatalf("start chromium: %v", err)
	}
	requests := chromedp.Events(ctx, network.RequestWillBeSent)
	go b.watch(requests)
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: tz}); err != nil {
		t.Fatalf("time zone %s: %v", tz, err)
	}
	return b
}

// watch records every request the tab makes until the tab closes.
func (b *browser) watch(requests iter.Seq2[network.EventRequestWillBeSent, error]) {
	defer close(b.watched)
	for ev, err := range requests {
		if err != nil {
			return
		}
		u := ev.Request.URL
		b.mu.Lock()
		b.urls++
		if !strings.HasPrefix(u, b.origin+"/") && !strings.HasPrefix(u, "data:") && u != "about:blank" {
			b.outside = append(b.outside, u)
		}
		b.mu.Unlock()
	}
}

// checkNoOutsideRequests fails the test if the page asked for any URL
// outside the admin listener.
func (b *browser) checkNoOutsideRequests() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.urls == 0 {
		b.t.Fatal("no request seen: the network watch is not working")
	}
	if len(b.outside) > 0 {
		b.t.Fatalf("the console requested URLs outside the admin listener %s: %q", b.origin, b.outside)
	}
}

// do runs steps within actionTimeout.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) into T.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %.80s: %v", expr, err)
	}
	return v
}

// act runs steps that make the console render (a query, a page), and
// waits for that render: the console resolves heraldConsole.rendered(n)
// when its n-th render is done.
func (b *browser) act(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	n := eval[int](b, "window.heraldConsole.renders") + 1
	b.do(steps...)
	eval[int](b, fmt.Sprintf("window.heraldConsole.rendered(%d)", n))
}

// text is the trimmed text of the first element matching css ("" if none).
func (b *browser) text(css string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%q)?.textContent ?? "").trim()`, css))
}

// screenshot saves the whole page as <name>.png in the artefact folder:
// the viewport is stretched to the page's height for the capture.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	height := max(int64(eval[float64](b, "document.documentElement.scrollHeight")), windowHeight)
	_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: windowWidth, Height: height, DeviceScaleFactor: 1})
	var png []byte
	if err == nil {
		png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
	}
	if _, cerr := chromedp.Call(ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{}); err == nil {
		err = cerr
	}
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// artifactDir is $HERALD_ARTIFACTS, or a new directory under the system's
// temp dir (not t.TempDir, which is removed when the test ends); its path
// is logged.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("HERALD_ARTIFACTS")
	var err error
	if dir == "" {
		dir, err = os.MkdirTemp("", "herald-console-artifacts-")
	} else {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		t.Fatalf("artefact folder: %v", err)
	}
	t.Logf("console screenshots in %s", dir)
	return dir
}
