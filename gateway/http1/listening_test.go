package http1

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-gateway/herald/upstream"
)

func TestParseListening(t *testing.T) {
	key := func(ns, group, dataID string) upstream.ConfigKey {
		return upstream.ConfigKey{Namespace: ns, Group: group, DataID: dataID}
	}
	cases := []struct {
		name string
		raw  string
		want []listenRecord
		err  string // a substring of the 400's message; "" = no error
	}{
		{name: "no tenant", raw: "a\x02g\x02m1\x01",
			want: []listenRecord{{key: key("public", "g", "a"), md5: "m1"}}},
		{name: "tenant kept as sent", raw: "a\x02g\x02\x02ns1\x01b\x02DEFAULT_GROUP\x02m2\x02public\x01",
			want: []listenRecord{{key: key("ns1", "g", "a"), tenant: "ns1"}, {key: key("public", "DEFAULT_GROUP", "b"), tenant: "public", md5: "m2"}}},
		{name: "blank group defaults", raw: "a\x02\x02m\x01",
			want: []listenRecord{{key: key("public", "DEFAULT_GROUP", "a"), md5: "m"}}},
		{name: "decoded once more", raw: "a%2Eb%02g%02m%01",
			want: []listenRecord{{key: key("public", "g", "a.b"), md5: "m"}}},
		{name: "duplicate: last md5 wins", raw: "a\x02g\x02old\x01a\x02g\x02new\x01",
			want: []listenRecord{{key: key("public", "g", "a"), md5: "new"}}},
		{name: "same key, two tenant spellings", raw: "a\x02g\x02m\x01a\x02g\x02m\x02public\x01",
			want: []listenRecord{{key: key("public", "g", "a"), md5: "m"}, {key: key("public", "g", "a"), tenant: "public", md5: "m"}}},
		{name: "empty", raw: "  ", err: "Param 'Listening-Configs' is required"},
		{name: "bad escape", raw: "a%zz\x02g\x02m\x01", err: "not URL-encoded"},
		{name: "two fields", raw: "a\x02g\x02m\x01b\x02g\x01", err: "record 2 has 2 fields"},
		{name: "five fields", raw: "a\x02g\x02m\x02t\x02x\x01", err: "record 1 has 5 fields"},
		{name: "unterminated", raw: "a\x02g\x02m\x01b\x02g\x02m", err: "record 2 is not ended by U+0001"},
		{name: "bad dataId", raw: "a\x02g\x02m\x01b c\x02g\x02m\x01", err: "record 2: dataId: must not contain ' '"},
		{name: "bad group", raw: "a\x02g/h\x02m\x01", err: "record 1: group"},
		{name: "bad tenant", raw: "a\x02g\x02m\x02n/s\x01", err: "record 1: tenant"},
		{name: "10,000 keys", raw: manyRecords(maxListenKeys)},
		{name: "10,001 keys", raw: manyRecords(maxListenKeys + 1), err: "at most 10000 keys in one listen"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseListening(c.raw)
			if c.err != "" {
				status, msg := statusOf(err)
				if err == nil || status != 400 || !strings.Contains(msg, c.err) {
					t.Fatalf("got %v records, error %v (status %d), want a 400 containing %q", len(got), err, status, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if c.want == nil {
				if len(got) != maxListenKeys {
					t.Fatalf("%d records, want %d", len(got), maxListenKeys)
				}
				return
			}
			if len(got) != len(c.want) {
				t.Fatalf("records %+v, want %+v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("record %d = %+v, want %+v", i, got[i], c.want[i])
				}
			}
		})
	}
}

func manyRecords(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("k" + strings.Repeat("x", i%7) + strconv.Itoa(i) + "\x02g\x02\x01")
	}
	return b.String()
}

// The answer's records: URL-encoded, tenant only when the client sent one,
// spaces as %20 (Node's decodeURIComponent leaves '+'), and what Node's
// parser reads back (decodeURIComponent, split on U+0001 then U+0002).
func TestChangedRecord(t *testing.T) {
	cases := []struct{ dataID, group, tenant, want string }{
		{"a", "g", "", "a%02g%01"},
		{"app.yaml", "DEFAULT_GROUP", "ns-1", "app.yaml%02DEFAULT_GROUP%02ns-1%01"},
		{"名字", "g:x", "", "%E5%90%8D%E5%AD%97%02g%3Ax%01"},
		{"a b", "g", "", "a%20b%02g%01"},
	}
	for _, c := range cases {
		got := changedRecord(c.dataID, c.group, c.tenant)
		if got != c.want {
			t.Errorf("changedRecord(%q, %q, %q) = %q, want %q", c.dataID, c.group, c.tenant, got, c.want)
		}
		decoded, err := url.PathUnescape(got)
		if err != nil {
			t.Fatal(err)
		}
		fields := strings.Split(strings.TrimSuffix(decoded, lineSep), wordSep)
		if fields[0] != c.dataID || fields[1] != c.group {
			t.Errorf("%q reads back as %q", got, fields)
		}
	}
}

func TestPollHold(t *testing.T) {
	floor := 10 * time.Second
	cases := []struct {
		header string
		want   time.Duration
		bad    bool
	}{
		{"30000", 29500 * time.Millisecond, false},
		{" 30000 ", 29500 * time.Millisecond, false},
		{"5000", floor, false},
		{"0", floor, false},
		{"900000000", maxPollHold, false},
		{"abc", 0, true},
		{"-1", 0, true},
		{"30s", 0, true},
	}
	for _, c := range cases {
		got, err := pollHold(c.header, floor)
		if c.bad {
			if status, _ := statusOf(err); err == nil || status != 400 {
				t.Errorf("pollHold(%q) = %v, %v; want a 400", c.header, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("pollHold(%q) = %v, %v; want %v", c.header, got, err, c.want)
		}
	}
}
