package http1

import (
	"context"
	"math"
	"strconv"

	"github.com/herald-gateway/herald/gateway/auth"
	"github.com/herald-gateway/herald/upstream"
)

// GET /nacos/v1/cs/configs?search=accurate|blur, as Nacos's
// ConfigController.searchConfig serves it and nacos-sdk-go's SearchConfig
// reads it: one page of a namespace's configurations (tenant), found by
// dataId, group and appName, exact (accurate) or with '*' standing for
// any run of characters (blur, which also reads config_detail as a
// substring of the content), in Nacos's page shape with content and md5.
// With auth on, it needs read on the whole namespace.

// Paging of a search, as the SDK asks it: pageNo 1, pageSize 10, at most
// 500 (Nacos's page limit).
const (
	searchPageSize    = 10
	maxSearchPageSize = 500
)

// searchPage is Nacos's Page of ConfigInfo.
type searchPage struct {
	TotalCount     int          `json:"totalCount"`
	PageNumber     int          `json:"pageNumber"`
	PagesAvailable int          `json:"pagesAvailable"`
	PageItems      []configInfo `json:"pageItems"`
}

// configInfo is Nacos's ConfigInfo. Its id (a string, as Nacos writes
// ids) is the configuration's revision in this store.
type configInfo struct {
	ID               string `json:"id"`
	DataID           string `json:"dataId"`
	Group            string `json:"group"`
	Content          string `json:"content"`
	Md5              string `json:"md5"`
	EncryptedDataKey string `json:"encryptedDataKey"`
	Tenant           string `json:"tenant"`
	AppName          string `json:"appName"`
	Type             string `json:"type"`
}

// searching reports whether a GET /v1/cs/configs is a search.
func (p params) searching() (blur, ok bool) {
	switch p.get("search") {
	case "accurate":
		return false, true
	case "blur":
		return true, true
	}
	return false, false
}

// searchResource is what a search reads: every configuration of its
// namespace.
func searchResource(p params) []auth.Resource {
	return []auth.Resource{{Namespace: p.get("tenant"), Group: "*", Kind: auth.KindConfig, Name: "*"}}
}

// searchConfigs serves a search.
func (s *Server) searchConfigs(ctx context.Context, r *request, blur bool) (any, error) {
	store, err := s.configStore()
	if err != nil {
		return nil, err
	}
	pageNo, err := r.p.integer("pageNo", 1, 1, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	pageSize, err := r.p.integer("pageSize", searchPageSize, 1, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	q := upstream.ConfigSearch{
		Namespace: r.p.get("tenant"), DataID: r.p.get("dataId"), Group: r.p.get("group"), AppName: r.p.get("appName"),
		Blur: blur, PageNo: int(pageNo), PageSize: int(min(pageSize, maxSearchPageSize)),
	}
	if blur {
		q.Content = r.p.get("config_detail")
	}
	total, states, err := store.SearchConfigs(ctx, q)
	if err != nil {
		return nil, fromConfig(err)
	}
	page := searchPage{TotalCount: total, PageNumber: q.PageNo, PagesAvailable: (total + q.PageSize - 1) / q.PageSize,
		PageItems: make([]configInfo, 0, len(states))}
	for _, st := range states {
		c := st.Config
		tenant := c.Key.Namespace
		if tenant == upstream.PublicNamespace {
			tenant = "" // as Nacos stores the public namespace
		}
		page.PageItems = append(page.PageItems, configInfo{
			ID: strconv.FormatInt(st.Revision, 10), DataID: c.Key.DataID, Group: c.Key.Group, Content: c.Content,
			Md5: c.Md5, EncryptedDataKey: c.EncryptedDataKey, Tenant: tenant, AppName: c.AppName, Type: c.Type,
		})
	}
	return page, nil
}
