package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// AdminStats is the body of Herald's GET /stats.
type AdminStats struct {
	Connections        int `json:"connections"`
	Sessions           int `json:"sessions"`
	SubscribedServices int `json:"subscribedServices"`
	Subscriptions      int `json:"subscriptions"`
	// Pushes counts push outcomes by event (sent, acked, ...).
	Pushes map[string]uint64 `json:"pushes"`
	// Upstream is the Nacos link's traffic (upstream kind nacos only).
	Upstream *UpstreamCounters `json:"upstream"`
}

// UpstreamCounters is the part of the link's counters the chain scenario
// reads.
type UpstreamCounters struct {
	Subscribes uint64 `json:"subscribes"`
	Pushes     uint64 `json:"pushes"`
}

// Stats reads GET /stats.
func (h *Herald) Stats(ctx context.Context) (AdminStats, error) {
	var st AdminStats
	err := h.get(ctx, "/stats", &st)
	return st, err
}

// get fetches an admin path and decodes its JSON body into v (if not nil).
func (h *Herald) get(ctx context.Context, path string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+h.AdminAddr+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	if v == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// post POSTs an admin path (bounded by timeout) and decodes its JSON body
// into v (if not nil).
func (h *Herald) post(ctx context.Context, path string, timeout time.Duration, v any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+h.AdminAddr+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("POST %s: %s", path, resp.Status)
	}
	if v == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
