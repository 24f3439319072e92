package upstream

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
)

// checker runs single probes. Its HTTP client keeps no idle connections,
// so every HTTP probe opens a fresh connection, as a TCP probe does.
type checker struct {
	dialer net.Dialer
	http   *http.Client
}

func newChecker() *checker {
	tr := &http.Transport{DisableKeepAlives: true, Proxy: nil}
	return &checker{http: &http.Client{
		Transport: tr,
		// A redirect is an answer (3xx = healthy); do not follow it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// probe runs one job within ctx; nil means healthy.
func (c *checker) probe(ctx context.Context, j probeJob) error {
	if j.checker == CheckerHTTP {
		return c.probeHTTP(ctx, j.addr, j.path)
	}
	return c.probeTCP(ctx, j.addr)
}

// probeTCP succeeds when a TCP connection to addr opens.
func (c *checker) probeTCP(ctx context.Context, addr string) error {
	conn, err := c.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("tcp probe %s: %w", addr, err)
	}
	return conn.Close()
}

// maxProbeBody bounds what an HTTP probe reads of a response body.
const maxProbeBody = 4 << 10

// probeHTTP succeeds when GET http://addr<path> answers 2xx or 3xx.
func (c *checker) probeHTTP(ctx context.Context, addr, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return fmt.Errorf("http probe %s%s: %w", addr, path, err)
	}
	req.Header.Set("User-Agent", "Herald-HealthCheck")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("http probe %s%s: %w", addr, path, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxProbeBody))
	if resp.StatusCode < 200 || resp.StatusCode > 399 {
		return fmt.Errorf("http probe %s%s: status %d", addr, path, resp.StatusCode)
	}
	return nil
}

// close releases the HTTP client's resources.
func (c *checker) close() { c.http.CloseIdleConnections() }
