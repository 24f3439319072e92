package gateway

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-gateway/herald/gateway/transport/h2test"
)

// TestEventStopClosesEveryAcceptedConnection: connections that arrive
// while the gateway stops are each served, closed or refused; none is
// left open and silent. gnet v2.9.7's engine stops its event loops
// before its acceptor, and a connection accepted in between would be
// handed to a loop that no longer runs: never served, never closed (a
// client reconnecting during a restart then waits for its own timeout).
// Each round dials as fast as it can while the server stops, then every
// dialed connection must reach EOF or a reset once Stop has returned.
func TestEventStopClosesEveryAcceptedConnection(t *testing.T) {
	// maxDials bounds each dialer (a round stops it sooner: Stop returns
	// within a second).
	const rounds, dialers, maxDials = 8, 3, 20000
	preface := h2test.New(t).Bytes()
	for r := range rounds {
		s := startEventServer(t, time.Minute, Options{})
		addr := s.Addr().String()
		var (
			mu      sync.Mutex
			dialed  []net.Conn
			stopped atomic.Bool
			wg      sync.WaitGroup
		)
		enough := make(chan struct{})
		var once sync.Once
		for range dialers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < maxDials && !stopped.Load(); i++ {
					nc, err := net.DialTimeout("tcp", addr, serverWait)
					if err != nil {
						continue // refused once the listener is gone
					}
					// As a client does: the preface goes out at once. (A
					// connection the kernel completes as the listener
					// closes has no server socket: this write draws its
					// reset.)
					if _, err := nc.Write(preface); err != nil {
						nc.Close()
						continue
					}
					mu.Lock()
					dialed = append(dialed, nc)
					if len(dialed) == 200 {
						once.Do(func() { close(enough) })
					}
					mu.Unlock()
				}
			}()
		}
		gaveUp := make(chan struct{})
		go func() { wg.Wait(); close(gaveUp) }()
		select {
		case <-enough:
		case <-gaveUp:
			t.Fatalf("round %d: the dialers stopped with %d connections, before 200", r, len(dialed))
		}
		s.Stop()
		stopped.Store(true)
		<-gaveUp
		var open atomic.Int32
		for _, nc := range dialed {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if !closedByServer(nc) {
					open.Add(1)
				}
				nc.Close()
			}()
		}
		wg.Wait()
		if open.Load() > 0 {
			t.Fatalf("round %d: %d of %d connections still open and silent after Stop returned", r, open.Load(), len(dialed))
		}
	}
}

// closedByServer reads nc until the server closes it (EOF or reset);
// false if it stays open past the bound.
func closedByServer(nc net.Conn) bool {
	if err := nc.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return true // already closed
	}
	buf := make([]byte, 4096)
	for {
		if _, err := nc.Read(buf); err != nil {
			return !errors.Is(err, os.ErrDeadlineExceeded)
		}
	}
}
