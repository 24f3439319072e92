package http1

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// Config long polling, POST /nacos/v1/cs/configs/listener (B.5). A poll
// whose keys all match what the client holds is held: it subscribes its
// keys to the Hub as one subscriber (longpoll_subscriber.go) and is
// answered by the first push, with the key that changed, or empty when
// its hold ends. The answer is written before the handler returns, then
// its pushes are acknowledged and the subscriber removed; a client that
// goes away is released the same way, unanswered.

// Long-poll headers (sic: "Pulling").
const (
	pollTimeoutHeader = "Long-Pulling-Timeout"
	pollNoHangup      = "Long-Pulling-Timeout-No-Hangup"
	// pollAdvance is answered ahead of the client's timeout, as Nacos's
	// FIXED_DELAY_TIME.
	pollAdvance = 500 * time.Millisecond
	// maxPollHold bounds a hold whatever the client asks: a slot is not
	// kept for hours.
	maxPollHold = 5 * time.Minute
)

// longPolls counts the held polls against their bound and names them.
type longPolls struct {
	max  int
	ids  atomic.Uint64 // numbers the polls (subscriber ids)
	enc  pollEncoder
	done chan struct{} // closed by stop: held polls answer at once
	once sync.Once
	// onHold, when set (tests), is told "held" when a poll starts waiting
	// and "released" when it has left the Hub.
	onHold func(event string)

	// mu protects held.
	mu   sync.Mutex
	held int
}

func newLongPolls(max int) *longPolls {
	return &longPolls{max: max, enc: pollEncoder{ids: new(atomic.Uint64)}, done: make(chan struct{})}
}

// acquire takes a slot; false when max polls are held.
func (l *longPolls) acquire() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held >= l.max {
		return false
	}
	l.held++
	return true
}

func (l *longPolls) release() {
	l.mu.Lock()
	l.held--
	l.mu.Unlock()
}

// size is the number of polls held now.
func (l *longPolls) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held
}

// stop answers every held poll and every later one at once.
func (l *longPolls) stop() { l.once.Do(func() { close(l.done) }) }

func (l *longPolls) event(e string) {
	if l.onHold != nil {
		l.onHold(e)
	}
}

// LongPolls is the number of config long polls held now.
func (s *Server) LongPolls() int { return s.polls.size() }

// longPoll serves POST /nacos/v1/cs/configs/listener.
func (s *Server) longPoll(ctx context.Context, r *request) (any, error) {
	store, err := s.configStore()
	if err != nil {
		return nil, err
	}
	recs, err := parseListening(r.p[listeningParam])
	if err != nil {
		return nil, err
	}
	timeout := r.header(pollTimeoutHeader)
	if timeout == "" || strings.EqualFold(strings.TrimSpace(r.header(pollNoHangup)), "true") {
		return s.pollNow(ctx, store, recs, r.peerIP)
	}
	hold, err := pollHold(timeout, s.opts.MinLongPollHold)
	if err != nil {
		return nil, err
	}
	if !s.polls.acquire() {
		changed, err := s.pollNow(ctx, store, recs, r.peerIP)
		if err != nil || len(changed.body) > 0 {
			return changed, err
		}
		return nil, &httpError{status: http.StatusServiceUnavailable,
			msg: "too many long polls held on this server (config.maxLongPolls); poll again later\n"}
	}
	p := &longPoll{
		id:     "http:" + r.peerIP + "#" + strconv.FormatUint(s.polls.ids.Add(1), 10),
		client: fanout.ClientInfo{IP: r.peerIP, Version: r.header("Client-Version"), App: r.header("Client-AppName"), User: r.user},
		enc:    s.polls.enc,
		wake:   make(chan struct{}, 1),
		closed: make(chan struct{}),
	}
	return s.holdPoll(ctx, p, recs, hold)
}

// pollHold is how long a poll with Long-Pulling-Timeout timeout (ms) is
// held: max(floor, timeout − 500 ms), at most maxPollHold.
func pollHold(timeout string, floor time.Duration) (time.Duration, error) {
	ms, err := strconv.ParseInt(strings.TrimSpace(timeout), 10, 64)
	if err != nil || ms < 0 {
		return 0, badRequest(pollTimeoutHeader, "header %s must be a number of milliseconds, got %q", pollTimeoutHeader, timeout)
	}
	d := time.Duration(min(ms, int64(time.Hour/time.Millisecond))) * time.Millisecond // no overflow
	return min(max(floor, d-pollAdvance), maxPollHold), nil
}

// pollNow answers at once with the keys whose md5 differs from what the
// client at ip would be served (a config that does not exist has md5 "").
func (s *Server) pollNow(ctx context.Context, store upstream.ConfigStore, recs []listenRecord, ip string) (*reply, error) {
	var changed []string
	for _, rec := range recs {
		st, err := store.GetConfig(ctx, rec.key)
		if err != nil {
			return nil, fromConfig(err)
		}
		if rec.md5 != st.Md5For(ip) {
			changed = append(changed, changedRecord(rec.key.DataID, rec.key.Group, rec.tenant))
		}
	}
	return pollReply(changed, nil), nil
}

// holdPoll subscribes p to recs' keys and answers it at once when the
// client is behind, else with the first push, on timeout empty, or not at
// all when the client went away. p holds a slot, released with it.
func (s *Server) holdPoll(ctx context.Context, p *longPoll, recs []listenRecord, hold time.Duration) (any, error) {
	release := func() {
		s.hub.RemoveSubscriber(p.id)
		s.polls.release()
		s.polls.event("released")
	}
	var changed []string
	for _, rec := range recs {
		topic := fanout.ConfigTopic(rec.key)
		snap, err := s.hub.Subscribe(ctx, p, topic, rec.tenant)
		if err != nil {
			release()
			return nil, fromHub(err)
		}
		s.hub.Holds(p.id, topic, rec.tenant, rec.md5)
		if rec.md5 != snap.ConfigState().Md5For(p.client.IP) {
			changed = append(changed, changedRecord(rec.key.DataID, rec.key.Group, rec.tenant))
		}
	}
	if len(changed) == 0 {
		s.polls.event("held")
		if !s.await(ctx, p, hold) {
			release() // the client is gone: nothing to write
			return &reply{status: http.StatusOK}, nil
		}
	}
	pushes := p.take()
	return pollReply(changed, pushes, func(err error) {
		if err == nil {
			for _, push := range pushes {
				s.hub.Ack(p.id, push.RequestID, true)
			}
		}
		release()
	}), nil
}

// await waits for a push, the end of the hold, the Hub closing the poll
// or the server stopping (true: answer now), or the client going away
// (false).
func (s *Server) await(ctx context.Context, p *longPoll, hold time.Duration) bool {
	t := time.NewTimer(hold)
	defer t.Stop()
	select {
	case <-p.wake:
	case <-t.C:
	case <-p.closed:
	case <-s.polls.done:
	case <-ctx.Done():
		return false
	}
	return true
}

// pollReply is a long poll's answer: the changed records, then those of
// the pushes (each key once), a trailing newline as the reference server
// prints it; an empty body when nothing changed. written, if given, is
// called once the answer is on the wire (or failed to get there).
func pollReply(changed []string, pushes []*fanout.Push, written ...func(error)) *reply {
	seen := make(map[string]bool, len(changed)+len(pushes))
	var b strings.Builder
	add := func(rec string) {
		if !seen[rec] {
			seen[rec] = true
			b.WriteString(rec)
		}
	}
	for _, rec := range changed {
		add(rec)
	}
	for _, p := range pushes {
		add(string(p.Frame))
	}
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	rep := &reply{status: http.StatusOK, contentType: textUTF8, body: []byte(b.String())}
	noCache(rep)
	if len(written) > 0 {
		rep.written = written[0]
	}
	return rep
}

// fromHub maps a subscription failure: too many subscriptions is the
// client's error.
func fromHub(err error) error {
	if errors.Is(err, fanout.ErrTooManySubscriptions) {
		return badRequest(listeningParam, "%v", err)
	}
	return fromConfig(err)
}
