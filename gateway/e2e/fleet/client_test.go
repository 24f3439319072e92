package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/herald-gateway/herald/gateway/nacostest"
	"github.com/herald-gateway/herald/internal/nacoswire"
)

// client is a raw-protocol Nacos client that behaves as nacos-sdk-go on a
// ConnectResetRequest (NACOS_PROTOCOL.md A.5, A.10): it connects to the
// next server of its list, redoes its subscriptions and its registration
// there, and only then closes the old connection. It records every list
// it is given and counts a flap whenever a list lacks an address it saw
// in that service before.
type client struct {
	id    int
	ip    string
	svc   string   // the service it registers into
	subs  []string // the services it subscribes to
	edges func() []string
	run   *run

	moved chan struct{} // buffered 1: told to move (or its stream broke)

	// mu protects cur, idx, seen, latest and flaps.
	mu     sync.Mutex
	cur    *nacostest.Client
	idx    int
	seen   map[string]map[string]bool // service → addresses seen
	latest map[string]map[string]bool // service → the newest list
	rev    map[string]int64           // service → newest revision on cur
	flaps  []string
}

func newClient(id int, r *run) *client {
	c := &client{
		id: id, ip: fmt.Sprintf("10.7.%d.%d", id/250, id%250+1), run: r, edges: r.edgeAddrs,
		svc: service(id % services), moved: make(chan struct{}, 1), idx: id % edgeCount,
		seen: map[string]map[string]bool{}, latest: map[string]map[string]bool{}, rev: map[string]int64{},
	}
	for k := range subsPerClient {
		c.subs = append(c.subs, service((id+k)%services))
	}
	return c
}

func service(i int) string { return fmt.Sprintf("fleet-%d", i) }

// addr is this client's instance.
func (c *client) addr() string { return c.ip + ":8080" }

// start connects for the first time.
func (c *client) start(ctx context.Context) error {
	cl, err := c.connect(ctx, c.idx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.cur = cl
	c.mu.Unlock()
	return nil
}

// loop moves whenever told to until ctx ends.
func (c *client) loop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.moved:
			c.move(ctx)
		}
	}
}

// move connects to the next edge that takes it, redoes there, then
// closes the old connection.
func (c *client) move(ctx context.Context) {
	c.mu.Lock()
	old, idx := c.cur, c.idx
	c.mu.Unlock()
	n := len(c.edges())
	for try := 1; ctx.Err() == nil; try++ {
		next := (idx + try) % n
		cl, err := c.connect(ctx, next)
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond): // as the SDK's reconnect loop
			}
			continue
		}
		c.mu.Lock()
		c.cur, c.idx = cl, next
		c.mu.Unlock()
		c.run.moves.Add(1)
		if old != nil {
			old.Close()
		}
		return
	}
}

// connect opens a session on edge idx, subscribes and registers.
func (c *client) connect(ctx context.Context, idx int) (*nacostest.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cl, err := nacostest.Dial(ctx, c.edges()[idx])
	if err != nil {
		return nil, err
	}
	if err := cl.Setup(ctx, map[string]string{"module": "naming", "source": "sdk"}); err != nil {
		cl.Close()
		return nil, err
	}
	c.mu.Lock()
	c.rev = map[string]int64{} // revisions are compared per connection
	c.mu.Unlock()
	go c.recv(cl)
	for _, svc := range c.subs {
		var resp struct {
			nacoswire.Response
			ServiceInfo *serviceInfo `json:"serviceInfo"`
		}
		if err := request(ctx, cl, "SubscribeServiceRequest",
			map[string]any{"serviceName": svc, "groupName": "G", "subscribe": true}, &resp); err != nil {
			cl.Close()
			return nil, err
		}
		c.observe(svc, resp.ServiceInfo)
	}
	err = request(ctx, cl, "InstanceRequest", map[string]any{"serviceName": c.svc, "groupName": "G", "type": "registerInstance",
		"instance": map[string]any{"ip": c.ip, "port": 8080, "weight": 1, "healthy": true, "enabled": true, "ephemeral": true}}, nil)
	if err != nil {
		cl.Close()
		return nil, err
	}
	return cl, nil
}

// request sends a unary request until the session answers it (the
// session is set up asynchronously, A.4): 301 is retried.
func request(ctx context.Context, cl *nacostest.Client, typ string, body any, out any) error {
	for {
		m, err := cl.Request(ctx, typ, body)
		if err != nil {
			return err
		}
		var r nacoswire.Response
		if err := m.Decode(&r); err != nil {
			return err
		}
		if r.OK() {
			if out != nil {
				return m.Decode(out)
			}
			return nil
		}
		if r.ErrorCode != nacoswire.ErrUnregistered {
			return fmt.Errorf("%s: %s", typ, m.Body)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

type serviceInfo struct {
	Name        string `json:"name"`
	LastRefTime int64  `json:"lastRefTime"`
	Hosts       []struct {
		IP   string `json:"ip"`
		Port int    `json:"port"`
	} `json:"hosts"`
}

// recv acknowledges every server request on cl and records pushes; a
// ConnectResetRequest, or a stream that breaks while cl is current, makes
// the client move.
func (c *client) recv(cl *nacostest.Client) {
	for {
		m, err := cl.Recv()
		if err != nil {
			c.mu.Lock()
			current := c.cur == cl
			c.mu.Unlock()
			if current {
				c.signal()
			}
			return
		}
		var r nacoswire.Request
		if err := json.Unmarshal(m.Body, &r); err != nil {
			continue
		}
		switch m.Type {
		case nacoswire.TypeNotifySubscriberRequest:
			var push struct {
				ServiceName string       `json:"serviceName"`
				ServiceInfo *serviceInfo `json:"serviceInfo"`
			}
			if json.Unmarshal(m.Body, &push) == nil {
				c.observe(push.ServiceName, push.ServiceInfo)
			}
			_ = cl.Ack("NotifySubscriberResponse", r.RequestID)
		case nacoswire.TypeConnectResetRequest:
			_ = cl.Ack(nacoswire.TypeConnectResetResponse, r.RequestID)
			c.run.resets.Add(1)
			c.signal()
		case nacoswire.TypeClientDetectionRequest:
			_ = cl.Ack(nacoswire.TypeClientDetectionResponse, r.RequestID)
		}
	}
}

func (c *client) signal() {
	select {
	case c.moved <- struct{}{}:
	default:
	}
}

// observe records one list of svc (a subscribe answer or a push); an
// older revision than one already seen on this connection is ignored, as
// the SDK ignores it.
func (c *client) observe(svc string, info *serviceInfo) {
	if info == nil {
		return
	}
	list := make(map[string]bool, len(info.Hosts))
	for _, h := range info.Hosts {
		list[fmt.Sprintf("%s:%d", h.IP, h.Port)] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if info.LastRefTime < c.rev[svc] {
		return
	}
	c.rev[svc] = info.LastRefTime
	seen := c.seen[svc]
	if seen == nil {
		seen = map[string]bool{}
		c.seen[svc] = seen
	}
	for a := range seen {
		if !list[a] {
			c.flaps = append(c.flaps, fmt.Sprintf("client %d, %s lost %s (list of %d at %d)", c.id, svc, a, len(list), info.LastRefTime))
		}
	}
	for a := range list {
		seen[a] = true
	}
	c.latest[svc] = list
}

// lacks lists what the newest list of each subscribed service lacks of
// want (service → addresses).
func (c *client) lacks(want map[string][]string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, svc := range c.subs {
		for _, a := range want[svc] {
			if !c.latest[svc][a] {
				out = append(out, fmt.Sprintf("client %d: %s lacks %s", c.id, svc, a))
			}
		}
	}
	return out
}

func (c *client) close() {
	c.mu.Lock()
	cl := c.cur
	c.cur = nil
	c.mu.Unlock()
	if cl != nil {
		cl.Close()
	}
}
