package http1

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/herald-gateway/herald/upstream"
)

// GET /nacos/v1/cs/history, as Nacos's HistoryController serves it (read
// from alibaba/nacos HistoryController, ConfigHistoryInfo and the
// his_config_info queries): search=accurate lists a key's publishes and
// removes newest first, in Nacos's page shape, without content or md5 (the
// reference list query does not select them); nid=<id> is one entry with
// everything. Ids are strings (Nacos serialises them with
// ToStringSerializer), times ISO 8601 in UTC with milliseconds (Jackson's
// format for the Timestamp columns), opType I/U/D.

// Paging of the history list, as Nacos: pageNo 1, pageSize 100, at most 500.
var historyPaging = paging{size: 100, max: 500}

// historyInfo is Nacos's ConfigHistoryInfo. Md5, Content and
// EncryptedDataKey are null in a list.
type historyInfo struct {
	ID               string  `json:"id"`
	LastID           int64   `json:"lastId"`
	DataID           string  `json:"dataId"`
	Group            string  `json:"group"`
	Tenant           string  `json:"tenant"`
	AppName          string  `json:"appName"`
	Md5              *string `json:"md5"`
	Content          *string `json:"content"`
	SrcIP            string  `json:"srcIp"`
	SrcUser          string  `json:"srcUser"`
	OpType           string  `json:"opType"`
	PublishType      string  `json:"publishType"`
	GrayName         string  `json:"grayName"`
	ExtInfo          string  `json:"extInfo"`
	CreatedTime      string  `json:"createdTime"`
	LastModifiedTime string  `json:"lastModifiedTime"`
	EncryptedDataKey *string `json:"encryptedDataKey"`
}

// history serves GET /nacos/v1/cs/history.
func (s *Server) history(ctx context.Context, r *request) (any, error) {
	store, key, err := s.configRequest(r)
	if err != nil {
		return nil, err
	}
	if r.p.get("search") == "accurate" {
		return historyList(ctx, store, key, r.p)
	}
	if _, err := r.p.required("nid"); err != nil {
		return nil, err
	}
	nid, err := r.p.integer("nid", 0, 1, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	e, ok, err := store.ConfigHistoryEntry(ctx, key, nid)
	if err != nil {
		return nil, fromConfig(err)
	}
	if !ok {
		return nil, notFound("history entry %d of %s not found\n", nid, key)
	}
	return historyInfoOf(key, e, true), nil
}

// historyList is one page of key's history.
func historyList(ctx context.Context, store upstream.ConfigStore, key upstream.ConfigKey, p params) (any, error) {
	pageNo, size, err := historyPaging.of(p)
	if err != nil {
		return nil, err
	}
	total, entries, err := store.ConfigHistory(ctx, key, pageNo, size)
	if err != nil {
		return nil, fromConfig(err)
	}
	out := newPage[historyInfo](total, pageNo, size, len(entries))
	for _, e := range entries {
		out.PageItems = append(out.PageItems, historyInfoOf(key, e, false))
	}
	return out, nil
}

// historyInfoOf renders entry e of key; full adds content, md5 and the
// encrypted data key.
func historyInfoOf(key upstream.ConfigKey, e upstream.HistoryEntry, full bool) historyInfo {
	at := time.UnixMilli(e.Time).UTC().Format("2006-01-02T15:04:05.000+00:00")
	h := historyInfo{
		ID: strconv.FormatInt(e.ID, 10), LastID: -1, DataID: key.DataID, Group: key.Group, Tenant: nacosTenant(key.Namespace),
		AppName: e.AppName, SrcIP: e.SrcIP, SrcUser: e.SrcUser, OpType: string(e.Op),
		PublishType: "formal", CreatedTime: at, LastModifiedTime: at,
	}
	ext := map[string]string{}
	if e.Beta {
		h.PublishType, h.GrayName, ext["gray_name"] = "gray", "beta", "beta"
	} else if e.Type != "" {
		ext["type"] = e.Type
	}
	if e.SrcUser != "" {
		ext["src_user"] = e.SrcUser
	}
	if b, err := json.Marshal(ext); err == nil {
		h.ExtInfo = string(b)
	}
	if full {
		h.Md5, h.Content, h.EncryptedDataKey = &e.Md5, &e.Content, &e.EncryptedDataKey
	}
	return h
}
