// Package hertzrun starts a Hertz engine in the background and waits until
// it serves, so that a Shutdown right after start finds it running.
package hertzrun

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/cloudwego/hertz/pkg/app/server"
)

// Start runs h on its own goroutine (owned by h: it returns when
// h.Shutdown is called) and waits up to 5 s for it to serve. name is
// used in logs and errors.
func Start(h *server.Hertz, name string, log *slog.Logger) error {
	go func() {
		if err := h.Run(); err != nil {
			log.Error(name+" server", "err", err)
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !h.IsRunning() {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s server did not start within 5s", name)
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}
