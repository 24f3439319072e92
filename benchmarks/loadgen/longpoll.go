package loadgen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The longpoll scenario: Herald's memory per held HTTP config long poll
// (POST /nacos/v1/cs/configs/listener, as the npm nacos client polls).
// Each load connection sends one poll for one of Keys absent keys with md5
// "" (in sync, so held) and waits. With every poll held (GET /stats
// http.longPolls) and after Settle, Herald's memory is read; then one
// publish per key answers every poll, and the answers are timed. Mode
// "conns" is the same number of kept-alive connections that made one
// plain request (GET /nacos/v1/ns/operator/metrics) and sit idle: the
// cost of the connection alone, measured the same way.

// LongPollConfig sizes the longpoll scenario.
type LongPollConfig struct {
	Polls       int    // load connections
	Keys        int    // polls spread over lp-0..lp-<Keys-1>
	Mode        string // "polls" (held long polls) or "conns" (idle connections)
	HoldMs      int    // Long-Pulling-Timeout sent; Herald holds HoldMs − 500 ms
	Concurrency int
	Settle      time.Duration
	Samples     int
	SampleEvery time.Duration
}

// LongPollResult is Herald's memory idle and with Polls held polls (or
// idle connections), and how fast a change answered the polls.
type LongPollResult struct {
	Mode           string    `json:"mode"`
	Polls          int       `json:"polls"`
	Keys           int       `json:"keys"`
	Held           int       `json:"held"` // Herald's http.longPolls when measured
	OpenSeconds    float64   `json:"openSeconds"`
	Baseline       ProcMem   `json:"baseline"`
	Loaded         ProcMem   `json:"loaded"`
	KiBPerPoll     float64   `json:"kibPerPoll"`     // (VmRSS loaded − baseline) / polls
	AnonKiBPerPoll float64   `json:"anonKiBPerPoll"` // the same for RssAnon
	GCBaseline     *GCSample `json:"gcBaseline,omitempty"`
	GCLoaded       *GCSample `json:"gcLoaded,omitempty"`
	Answered       int       `json:"answered"`      // polls answered with their key after the publishes
	AnswerLatency  Latency   `json:"answerLatency"` // from the key's publish to the poll's answer
	EarlyAnswers   int       `json:"earlyAnswers"`  // answered before any publish (must be 0)
	LoadgenRSSKiB  int64     `json:"loadgenRSSKiB"`
}

// validate checks the scenario's sizes.
func (c LongPollConfig) validate() error {
	switch {
	case c.Polls < 1 || c.Keys < 1 || c.Samples < 1 || c.Concurrency < 1:
		return errors.New("longpoll: -conns, -services, -samples and -concurrency must be at least 1")
	case c.Polls > 15000:
		return errors.New("longpoll: at most 15000 polls from one process (20,000 open files per process)")
	case c.Mode != "polls" && c.Mode != "conns":
		return fmt.Errorf("longpoll: -mode %q, want polls or conns", c.Mode)
	case c.HoldMs < 10000:
		return errors.New("longpoll: -hold-ms must be at least 10000")
	}
	return nil
}

// heraldArgs make room for the polls.
func (c LongPollConfig) heraldArgs() []string {
	return []string{"-config.maxLongPolls", strconv.Itoa(max(c.Polls, 1))}
}

// RunLongPolls measures Herald's memory per held long poll (or idle
// connection).
func RunLongPolls(ctx context.Context, h *Herald, cfg LongPollConfig, logf Logf) (*LongPollResult, error) {
	res := &LongPollResult{Mode: cfg.Mode, Polls: cfg.Polls, Keys: cfg.Keys}
	httpAddr := h.HTTPAddr
	var err error
	if res.Baseline, err = stableMem(ctx, h.PID(), cfg.Samples, cfg.SampleEvery); err != nil {
		return res, err
	}
	res.GCBaseline = lastGCPtr(h)
	logf("longpoll: baseline VmRSS %d KiB; opening %d %s", res.Baseline.RSSKiB, cfg.Polls, cfg.Mode)
	start := time.Now()
	conns, err := openPolls(ctx, httpAddr, cfg)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.conn.Close()
			}
		}
	}()
	if err != nil {
		return res, err
	}
	if cfg.Mode == "polls" {
		if err := waitHeld(ctx, h, cfg.Polls); err != nil {
			return res, err
		}
	}
	res.OpenSeconds = round1(time.Since(start).Seconds())
	logf("longpoll: %d open in %.1fs; settling %s", cfg.Polls, res.OpenSeconds, cfg.Settle)
	if err := sleep(ctx, cfg.Settle); err != nil {
		return res, err
	}
	if res.Loaded, err = stableMem(ctx, h.PID(), cfg.Samples, cfg.SampleEvery); err != nil {
		return res, err
	}
	res.GCLoaded = lastGCPtr(h)
	if res.Held, err = heldPolls(ctx, h); err != nil {
		return res, err
	}
	res.KiBPerPoll = perConn(res.Loaded.RSSKiB-res.Baseline.RSSKiB, cfg.Polls)
	res.AnonKiBPerPoll = perConn(res.Loaded.AnonKiB-res.Baseline.AnonKiB, cfg.Polls)
	if self, err := ReadProcMem(os.Getpid()); err == nil {
		res.LoadgenRSSKiB = self.RSSKiB
	}
	if cfg.Mode == "conns" {
		return res, nil
	}
	if cfg.Mode == "polls" && res.Held != cfg.Polls {
		return res, fmt.Errorf("longpoll: %d polls held when measured, want %d", res.Held, cfg.Polls)
	}
	return res, answerPolls(ctx, httpAddr, conns, cfg, res, logf)
}

// pollConn is one load connection and its poll's answer.
type pollConn struct {
	conn   net.Conn
	key    int
	answer chan pollAnswer // buffered 1, filled by the connection's reader
}

type pollAnswer struct {
	at     time.Time
	status int
	body   string
	err    error
}

// openPolls opens the connections, concurrency at a time; in polls mode
// each sends its poll and a goroutine (ended by closing the connection)
// waits for the answer.
func openPolls(ctx context.Context, addr string, cfg LongPollConfig) ([]*pollConn, error) {
	conns := make([]*pollConn, cfg.Polls)
	var mu sync.Mutex // mu protects first and conns.
	var first error
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(cfg.Concurrency, cfg.Polls) {
		wg.Go(func() {
			for i := range work {
				c, err := openPoll(ctx, addr, i, cfg)
				mu.Lock()
				if err != nil && first == nil {
					first = fmt.Errorf("connection %d: %w", i, err)
				}
				conns[i] = c
				mu.Unlock()
			}
		})
	}
	for i := range cfg.Polls {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return conns, first
}

func openPoll(ctx context.Context, addr string, i int, cfg LongPollConfig) (*pollConn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &pollConn{conn: conn, key: i % cfg.Keys, answer: make(chan pollAnswer, 1)}
	r := bufio.NewReader(conn)
	if cfg.Mode == "conns" {
		if _, err := io.WriteString(conn, "GET /nacos/v1/ns/operator/metrics HTTP/1.1\r\nHost: herald\r\n\r\n"); err != nil {
			return c, err
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		a := readAnswer(r)
		_ = conn.SetReadDeadline(time.Time{})
		if a.err == nil && a.status != http.StatusOK {
			a.err = fmt.Errorf("metrics: %d %q", a.status, a.body)
		}
		return c, a.err
	}
	body := url.Values{"Listening-Configs": {fmt.Sprintf("lp-%d\x02DEFAULT_GROUP\x02\x01", c.key)}}.Encode()
	req := fmt.Sprintf("POST /nacos/v1/cs/configs/listener HTTP/1.1\r\nHost: herald\r\nLong-Pulling-Timeout: %d\r\n"+
		"Content-Type: application/x-www-form-urlencoded; charset=utf8\r\nContent-Length: %d\r\n\r\n%s", cfg.HoldMs, len(body), body)
	if _, err := io.WriteString(conn, req); err != nil {
		return c, err
	}
	go func() { c.answer <- readAnswer(r) }() // ends with the answer or the connection's close
	return c, nil
}

func readAnswer(r *bufio.Reader) pollAnswer {
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return pollAnswer{at: time.Now(), err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return pollAnswer{at: time.Now(), status: resp.StatusCode, body: string(b), err: err}
}

// waitHeld polls GET /stats until Herald holds n polls (it counts them
// only once each is subscribed).
func waitHeld(ctx context.Context, h *Herald, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		held, err := heldPolls(ctx, h)
		if err == nil && held == n {
			return nil
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return fmt.Errorf("longpoll: %d of %d polls held after 60s: %w", held, n, err)
		}
	}
}

func heldPolls(ctx context.Context, h *Herald) (int, error) {
	var st struct {
		HTTP struct {
			LongPolls int `json:"longPolls"`
		} `json:"http"`
	}
	err := h.get(ctx, "/stats", &st)
	return st.HTTP.LongPolls, err
}

// answerPolls publishes once to every key and times each poll's answer
// from its key's publish.
func answerPolls(ctx context.Context, addr string, conns []*pollConn, cfg LongPollConfig, res *LongPollResult, logf Logf) error {
	for _, c := range conns {
		select {
		case a := <-c.answer:
			res.EarlyAnswers++
			c.answer <- a
		default:
		}
	}
	if res.EarlyAnswers > 0 {
		return fmt.Errorf("longpoll: %d polls answered before any change", res.EarlyAnswers)
	}
	published := make([]time.Time, cfg.Keys)
	client := &http.Client{Timeout: 10 * time.Second}
	for k := range cfg.Keys {
		published[k] = time.Now()
		form := url.Values{"dataId": {fmt.Sprintf("lp-%d", k)}, "content": {"changed"}}
		resp, err := client.PostForm("http://"+addr+"/nacos/v1/cs/configs", form)
		if err != nil {
			return fmt.Errorf("publish lp-%d: %w", k, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("publish lp-%d: %s", k, resp.Status)
		}
	}
	logf("longpoll: published %d keys; waiting for %d answers", cfg.Keys, len(conns))
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	lat := make([]time.Duration, 0, len(conns))
	for _, c := range conns {
		select {
		case a := <-c.answer:
			want := fmt.Sprintf("lp-%d%%02DEFAULT_GROUP%%01\n", c.key)
			if a.err != nil || a.status != http.StatusOK || a.body != want {
				return fmt.Errorf("poll of lp-%d answered %d %q (%v), want %q", c.key, a.status, a.body, a.err, want)
			}
			res.Answered++
			lat = append(lat, a.at.Sub(published[c.key]))
		case <-deadline.C:
			return fmt.Errorf("longpoll: %d of %d polls answered within 60s of the publishes", res.Answered, len(conns))
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	res.AnswerLatency = summarize(lat)
	return nil
}

func (p *LongPollResult) summary(b *strings.Builder) {
	fmt.Fprintf(b, "  %d %s over %d keys, open in %.1fs, %d held when measured\n", p.Polls, p.Mode, p.Keys, p.OpenSeconds, p.Held)
	fmt.Fprintf(b, "  herald VmRSS: %d KiB idle -> %d KiB loaded (RssAnon %d -> %d KiB, threads %d)\n",
		p.Baseline.RSSKiB, p.Loaded.RSSKiB, p.Baseline.AnonKiB, p.Loaded.AnonKiB, p.Loaded.Threads)
	if g := p.GCLoaded; g != nil {
		fmt.Fprintf(b, "  herald last GC (#%d): heap live %d MB, goal %d MB, stacks %d MB\n", g.Cycle, g.HeapLiveMB, g.HeapGoalMB, g.StacksMB)
	}
	fmt.Fprintf(b, "  => %.1f KiB per %s (RssAnon %.1f KiB)\n", p.KiBPerPoll, strings.TrimSuffix(p.Mode, "s"), p.AnonKiBPerPoll)
	if p.Answered > 0 {
		fmt.Fprintf(b, "  answered %d after the publishes: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
			p.Answered, p.AnswerLatency.P50Ms, p.AnswerLatency.P99Ms, p.AnswerLatency.MaxMs)
	}
}
