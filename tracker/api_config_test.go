package tracker

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// By IP, config records are paged out of a stream that holds naming
// records between them: each page holds only config records, and the
// cursors walk every one of them exactly once.
func TestClientConfigsPagesPastNamingRecords(t *testing.T) {
	s := NewMemoryStore(MemoryOptions{})
	t0 := time.Now().Add(-time.Minute).UnixMilli()
	var want []string
	var recs []Record
	for i := range 40 {
		r := rec(fmt.Sprint("p", i), t0+int64(i), "public", "DEFAULT_GROUP", "app.yaml", "10.0.0.1")
		if i%5 == 0 { // one config record in five
			r.Kind, r.Result = KindConfig, "reported"
			want = append([]string{r.PushID}, want...) // newest first
		}
		recs = append(recs, r)
	}
	mustAppend(t, s, recs...)
	a := &API{Store: s, Status: noListeners{}, Config: noListeners{}}
	var got []string
	cursor := ""
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatalf("no last page; got %v", got)
		}
		q := url.Values{"ip": {"10.0.0.1"}, "limit": {"3"}, "cursor": {cursor}}
		code, body := serve(a.configClient, "/v1/tracks/config/client?"+q.Encode())
		var out clientConfigsJSON
		if code != http.StatusOK || json.Unmarshal(body, &out) != nil {
			t.Fatalf("page %d: %d %s", page, code, body)
		}
		for _, r := range out.Records {
			if r.Kind != KindConfig {
				t.Fatalf("page %d holds a %s record", page, r.Kind)
			}
			got = append(got, r.PushID)
		}
		if len(out.Configs) != 1 || out.Configs[0].DataID != "app.yaml" || out.Configs[0].Listening {
			t.Fatalf("page %d configs %+v", page, out.Configs)
		}
		if out.Next == "" {
			break
		}
		cursor = out.Next
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("pages gave %v, want %v", got, want)
	}
}

// With no listener left, status now takes the latest md5 from the newest
// publish and lists a long-poll client from its last reported record.
func TestConfigStatusFromRecords(t *testing.T) {
	s := NewMemoryStore(MemoryOptions{})
	now := time.Now()
	change := rec("c", now.Add(-30*time.Second).UnixMilli(), "public", "DEFAULT_GROUP", "app.yaml", "")
	change.Kind, change.Result, change.Md5, change.Revision = KindConfig, ResultPublish, "new", 7
	poll := rec("http:10.0.0.1#4/1", now.Add(-40*time.Second).UnixMilli(), "public", "DEFAULT_GROUP", "app.yaml", "10.0.0.1")
	poll.Kind, poll.Result, poll.Md5, poll.ConnID, poll.ClientApp = KindConfig, "reported", "old", "http:10.0.0.1#4", "web"
	mustAppend(t, s, poll, change)
	a := &API{Store: s, Status: noListeners{}, Config: noListeners{}, Now: func() time.Time { return now }}
	code, body := serve(a.configStatus, "/v1/status/config?dataId=app.yaml")
	var out configStatusJSON
	if code != http.StatusOK || json.Unmarshal(body, &out) != nil {
		t.Fatalf("%d %s", code, body)
	}
	if out.Md5 != "new" || out.Revision != 7 || out.Behind != 1 || len(out.Listeners) != 1 || out.IdleError != "" {
		t.Fatalf("status %s", body)
	}
	if l := out.Listeners[0]; !l.Idle || l.Md5 != "old" || l.LatestMd5 != "new" || l.ClientApp != "web" || l.BehindMs < 30000 {
		t.Fatalf("listener %+v", l)
	}
}
