package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/herald-gateway/herald/conf"
)

// drainUsage is printed for `herald drain -help`.
const drainUsage = `usage: herald drain [-config herald.yaml] [settings as for herald]

Asks the Herald configured like this (admin.addr, admin.token or
admin.tokenFile) to drain (POST /v1/drain?wait=true) and waits until it
has: its clients were told to move and their registrations released.
The Herald then stops by itself. For preStop hooks and systemd ExecStop.
HERALD_DRAIN_TIMEOUT bounds the wait (default 15m).
`

// runDrain is the drain subcommand.
func runDrain(args, env []string) int {
	for _, a := range args {
		if a == "-help" || a == "-h" || a == "--help" {
			fmt.Print(drainUsage)
			return 0
		}
	}
	cfg, err := conf.Load(args, env)
	if err != nil {
		fmt.Fprintln(os.Stderr, "herald drain:", err)
		return 2
	}
	token, err := cfg.Admin.ReadToken()
	if err != nil {
		fmt.Fprintln(os.Stderr, "herald drain:", err)
		return 2
	}
	timeout := 15 * time.Minute
	if v := os.Getenv("HERALD_DRAIN_TIMEOUT"); v != "" {
		if timeout, err = time.ParseDuration(v); err != nil {
			fmt.Fprintln(os.Stderr, "herald drain: HERALD_DRAIN_TIMEOUT:", err)
			return 2
		}
	}
	body, err := postDrain(adminURL(cfg.Admin.Addr)+"/v1/drain?wait=true", token, timeout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "herald drain:", err)
		return 1
	}
	fmt.Println(strings.TrimSpace(body))
	return 0
}

// adminURL is the admin listener's URL; a wildcard host is reached
// through loopback.
func adminURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func postDrain(url, token string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s %s", url, resp.Status, strings.TrimSpace(string(b)))
	}
	return string(b), nil
}
