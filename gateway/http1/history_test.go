package http1

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-gateway/herald/upstream"
)

// The history list is Nacos's page of ConfigHistoryInfo, newest first,
// without content or md5; one entry (nid) has everything. Ids are strings,
// times ISO 8601 UTC with milliseconds.
func TestHistoryListAndEntry(t *testing.T) {
	cs := startConfigServer(t, nil)
	q := url.Values{"dataId": {"h"}, "group": {"G"}, "tenant": {"ns1"}}
	for i, content := range []string{"v1", "v2", "v3"} {
		form := url.Values{"content": {content}, "appName": {"shop"}, "src_user": {"alice"}}
		if i == 0 {
			form.Set("type", "yaml")
		}
		if a := cs.do(t, "POST", "/cs/configs", q, form, nil); a.status != 200 {
			t.Fatalf("publish %s: %d %q", content, a.status, a.body)
		}
	}
	if a := cs.do(t, "DELETE", "/cs/configs", q, nil, nil); a.status != 200 {
		t.Fatal(a)
	}
	list := url.Values{"search": {"accurate"}, "dataId": {"h"}, "group": {"G"}, "tenant": {"ns1"}, "pageNo": {"1"}, "pageSize": {"3"}}
	var page page[historyInfo]
	if a := cs.do(t, "GET", "/cs/history", list, nil, nil); a.status != 200 || decodeJSON(a.body, &page) != nil {
		t.Fatalf("list: %d %q", a.status, a.body)
	} else if !strings.Contains(a.body, `"md5":null,"content":null`) {
		t.Errorf("a list item carries content or md5: %s", a.body)
	}
	if page.TotalCount != 4 || page.PageNumber != 1 || page.PagesAvailable != 2 || len(page.PageItems) != 3 {
		t.Fatalf("page %+v, want 4 entries over 2 pages, 3 on the first", page)
	}
	ops := ""
	for _, it := range page.PageItems {
		ops += it.OpType
		wantUser := "alice" // the publishes' src_user; the remove sent none
		if it.OpType == "D" {
			wantUser = ""
		}
		if it.DataID != "h" || it.Group != "G" || it.Tenant != "ns1" || it.AppName != "shop" || it.SrcUser != wantUser ||
			it.SrcIP != "127.0.0.1" || it.LastID != -1 || it.PublishType != "formal" {
			t.Errorf("item %+v", it)
		}
		if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$`).MatchString(it.LastModifiedTime) {
			t.Errorf("lastModifiedTime %q", it.LastModifiedTime)
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000-07:00", it.CreatedTime); err != nil {
			t.Errorf("createdTime: %v", err)
		}
	}
	if ops != "DUU" {
		t.Errorf("opTypes newest first %q, want DUU", ops)
	}
	list.Set("pageNo", "2")
	if a := cs.do(t, "GET", "/cs/history", list, nil, nil); decodeJSON(a.body, &page) != nil || len(page.PageItems) != 1 ||
		page.PageItems[0].OpType != "I" || page.PageItems[0].ExtInfo != `{"src_user":"alice","type":"yaml"}` {
		t.Fatalf("page 2: %d %q", a.status, a.body)
	}
	first := page.PageItems[0]
	var entry historyInfo
	one := url.Values{"nid": {first.ID}, "dataId": {"h"}, "group": {"G"}, "tenant": {"ns1"}}
	if a := cs.do(t, "GET", "/cs/history", one, nil, nil); a.status != 200 || decodeJSON(a.body, &entry) != nil {
		t.Fatalf("entry: %d %q", a.status, a.body)
	}
	if entry.ID != first.ID || entry.Content == nil || *entry.Content != "v1" || entry.Md5 == nil || *entry.Md5 != upstream.Md5Hex("v1") {
		t.Fatalf("entry %+v", entry)
	}
	// Another key's entry is not found under this one.
	other := url.Values{"nid": {first.ID}, "dataId": {"other"}, "group": {"G"}, "tenant": {"ns1"}}
	if a := cs.do(t, "GET", "/cs/history", other, nil, nil); a.status != 404 {
		t.Fatalf("entry under another key: %d %q", a.status, a.body)
	}
}

// pageSize is capped at 500 as Nacos does; bad paging is a 400.
func TestHistoryPaging(t *testing.T) {
	cs := startConfigServer(t, func(tu *tuning) { tu.store.HistoryLimit = 600 })
	for i := range 501 {
		cs.publish(t, "p", "v"+strconv.Itoa(i))
	}
	var page page[historyInfo]
	q := url.Values{"search": {"accurate"}, "dataId": {"p"}, "pageSize": {"1000"}}
	if a := cs.do(t, "GET", "/cs/history", q, nil, nil); decodeJSON(a.body, &page) != nil || len(page.PageItems) != 500 ||
		page.TotalCount != 501 || page.PagesAvailable != 2 {
		t.Fatalf("pageSize 1000: %d items of %d, %d pages", len(page.PageItems), page.TotalCount, page.PagesAvailable)
	}
	for _, bad := range []url.Values{
		{"search": {"accurate"}, "dataId": {"p"}, "pageNo": {"0"}},
		{"search": {"accurate"}, "dataId": {"p"}, "pageSize": {"x"}},
		{"dataId": {"p"}},
		{"dataId": {"p"}, "nid": {"abc"}},
		{"search": {"accurate"}, "group": {"g"}},
	} {
		if a := cs.do(t, "GET", "/cs/history", bad, nil, nil); a.status != 400 {
			t.Errorf("%v: %d %q, want 400", bad, a.status, a.body)
		}
	}
}
