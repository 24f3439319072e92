package gateway

import (
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/gateway/transport"
	"github.com/herald-gateway/herald/upstream"
)

// conn is one client HTTP/2 transport: a Nacos "connection". It exists
// from the moment the transport opens; it becomes a session (usable for
// naming requests) when ConnectionSetupRequest arrives on its stream.
type conn struct {
	id       string
	nc       transport.Conn
	remoteIP string
	opened   time.Time
	// closer closes the transport and releases the connection.
	closer func(c *conn, reason string)
	enc    fanout.Encoder // set once before the connection is shared
	rate   *bucket        // the request rate limit; nil: none (limits.go)
	// refused, set before the connection is shared, is why a limit
	// refused it: every request is answered with it, and the connection
	// is closed by the next sweep after refusedGrace (limits.go).
	refused error

	// lastActive is the UnixNano time of the last request or stream message
	// from the client.
	lastActive atomic.Int64
	// out is the bidi stream's writer, set once by setUp (under mu); nil
	// before. Pushes read it without the lock: markClosed closes it, and
	// a closed outbox refuses what is sent.
	out atomic.Pointer[outbox]
	// who is what push outcomes say of the client (Client), rebuilt under
	// mu whenever setUp or setUser changes it, and read without the lock
	// once per push event.
	who atomic.Pointer[fanout.ClientInfo]

	// regMu serialises what this connection holds elsewhere (registry
	// slots, hub subscriptions) with its release on close, so nothing is
	// registered or subscribed after the close released it.
	regMu sync.Mutex

	// mu protects every field below.
	mu     sync.Mutex
	closed bool
	client *clientInfo // set by ConnectionSetupRequest; nil before
	probe  *pendingAck // the outstanding ClientDetectionRequest
	// regs maps each service this connection fills a slot in to the
	// slot's instances (kept for the registration grace, grace.go).
	regs map[upstream.ServiceKey][]upstream.Instance
	// moving is set once the client was told to move (ConnectResetRequest,
	// drain.go): its registrations then outlive the connection for the
	// registration grace.
	moving  bool
	movedAt time.Time // when it was told
	user    string    // who sent the last authenticated request; "" with auth off
}

// setUser records the user behind the connection's requests (permit.go).
func (c *conn) setUser(name string) {
	c.mu.Lock()
	if c.user != name {
		c.user = name
		c.updateWhoLocked()
	}
	c.mu.Unlock()
}

// updateWhoLocked rebuilds who from client and user.
func (c *conn) updateWhoLocked() {
	who := fanout.ClientInfo{IP: c.remoteIP, User: c.user}
	if c.client != nil {
		who = fanout.ClientInfo{IP: c.client.IP, Version: c.client.Version, App: c.client.AppName, User: c.user}
	}
	c.who.Store(&who)
}

// clientInfo is what the client told us in ConnectionSetupRequest.
type clientInfo struct {
	IP        string // metadata.clientIp, else the transport's peer address
	Version   string
	Namespace string
	Labels    map[string]string
	AppName   string
}

// pendingAck is a ClientDetectionRequest awaiting its response.
type pendingAck struct {
	requestID string
	sent      time.Time
	deadline  time.Time
}

var (
	errConnClosed   = errors.New("connection closed")
	errNotSetUp     = errors.New("connection not set up")
	errAlreadySetUp = errors.New("connection already set up")
)

// newConn identifies a transport the way the reference server does:
// "<epochMillis>_<remoteIp>_<remotePort>".
func newConn(nc transport.Conn, now time.Time, closer func(*conn, string)) *conn {
	ip, port := splitAddr(nc.RemoteAddr())
	c := &conn{
		id:       strconv.FormatInt(now.UnixMilli(), 10) + "_" + ip + "_" + port,
		nc:       nc,
		remoteIP: ip,
		opened:   now,
		closer:   closer,
		regs:     make(map[upstream.ServiceKey][]upstream.Instance),
	}
	c.touch(now)
	c.updateWhoLocked() // not shared yet
	return c
}

func splitAddr(a net.Addr) (ip, port string) {
	if a == nil {
		return "unknown", "0"
	}
	host, p, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String(), "0"
	}
	return host, p
}

// ID implements fanout.Subscriber.
func (c *conn) ID() string { return c.id }

// touch records client activity.
func (c *conn) touch(now time.Time) { c.lastActive.Store(now.UnixNano()) }

func (c *conn) idleSince() time.Time { return time.Unix(0, c.lastActive.Load()) }

// setUp turns the connection into a session bound to the stream writer.
// It fails with errConnClosed if the connection is closing and with
// errAlreadySetUp if a session exists.
func (c *conn) setUp(info *clientInfo, out *outbox) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return errConnClosed
	case c.client != nil:
		return errAlreadySetUp
	}
	c.client = info
	c.out.Store(out)
	c.updateWhoLocked()
	return nil
}

// session returns the client info, or errNotSetUp / errConnClosed.
func (c *conn) session() (*clientInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return nil, errConnClosed
	case c.client == nil:
		return nil, errNotSetUp
	}
	return c.client, nil
}

// markClosed flips the connection to closed once and returns the slots
// it had registered, for the caller to release, and whether the client
// was told to move. Later calls return ok=false.
func (c *conn) markClosed() (regs map[upstream.ServiceKey][]upstream.Instance, moving, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, false, false
	}
	c.closed = true
	regs, moving = c.regs, c.moving
	c.regs, c.probe = nil, nil
	if out := c.out.Load(); out != nil {
		out.closeLocked()
	}
	return regs, moving, true
}

// trackRegistration remembers the instances this connection fills its
// slot in the service with (nil forgets the slot), so the slot is emptied
// when the connection goes. It fails if the connection closed meanwhile.
func (c *conn) trackRegistration(key upstream.ServiceKey, ins []upstream.Instance) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errConnClosed
	}
	if ins != nil {
		c.regs[key] = ins
	} else {
		delete(c.regs, key)
	}
	return nil
}

// isClosed reports whether the connection was released.
func (c *conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}
