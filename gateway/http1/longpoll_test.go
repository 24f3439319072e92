package http1

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

const wait = 10 * time.Second

// A poll naming a key whose md5 differs from the current one is answered
// at once, with only the keys that differ; a missing config has md5 "", so
// a client holding nothing for it is in sync. An unknown key the client
// believes it holds is reported changed (its GET then finds nothing).
func TestLongPollAnswersAtOnceOnDifference(t *testing.T) {
	cs := startConfigServer(t, nil)
	cs.publish(t, "a", "v1")
	cs.publish(t, "b", "v1")
	listening := record("a", "DEFAULT_GROUP", "") + // stale: holds nothing
		record("b", "DEFAULT_GROUP", upstream.Md5Hex("v1")) + // in sync
		record("missing", "DEFAULT_GROUP", "") + // in sync: absent
		record("gone", "DEFAULT_GROUP", upstream.Md5Hex("old")) + // holds what no longer exists
		"a\x02DEFAULT_GROUP\x02\x02ns1\x01" // another namespace, absent there
	a := await(t, cs.poll(context.Background(), listening, pollHeaders("30000")), wait)
	if want := "a%02DEFAULT_GROUP%01gone%02DEFAULT_GROUP%01\n"; a.status != 200 || a.body != want {
		t.Fatalf("answer %d %q, want %q", a.status, a.body, want)
	}
	if a.header.Get("Cache-Control") != "no-cache,no-store" || a.header.Get("Pragma") != "no-cache" {
		t.Errorf("cache headers %v", a.header)
	}
	cs.expectEvent(t, "released")
	if n := cs.s.LongPolls(); n != 0 {
		t.Fatalf("%d polls held after an immediate answer", n)
	}
}

// A poll in sync is held, reported by the listener queries with the md5
// it carries, and answered by the first change with only that key; the
// push is acknowledged to the Hub once written, and the poll leaves it.
func TestLongPollHeldUntilChange(t *testing.T) {
	cs := startConfigServer(t, nil)
	cs.publish(t, "a", "v1")
	cs.publish(t, "b", "v1")
	m1 := upstream.Md5Hex("v1")
	listening := record("a", "DEFAULT_GROUP", m1) + "b\x02DEFAULT_GROUP\x02" + m1 + "\x02public\x01"
	answer := cs.poll(context.Background(), listening, pollHeaders("30000"))
	cs.expectEvent(t, "held")
	if st := listeners(t, cs, "/cs/configs/listener", url.Values{"dataId": {"b"}}); st["127.0.0.1"] != m1 {
		t.Fatalf("listeners of b: %v, want 127.0.0.1 holding %s", st, m1)
	}
	select {
	case r := <-answer:
		t.Fatalf("answered before any change: %+v", r)
	default:
	}
	cs.publish(t, "b", "v2")
	a := await(t, answer, wait)
	if want := "b%02DEFAULT_GROUP%02public%01\n"; a.status != 200 || a.body != want {
		t.Fatalf("answer %d %q, want %q (only the key that changed, tenant as sent)", a.status, a.body, want)
	}
	cs.expectEvent(t, "released")
	if got := cs.hub.Counts(); got["sent"] != 1 || got["acked"] != 1 {
		t.Errorf("push outcomes %v, want 1 sent and 1 acked", got)
	}
	if _, subs := cs.hub.Stats(fanout.KindConfig); subs != 0 || cs.s.LongPolls() != 0 {
		t.Errorf("after the answer: %d subscriptions, %d polls held", subs, cs.s.LongPolls())
	}
}

// A poll nothing changes for is answered 200 with an empty body when its
// hold ends: max(minimum, Long-Pulling-Timeout − 500 ms).
func TestLongPollTimesOutEmpty(t *testing.T) {
	cs := startConfigServer(t, func(tu *tuning) { tu.opts.MinLongPollHold = 50 * time.Millisecond })
	start := time.Now()
	a := await(t, cs.poll(context.Background(), record("a", "g", ""), pollHeaders("0")), wait)
	if a.status != 200 || a.body != "" {
		t.Fatalf("timeout answer %d %q, want 200 empty", a.status, a.body)
	}
	if held := time.Since(start); held < 50*time.Millisecond {
		t.Errorf("answered after %v, before the 50ms hold", held)
	}
	cs.expectEvent(t, "held")
	cs.expectEvent(t, "released")
}

// Without Long-Pulling-Timeout (short polling) or with
// Long-Pulling-Timeout-No-Hangup: true, a poll is answered at once.
func TestLongPollNoHold(t *testing.T) {
	cs := startConfigServer(t, nil)
	cs.publish(t, "a", "v1")
	for _, h := range []map[string]string{nil, {pollTimeoutHeader: "30000", pollNoHangup: "true"}} {
		if a := await(t, cs.poll(context.Background(), record("a", "DEFAULT_GROUP", upstream.Md5Hex("v1")), h), wait); a.status != 200 || a.body != "" {
			t.Errorf("headers %v, in sync: %d %q, want 200 empty at once", h, a.status, a.body)
		}
		if a := await(t, cs.poll(context.Background(), record("a", "DEFAULT_GROUP", ""), h), wait); a.body != "a%02DEFAULT_GROUP%01\n" {
			t.Errorf("headers %v, behind: %d %q", h, a.status, a.body)
		}
	}
	if n := cs.s.LongPolls(); n != 0 {
		t.Errorf("%d polls held", n)
	}
}

// Beyond MaxLongPolls a poll that would be held is answered 503 at once
// (the client retries); one that is behind is still answered with its
// changes. A released slot is taken again.
func TestLongPollLimit(t *testing.T) {
	cs := startConfigServer(t, func(tu *tuning) { tu.opts.MaxLongPolls = 1 })
	cs.publish(t, "a", "v1")
	m1 := upstream.Md5Hex("v1")
	first := cs.poll(context.Background(), record("a", "DEFAULT_GROUP", m1), pollHeaders("30000"))
	cs.expectEvent(t, "held")
	a := await(t, cs.poll(context.Background(), record("a", "DEFAULT_GROUP", m1), pollHeaders("30000")), wait)
	if a.status != 503 || !strings.Contains(a.body, "config.maxLongPolls") {
		t.Fatalf("a poll beyond the limit: %d %q, want 503", a.status, a.body)
	}
	if a := await(t, cs.poll(context.Background(), record("a", "DEFAULT_GROUP", ""), pollHeaders("30000")), wait); a.status != 200 || a.body != "a%02DEFAULT_GROUP%01\n" {
		t.Fatalf("a poll beyond the limit with a change: %d %q", a.status, a.body)
	}
	cs.publish(t, "a", "v2")
	if a := await(t, first, wait); a.body != "a%02DEFAULT_GROUP%01\n" {
		t.Fatalf("the held poll: %d %q", a.status, a.body)
	}
	cs.expectEvent(t, "released")
	second := cs.poll(context.Background(), record("a", "DEFAULT_GROUP", upstream.Md5Hex("v2")), pollHeaders("30000"))
	cs.expectEvent(t, "held")
	cs.publish(t, "a", "v3")
	await(t, second, wait)
}

// A client that goes away while its poll is held is released: the poll
// leaves the Hub and its slot is free, and later changes go nowhere.
func TestLongPollClientGoneIsReleased(t *testing.T) {
	cs := startConfigServer(t, func(tu *tuning) { tu.opts.MaxLongPolls = 1 })
	cs.publish(t, "a", "v1")
	conn, err := net.Dial("tcp", cs.s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	body := url.Values{listeningParam: {record("a", "DEFAULT_GROUP", upstream.Md5Hex("v1"))}}.Encode()
	fmt.Fprintf(conn, "POST /nacos/v1/cs/configs/listener HTTP/1.1\r\nHost: x\r\nLong-Pulling-Timeout: 30000\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	cs.expectEvent(t, "held")
	if _, subs := cs.hub.Stats(fanout.KindConfig); subs != 1 {
		t.Fatalf("%d subscriptions while held, want 1", subs)
	}
	conn.Close()
	cs.expectEvent(t, "released")
	if _, subs := cs.hub.Stats(fanout.KindConfig); subs != 0 || cs.s.LongPolls() != 0 {
		t.Fatalf("after the client left: %d subscriptions, %d polls held", subs, cs.s.LongPolls())
	}
	cs.publish(t, "a", "v2")
	// The slot is free for the next client.
	next := cs.poll(context.Background(), record("a", "DEFAULT_GROUP", upstream.Md5Hex("v2")), pollHeaders("30000"))
	cs.expectEvent(t, "held")
	cs.publish(t, "a", "v3")
	if a := await(t, next, wait); a.status != 200 || a.body == "" {
		t.Fatalf("the next poll: %d %q", a.status, a.body)
	}
	if got := cs.hub.Counts(); got["acked"] != 1 {
		t.Errorf("outcomes %v: want exactly the one acked push to the second poll", got)
	}
}

// Stopping the server answers held polls at once (empty: nothing changed)
// instead of cutting them at the shutdown deadline.
func TestLongPollAnsweredOnStop(t *testing.T) {
	cs := startConfigServer(t, nil)
	answer := cs.poll(context.Background(), record("a", "g", ""), pollHeaders("30000"))
	cs.expectEvent(t, "held")
	cs.s.Stop()
	if a := await(t, answer, wait); a.status != 200 || a.body != "" {
		t.Fatalf("on stop: %d %q, want 200 empty", a.status, a.body)
	}
	cs.expectEvent(t, "released")
}

// Bad polls get a 400 naming the problem, and the server keeps serving.
func TestLongPollBadInput(t *testing.T) {
	cs := startConfigServer(t, nil)
	cases := []struct {
		name, listening, timeout, want string
	}{
		{"missing", "", "30000", "Param 'Listening-Configs' is required."},
		{"malformed record", record("a", "g", "") + "b\x02g\x01", "30000", "Listening-Configs record 2 has 2 fields"},
		{"unterminated", "a\x02g\x02", "30000", "record 1 is not ended by U+0001"},
		{"bad dataId", record("a", "g", "") + record("a/b", "g", ""), "30000", "record 2: dataId: must not contain '/'"},
		{"too many keys", manyRecords(maxListenKeys + 1), "30000", "at most 10000 keys in one listen"},
		{"bad timeout", record("a", "g", ""), "soon", `header Long-Pulling-Timeout must be a number of milliseconds, got "soon"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := await(t, cs.poll(context.Background(), c.listening, pollHeaders(c.timeout)), wait)
			if a.status != 400 || !strings.Contains(a.body, c.want) {
				t.Fatalf("%d %q, want a 400 containing %q", a.status, a.body, c.want)
			}
		})
	}
	if n := cs.s.LongPolls(); n != 0 {
		t.Fatalf("%d polls held after refusals", n)
	}
	cs.publish(t, "a", "serving")
}

// A poll of 10,000 keys is held with 10,000 subscriptions and answered
// with the one that changes.
func TestLongPollManyKeys(t *testing.T) {
	cs := startConfigServer(t, nil)
	listening := manyRecords(maxListenKeys)
	answer := cs.poll(context.Background(), listening, pollHeaders("30000"))
	cs.expectEvent(t, "held")
	if _, subs := cs.hub.Stats(fanout.KindConfig); subs != maxListenKeys {
		t.Fatalf("%d subscriptions, want %d", subs, maxListenKeys)
	}
	recs, err := parseListening(listening)
	if err != nil {
		t.Fatal(err)
	}
	changed := recs[4321].key
	if _, err := cs.store.PublishConfig(context.Background(), upstream.ConfigPublish{Key: changed, Content: "x"}); err != nil {
		t.Fatal(err)
	}
	if a := await(t, answer, wait); a.body != changedRecord(changed.DataID, changed.Group, "")+"\n" {
		t.Fatalf("answer %q, want only %s", a.body, changed)
	}
	cs.expectEvent(t, "released")
}

// The listener queries see held polls by IP and by group key, with the
// md5 each holds, filtered by namespace as Nacos does.
func TestListenerQueries(t *testing.T) {
	cs := startConfigServer(t, nil)
	cs.publish(t, "a", "v1")
	m1 := upstream.Md5Hex("v1")
	listening := record("a", "DEFAULT_GROUP", m1) + "b.x\x02g\x02\x02ns1\x01"
	answer := cs.poll(context.Background(), listening, pollHeaders("30000"))
	cs.expectEvent(t, "held")
	cases := []struct {
		q    url.Values
		want map[string]string
	}{
		{url.Values{"ip": {"127.0.0.1"}}, map[string]string{"a+DEFAULT_GROUP": m1}},
		{url.Values{"ip": {"127.0.0.1"}, "tenant": {"ns1"}}, map[string]string{"a+DEFAULT_GROUP": m1, "b.x+g+ns1": ""}},
		{url.Values{"ip": {"127.0.0.1"}, "all": {"true"}}, map[string]string{"a+DEFAULT_GROUP": m1, "b.x+g+ns1": ""}},
		{url.Values{"ip": {"10.0.0.1"}, "all": {"true"}}, map[string]string{}},
	}
	for _, c := range cases {
		if got := listeners(t, cs, "/cs/listener", c.q); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("listener %v = %v, want %v", c.q, got, c.want)
		}
	}
	if got := listeners(t, cs, "/cs/configs/listener", url.Values{"dataId": {"b.x"}, "group": {"g"}, "tenant": {"ns1"}}); fmt.Sprint(got) != "map[127.0.0.1:]" {
		t.Errorf("listeners of b.x = %v", got)
	}
	if got := listeners(t, cs, "/cs/configs/listener", url.Values{"dataId": {"nobody"}}); len(got) != 0 {
		t.Errorf("listeners of an unheard key = %v", got)
	}
	if a := cs.do(t, "GET", "/cs/listener", nil, nil, nil); a.status != 400 || !strings.Contains(a.body, "Param 'ip' is required.") {
		t.Errorf("without ip: %d %q", a.status, a.body)
	}
	cs.publish(t, "a", "v2")
	await(t, answer, wait)
}

// listeners reads a listener query's lisentersGroupkeyStatus.
func listeners(t *testing.T, cs *configServer, path string, q url.Values) map[string]string {
	t.Helper()
	a := cs.do(t, "GET", path, q, nil, nil)
	var st listenerStatus
	if a.status != 200 || decodeJSON(a.body, &st) != nil || st.CollectStatus != 200 {
		t.Fatalf("GET %s %v: %d %q", path, q, a.status, a.body)
	}
	return st.Status
}
