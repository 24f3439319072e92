package http1

import (
	"net/url"
	"strings"
	"testing"
)

// TestSearchConfigs: GET /v1/cs/configs?search= answers Nacos's page of
// ConfigInfo: accurate and blur (with '*' and config_detail), by tenant,
// paged; without search the same route still reads one configuration,
// and a search value it does not know is read as no search.
func TestSearchConfigs(t *testing.T) {
	cs := startConfigServer(t, nil)
	for _, c := range []struct{ dataID, group, tenant, content, app string }{
		{"app.yaml", "", "", "port: 80", "shop"},
		{"app.properties", "", "", "port=81", ""},
		{"db.yaml", "DB", "", "host: db1", ""},
		{"app.yaml", "", "dev", "port: 90", ""},
	} {
		q := url.Values{"dataId": {c.dataID}, "group": {c.group}, "tenant": {c.tenant}}
		if a := cs.do(t, "POST", "/cs/configs", q, url.Values{"content": {c.content}, "appName": {c.app}, "type": {"yaml"}}, nil); a.status != 200 {
			t.Fatalf("publish %s: %d %q", c.dataID, a.status, a.body)
		}
	}
	search := func(q url.Values) (page[configInfo], string) {
		t.Helper()
		a := cs.do(t, "GET", "/cs/configs", q, nil, nil)
		var page page[configInfo]
		if a.status != 200 || decodeJSON(a.body, &page) != nil {
			t.Fatalf("search %v: %d %q", q, a.status, a.body)
		}
		var names []string
		for _, it := range page.PageItems {
			names = append(names, it.Group+"/"+it.DataID)
		}
		return page, strings.Join(names, " ")
	}
	page, got := search(url.Values{"search": {"accurate"}, "dataId": {"app.yaml"}, "group": {""}, "pageNo": {"1"}, "pageSize": {"10"}})
	if got != "DEFAULT_GROUP/app.yaml" || page.TotalCount != 1 || page.PagesAvailable != 1 {
		t.Fatalf("accurate: %s, %+v", got, page)
	}
	it := page.PageItems[0]
	if it.Content != "port: 80" || it.Md5 == "" || it.Tenant != "" || it.AppName != "shop" || it.Type != "yaml" || it.ID == "" {
		t.Fatalf("accurate item %+v", it)
	}
	if _, got := search(url.Values{"search": {"blur"}, "dataId": {"app.*"}}); got != "DEFAULT_GROUP/app.properties DEFAULT_GROUP/app.yaml" {
		t.Fatalf("blur app.*: %s", got)
	}
	if _, got := search(url.Values{"search": {"blur"}, "config_detail": {"host"}}); got != "DB/db.yaml" {
		t.Fatalf("blur by content: %s", got)
	}
	if _, got := search(url.Values{"search": {"accurate"}, "tenant": {"dev"}}); got != "DEFAULT_GROUP/app.yaml" {
		t.Fatalf("tenant dev: %s", got)
	}
	page, got = search(url.Values{"search": {"accurate"}, "pageNo": {"2"}, "pageSize": {"2"}})
	if got != "DEFAULT_GROUP/app.yaml" || page.TotalCount != 3 || page.PageNumber != 2 || page.PagesAvailable != 2 {
		t.Fatalf("page 2 of 2: %s, %+v", got, page)
	}
	if a := cs.do(t, "GET", "/cs/configs", url.Values{"search": {"accurate"}, "pageSize": {"x"}}, nil, nil); a.status != 400 {
		t.Fatalf("a bad pageSize: %d %q", a.status, a.body)
	}
	if a := cs.do(t, "GET", "/cs/configs", url.Values{"dataId": {"db.yaml"}, "group": {"DB"}}, nil, nil); a.status != 200 || a.body != "host: db1" {
		t.Fatalf("a plain read: %d %q", a.status, a.body)
	}
	if a := cs.do(t, "GET", "/cs/configs", url.Values{"search": {"other"}, "dataId": {"db.yaml"}, "group": {"DB"}}, nil, nil); a.status != 200 || a.body != "host: db1" {
		t.Fatalf("an unknown search value: %d %q", a.status, a.body)
	}
}
