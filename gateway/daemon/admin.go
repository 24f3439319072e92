package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// stats is the body of GET /stats.
type stats struct {
	Node          string `json:"node"`
	Connections   int    `json:"connections"`
	Sessions      int    `json:"sessions"`
	Services      int    `json:"subscribedServices"`
	Subscriptions int    `json:"subscriptions"`
	// Pushes counts push outcomes by event: sent, retried, acked, failed,
	// timeout, superseded, dropped.
	Pushes map[string]uint64 `json:"pushes"`
}

// startAdmin serves Herald's own API on the admin listener (loopback by
// default): GET /healthz and GET /stats.
func (d *Daemon) startAdmin() error {
	ln, err := net.Listen("tcp", d.cfg.Admin.Addr)
	if err != nil {
		return fmt.Errorf("admin listen %s: %w", d.cfg.Admin.Addr, err)
	}
	d.adLn = ln
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /stats", d.serveStats)
	d.admin = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := d.admin.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("admin server", "err", err)
		}
	}()
	return nil
}

func (d *Daemon) serveStats(w http.ResponseWriter, _ *http.Request) {
	st := stats{Node: d.cfg.Node}
	st.Connections, st.Sessions = d.grpc.Stats()
	st.Services, st.Subscriptions = d.grpc.Hub().Stats()
	st.Pushes = d.grpc.Hub().Counts()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(st)
}
