package gateway

import (
	"net"
	"testing"
	"time"
)

// fakeAddrConn is a net.Conn with a fixed peer address; check never
// touches the network.
type fakeAddrConn struct{ net.Conn }

func (fakeAddrConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
}

// TestCheckRules drives the idle and detection rules with injected time.
func TestCheckRules(t *testing.T) {
	const idle, detect = 20 * time.Second, 5 * time.Second
	t0 := time.Unix(1_700_000_000, 0)
	setUp := func() *conn {
		c := newConn(fakeAddrConn{}, t0, nil)
		if err := c.setUp(&clientInfo{}, newOutbox(nil, 1, nil, nil)); err != nil {
			t.Fatal(err)
		}
		return c
	}
	withProbe := func(sent time.Time) func(*conn) {
		return func(c *conn) { c.probe = &pendingAck{requestID: "p", sent: sent, deadline: sent.Add(detect)} }
	}
	cases := []struct {
		name    string
		conn    func() *conn
		prepare func(*conn)
		at      time.Duration
		want    verdict
	}{
		{"fresh session", setUp, nil, 19 * time.Second, verdictOK},
		{"idle session gets a probe", setUp, nil, 20 * time.Second, verdictProbe},
		{"probe pending within deadline", setUp, withProbe(t0.Add(20 * time.Second)), 24 * time.Second, verdictOK},
		{"probe unanswered past deadline", setUp, withProbe(t0.Add(20 * time.Second)), 26 * time.Second, verdictClose},
		{"activity after the probe clears it", setUp, func(c *conn) {
			withProbe(t0.Add(20 * time.Second))(c)
			c.touch(t0.Add(21 * time.Second))
		}, 26 * time.Second, verdictOK},
		{"transport without setup within grace", func() *conn { return newConn(fakeAddrConn{}, t0, nil) }, nil, 10 * time.Second, verdictOK},
		{"transport without setup too long", func() *conn { return newConn(fakeAddrConn{}, t0, nil) }, nil, 20 * time.Second, verdictNoSession},
		{"told to move, within the reset timeout", func() *conn { return newConn(fakeAddrConn{}, t0, nil) }, func(c *conn) {
			c.moving, c.movedAt = true, t0
		}, 9 * time.Second, verdictOK},
		{"told to move, still here after the reset timeout", func() *conn { return newConn(fakeAddrConn{}, t0, nil) }, func(c *conn) {
			c.moving, c.movedAt = true, t0
		}, 10 * time.Second, verdictMoved},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.conn()
			if tc.prepare != nil {
				tc.prepare(c)
			}
			if got := c.check(t0.Add(tc.at), idle, 10*time.Second); got != tc.want {
				t.Fatalf("verdict %d, want %d", got, tc.want)
			}
		})
	}
}
