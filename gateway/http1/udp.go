package http1

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// udpPusher owns the UDP socket that carries pushes to 1.x subscribers and
// their acks back, and the table of UDP subscribers.
type udpPusher struct {
	conn   *net.UDPConn
	hub    *fanout.Hub
	enc    *udpEncoder
	limits udpLimits
	log    *slog.Logger

	// mu protects subs. Removals from the Hub happen under mu, so a
	// subscriber re-created by a concurrent list query is never removed by
	// mistake; Hub.Subscribe (which may wait for the registry) does not,
	// see settle. Lock order: mu, then the Hub's locks.
	mu   sync.Mutex
	subs map[string]*udpSubscriber // by "ip:port"
}

// udpLimits bound the UDP subscribers.
type udpLimits struct {
	expiry time.Duration // drop a subscription not renewed this long
	max    int           // most subscribers
}

// errUDPFull refuses a new UDP subscriber beyond udpLimits.max.
var errUDPFull = errors.New("too many UDP subscribers")

func newUDPPusher(addr string, hub *fanout.Hub, limits udpLimits, log *slog.Logger) (*udpPusher, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("udp push address %q: %w", addr, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("udp push listen %s: %w", addr, err)
	}
	return &udpPusher{conn: conn, hub: hub, enc: newUDPEncoder(), limits: limits, log: log,
		subs: make(map[string]*udpSubscriber)}, nil
}

// subscribe creates or renews the subscription of the client at ip:port to
// key with clusters, at now, and returns the snapshot to answer with. A
// new subscriber beyond the limit gets errUDPFull.
func (u *udpPusher) subscribe(ctx context.Context, key upstream.ServiceKey, clusters string,
	ip string, port int, client fanout.ClientInfo, now time.Time) (upstream.Service, error) {
	hostPort := net.JoinHostPort(ip, strconv.Itoa(port))
	addr, err := net.ResolveUDPAddr("udp", hostPort)
	if err != nil || addr.IP == nil {
		return upstream.Service{}, badRequest("clientIP", "clientIP %q is not an IP address", ip)
	}
	u.mu.Lock()
	sub := u.subs[addr.String()]
	if sub == nil && len(u.subs) >= u.limits.max {
		u.mu.Unlock()
		return upstream.Service{}, errUDPFull
	}
	if sub == nil {
		sub = &udpSubscriber{u: u, id: "udp:" + addr.String(), addr: addr, renewed: map[subRef]time.Time{}}
		u.subs[addr.String()] = sub
	}
	ref := subRef{key, clusters}
	sub.renew(ref, client, now)
	u.mu.Unlock()
	// Hub.Subscribe may wait for the registry (a remote one asks its
	// upstream), so it runs without mu; settle squares the outcome with a
	// drop or expiry that happened meanwhile.
	snap, err := u.hub.Subscribe(ctx, sub, fanout.NamingTopic(key), clusters)
	if err != nil {
		return upstream.Service{}, fmt.Errorf("udp subscribe %s: %w", key, err)
	}
	u.settle(sub, ref, client, now)
	return snap.Service(), nil
}

// settle runs after sub's Hub subscription to ref was made without mu. If
// sub was dropped meanwhile, the subscription is handed to the subscriber
// now at its address (same id: it expires with that one), or withdrawn when
// there is none.
func (u *udpPusher) settle(sub *udpSubscriber, ref subRef, client fanout.ClientInfo, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	switch cur := u.subs[sub.addr.String()]; {
	case cur == sub:
	case cur != nil:
		cur.renew(ref, client, now)
	default:
		u.hub.Unsubscribe(sub.id, fanout.NamingTopic(ref.key), ref.clusters)
	}
}

// expire drops subscriptions not renewed within the expiry, and
// subscribers left with none. The Hub is told under mu, so a subscriber
// re-created by a concurrent list query is never removed by mistake (the
// Hub never calls back into the pusher while holding its own locks).
func (u *udpPusher) expire(now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for k, sub := range u.subs {
		refs, empty := sub.stale(now.Add(-u.limits.expiry))
		for _, r := range refs {
			u.hub.Unsubscribe(sub.id, fanout.NamingTopic(r.key), r.clusters)
		}
		if empty {
			delete(u.subs, k)
			u.hub.RemoveSubscriber(sub.id)
		}
	}
}

// drop forgets a subscriber and all its subscriptions.
func (u *udpPusher) drop(sub *udpSubscriber) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.subs[sub.addr.String()] == sub {
		delete(u.subs, sub.addr.String())
		u.hub.RemoveSubscriber(sub.id)
	}
}

// readAcks reads datagrams until the socket closes and hands push-acks to
// the Hub. Anything else is logged and ignored.
func (u *udpPusher) readAcks() {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := u.conn.ReadFromUDP(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				u.log.Warn("udp read", "err", err)
			}
			return
		}
		id, err := parseAck(buf[:n])
		if err != nil {
			u.log.Debug("udp datagram ignored", "from", from.String(), "err", err)
			continue
		}
		u.mu.Lock()
		sub := u.subs[from.String()]
		u.mu.Unlock()
		if sub != nil {
			u.hub.Ack(sub.id, id, true)
		}
	}
}

// size counts UDP subscribers.
func (u *udpPusher) size() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.subs)
}

// close closes the socket (ending readAcks) and drops every subscriber.
func (u *udpPusher) close() {
	if err := u.conn.Close(); err != nil {
		u.log.Debug("udp close", "err", err)
	}
	u.mu.Lock()
	subs := make([]*udpSubscriber, 0, len(u.subs))
	for _, s := range u.subs {
		subs = append(subs, s)
	}
	u.mu.Unlock()
	for _, s := range subs {
		u.drop(s)
	}
}
