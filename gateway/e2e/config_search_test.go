package e2e

import (
	"strings"
	"testing"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"
)

// nacos-sdk-go's SearchConfig (HTTP GET /nacos/v1/cs/configs?search=)
// finds what the config client published: accurate by data id, blur with
// '*', in the client's namespace only, paged. Through an edge the search
// is refused: the Nacos link speaks the gRPC wire, which has no search,
// and the SDK reports the error.
func TestConfigSearch(t *testing.T) {
	d := startHerald(t, testConfig(t))
	c := configAs(t, d, "", "", "") // the SDK searches over HTTP: Port is the HTTP port
	other := configAs(t, d, "dev", "", "")
	for _, id := range []string{"search.a.yaml", "search.b.yaml", "search.c.properties"} {
		mustPublish(t, c, vo.ConfigParam{DataId: id, Group: "SEARCH", Content: "content of " + id})
	}
	mustPublish(t, other, vo.ConfigParam{DataId: "search.a.yaml", Group: "SEARCH", Content: "dev"})
	page, err := c.SearchConfig(vo.SearchConfigParam{Search: "accurate", DataId: "search.a.yaml", Group: "SEARCH"})
	if chained() {
		if err == nil {
			t.Fatalf("search through an edge answered %+v; want the SDK's error", page)
		}
		return
	}
	if err != nil {
		t.Fatalf("accurate search: %v", err)
	}
	if page.TotalCount != 1 || len(page.PageItems) != 1 || page.PageItems[0].Content != "content of search.a.yaml" ||
		page.PageItems[0].Md5 == "" || page.PageItems[0].Id.String() == "" {
		t.Fatalf("accurate search: %+v", page)
	}
	page, err = c.SearchConfig(vo.SearchConfigParam{Search: "blur", DataId: "search.*.yaml", Group: "SEARCH", PageSize: 1, PageNo: 2})
	if err != nil {
		t.Fatalf("blur search: %v", err)
	}
	if page.TotalCount != 2 || page.PagesAvailable != 2 || page.PageNumber != 2 || len(page.PageItems) != 1 ||
		page.PageItems[0].DataId != "search.b.yaml" {
		t.Fatalf("blur search, page 2 of 1 item: %+v", page)
	}
	page, err = other.SearchConfig(vo.SearchConfigParam{Search: "blur", DataId: "search.*"})
	if err != nil || page.TotalCount != 1 || page.PageItems[0].Tenant != "dev" || !strings.HasPrefix(page.PageItems[0].Content, "dev") {
		t.Fatalf("the dev namespace's search: %+v, %v", page, err)
	}
}

// With auth on, a search needs read on the whole namespace: reader (who
// may read dev) finds dev's configuration; prodonly (nothing in dev) is
// refused, and the SDK reports it.
func TestConfigSearchAuth(t *testing.T) {
	d := startHerald(t, authConfig(t))
	mustPublish(t, configAs(t, d, "dev", "writer", "pw-writer"), vo.ConfigParam{DataId: "search.auth", Group: "G", Content: "x"})
	page, err := configAs(t, d, "dev", "reader", "pw-reader").SearchConfig(vo.SearchConfigParam{Search: "accurate", Group: "G"})
	if chained() {
		if err == nil {
			t.Fatalf("search through an edge answered %+v; want the SDK's error", page)
		}
		return
	}
	if err != nil || page.TotalCount != 1 || page.PageItems[0].DataId != "search.auth" {
		t.Fatalf("reader's search of dev: %+v, %v", page, err)
	}
	if page, err := configAs(t, d, "dev", "prodonly", "pw-prodonly").SearchConfig(vo.SearchConfigParam{Search: "accurate", Group: "G"}); err == nil {
		t.Fatalf("prodonly searched dev: %+v", page)
	}
}
