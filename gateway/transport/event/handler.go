package event

import (
	"errors"
	"net"

	"github.com/panjf2000/gnet/v2"
)

// handler is the gnet event handler: every method runs on an event loop.
type handler struct {
	gnet.BuiltinEventEngine
	t      *Transport
	booted chan struct{}
}

// OnBoot records the engine and reports that the listener is bound (the
// loops start once it returns).
func (h *handler) OnBoot(eng gnet.Engine) gnet.Action {
	h.t.eng = eng
	close(h.booted)
	return gnet.None
}

// OnShutdown is called once gnet's engine begins to stop, after its
// acceptor has returned (when the listener was shut) and before the loops
// are told to stop.
func (h *handler) OnShutdown(gnet.Engine) { h.t.engineStopping() }

// OnOpen tells the core of a new connection and sends the server's
// SETTINGS (the server preface). A connection the core refuses, or one
// arriving while stopping, is closed at once.
func (h *handler) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	c := newH2conn(h.t, gc)
	if !h.t.track(c, true) {
		return nil, gnet.Close
	}
	sess, err := h.t.core.Opened(c)
	if err != nil {
		h.t.track(c, false)
		h.t.log.Info("connection refused", "remote", c.remote.String(), "err", err)
		return nil, gnet.Close
	}
	c.sess = sess
	gc.SetContext(c)
	return c.serverPreface(), gnet.None
}

// OnClose releases the connection: the core's session, its streams and
// any buffers it held.
func (h *handler) OnClose(gc gnet.Conn, err error) gnet.Action {
	c, _ := gc.Context().(*h2conn)
	if c == nil {
		return gnet.None
	}
	gc.SetContext(nil)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		h.t.log.Debug("connection closed", "remote", c.remote.String(), "err", err)
	}
	c.closedByLoop()
	h.t.track(c, false)
	if c.sess != nil {
		// Releasing may wait on the registry: off the loop.
		t, sess := h.t, c.sess
		t.calls.Go(func() { t.core.Closed(sess) })
	}
	return gnet.None
}

// OnTraffic reads every whole frame that has arrived, then writes what
// the connection has buffered (its replies and anything other goroutines
// queued since the last flush: a Wake lands here too).
func (h *handler) OnTraffic(gc gnet.Conn) gnet.Action {
	c, _ := gc.Context().(*h2conn)
	if c == nil {
		return gnet.Close
	}
	if err := c.readFrames(gc); err != nil {
		c.fail(err)
		c.flush(gc)
		return gnet.Close
	}
	if err := c.flush(gc); err != nil {
		h.t.log.Warn("closing gRPC connection", "remote", c.remote.String(), "err", err)
		return gnet.Close
	}
	return gnet.None
}
