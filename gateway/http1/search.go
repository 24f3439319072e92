package http1

import (
	"context"
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
var searchPaging = paging{size: 10, max: 500}

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
	pageNo, size, err := searchPaging.of(r.p)
	if err != nil {
		return nil, err
	}
	q := upstream.ConfigSearch{
		Namespace: r.p.get("tenant"), DataID: r.p.get("dataId"), Group: r.p.get("group"), AppName: r.p.get("appName"),
		Blur: blur, PageNo: pageNo, PageSize: size,
	}
	if blur {
		q.Content = r.p.get("config_detail")
	}
	total, states, err := store.SearchConfigs(ctx, q)
	if err != nil {
		return nil, fromConfig(err)
	}
	out := newPage[configInfo](total, pageNo, size, len(states))
	for _, st := range states {
		c := st.Config
		out.PageItems = append(out.PageItems, configInfo{
			ID: strconv.FormatInt(st.Revision, 10), DataID: c.Key.DataID, Group: c.Key.Group, Content: c.Content,
			Md5: c.Md5, EncryptedDataKey: c.EncryptedDataKey, Tenant: nacosTenant(c.Key.Namespace), AppName: c.AppName, Type: c.Type,
		})
	}
	return out, nil
}
