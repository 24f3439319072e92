package loadgen

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-gateway/herald/gateway/nacostest"
)

// coreWatcher subscribes on the core to every drain service and counts
// flaps: lists lacking an instance (ip) seen before in that service.
type coreWatcher struct {
	cl    *nacostest.Client
	flaps atomic.Int64
	lists atomic.Int64
	kick  chan struct{} // buffered 1: a list arrived

	// mu protects seen and latest.
	mu     sync.Mutex
	seen   map[string]map[string]bool
	latest map[string]map[string]int // service → ip → copies in the newest list
}

type watchedList struct {
	RequestID   string `json:"requestId"`
	ServiceName string `json:"serviceName"`
	ServiceInfo struct {
		Name  string `json:"name"`
		Hosts []struct {
			IP string `json:"ip"`
		} `json:"hosts"`
	} `json:"serviceInfo"`
}

func watchCore(ctx context.Context, addr string, services int) (*coreWatcher, error) {
	cl, err := nacostest.Dial(ctx, addr, clientDialOptions()...)
	if err != nil {
		return nil, err
	}
	if err := cl.Setup(ctx, map[string]string{"module": "naming"}); err != nil {
		cl.Close()
		return nil, err
	}
	w := &coreWatcher{cl: cl, kick: make(chan struct{}, 1), seen: map[string]map[string]bool{}, latest: map[string]map[string]int{}}
	go w.read()
	for i := range services {
		svc := drainService(i, services)
		for {
			m, err := cl.Request(ctx, "SubscribeServiceRequest", subscribeRequest(svc))
			if err != nil {
				cl.Close()
				return nil, err
			}
			var r watchedList
			var rep Reply
			if m.Decode(&rep) == nil && rep.ResultCode == 200 && m.Decode(&r) == nil {
				r.ServiceName = svc
				w.observe(r)
				break
			}
			if err := sleep(ctx, 10*time.Millisecond); err != nil { // the session is set up asynchronously
				return nil, err
			}
		}
	}
	return w, nil
}

func (w *coreWatcher) read() {
	for {
		m, err := w.cl.Recv()
		if err != nil {
			return
		}
		var r watchedList
		if m.Decode(&r) != nil {
			continue
		}
		_ = w.cl.Send("NotifySubscriberResponse", ackBody(r.RequestID))
		if m.Type == "NotifySubscriberRequest" {
			w.observe(r)
		}
	}
}

func (w *coreWatcher) observe(r watchedList) {
	list := map[string]int{}
	for _, h := range r.ServiceInfo.Hosts {
		list[h.IP]++
	}
	w.lists.Add(1)
	w.mu.Lock()
	seen := w.seen[r.ServiceName]
	if seen == nil {
		seen = map[string]bool{}
		w.seen[r.ServiceName] = seen
	}
	for ip := range seen {
		if list[ip] == 0 {
			w.flaps.Add(1)
		}
	}
	for ip := range list {
		seen[ip] = true
	}
	w.latest[r.ServiceName] = list
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// await waits until the newest lists hold conns instances in all, each
// exactly once.
func (w *coreWatcher) await(ctx context.Context, conns int, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		total, once := 0, true
		for _, l := range w.latest {
			for _, n := range l {
				total += n
				once = once && n == 1
			}
		}
		w.mu.Unlock()
		if total == conns && once {
			return nil
		}
		select {
		case <-w.kick:
		case <-deadline.C:
			return fmt.Errorf("%w: %d listed (once each: %v), want %d", errNotConverged, total, once, conns)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (w *coreWatcher) close() { w.cl.Close() }
