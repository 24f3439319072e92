package tracker

import (
	"context"
	"sort"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// Bounds of a by-IP config query: the client IP stream holds naming and
// config records side by side, so a page of config records reads at most
// kindScanPages pages of the stream (its cursor then continues where the
// scan stopped); each configuration lists its changesPerConfig newest
// change events in the window, for at most changesForConfigs of them.
const (
	kindScanPages     = 8
	changesPerConfig  = 20
	changesForConfigs = 100
)

// clientConfigJSON is one configuration a client listens to (a live
// listener, one row per connection) or listened to in the window (from
// its records), with the md5 it holds and the configuration's changes.
type clientConfigJSON struct {
	Namespace string `json:"namespace"`
	Group     string `json:"group"`
	DataID    string `json:"dataId"`
	Listening bool   `json:"listening"` // a listener now; else known from records
	listenerJSON
	Changes []Record `json:"changes"`
}

// clientConfigsJSON is the answer of /v1/tracks/config/client.
type clientConfigsJSON struct {
	IP      string             `json:"ip"`
	Configs []clientConfigJSON `json:"configs"`
	Records []Record           `json:"records"` // the client's config records
	Next    string             `json:"next"`
}

func (a *API) clientConfigs(ctx context.Context, q Query) (clientConfigsJSON, error) {
	page, err := a.findKind(ctx, q, KindConfig)
	if err != nil {
		return clientConfigsJSON{}, err
	}
	out := clientConfigsJSON{IP: q.ClientIP, Records: page.Records, Next: page.Next, Configs: []clientConfigJSON{}}
	now := a.now()
	live := map[upstream.ConfigKey]bool{}
	for _, s := range a.Config.ClientStatus(fanout.KindConfig, q.ClientIP) {
		state, _ := s.Value.(upstream.ConfigState)
		key := s.Topic.ConfigKey()
		live[key] = true
		out.Configs = append(out.Configs, clientConfigJSON{Namespace: key.Namespace, Group: key.Group, DataID: key.DataID,
			Listening: true, listenerJSON: toListenerJSON(s.SubscriberStatus, state, state.Changed, now)})
	}
	out.Configs = append(out.Configs, heldFromRecords(page.Records, live)...)
	sort.SliceStable(out.Configs, func(i, j int) bool {
		a, b := out.Configs[i], out.Configs[j]
		if a.Namespace+"/"+a.Group+"/"+a.DataID != b.Namespace+"/"+b.Group+"/"+b.DataID {
			return a.Namespace+"/"+a.Group+"/"+a.DataID < b.Namespace+"/"+b.Group+"/"+b.DataID
		}
		return a.ConnID < b.ConnID
	})
	for i := range out.Configs {
		cfg := &out.Configs[i]
		cfg.Changes = []Record{}
		if i >= changesForConfigs {
			continue
		}
		key := upstream.ConfigKey{Namespace: cfg.Namespace, Group: cfg.Group, DataID: cfg.DataID}
		cq := configQuery(Query{From: q.From, To: q.To, Limit: changesPerConfig}, key, true)
		changes, err := a.findPage(ctx, cq, "cursor")
		if err != nil {
			return clientConfigsJSON{}, err
		}
		cfg.Changes = changes.Records
	}
	return out, nil
}

// heldFromRecords is, for each configuration of recs not listened to now,
// the md5 the client last said it holds (a reported record) or was last
// served, newest record first.
func heldFromRecords(recs []Record, live map[upstream.ConfigKey]bool) []clientConfigJSON {
	seen := map[upstream.ConfigKey]int{}
	var out []clientConfigJSON
	for _, r := range recs {
		key := upstream.ConfigKey{Namespace: r.Namespace, Group: r.Group, DataID: r.Service}
		if live[key] || r.Kind != KindConfig {
			continue
		}
		i, ok := seen[key]
		if !ok {
			i = len(out)
			seen[key] = i
			out = append(out, clientConfigJSON{Namespace: key.Namespace, Group: key.Group, DataID: key.DataID})
		}
		c := &out[i]
		if c.HeldSince == 0 && (r.Result == "reported" || r.Result == "served") {
			c.ConnID, c.ClientIP, c.ClientVersion, c.ClientApp = r.ConnID, r.ClientIP, r.ClientVersion, r.ClientApp
			c.Md5, c.LatestMd5, c.HeldSince, c.UpToDate = r.Md5, r.LatestMd5, r.At, r.Md5 == r.LatestMd5
		}
	}
	return out
}

// findKind is one page of q's records of kind k: it reads up to
// kindScanPages pages of the stream, and its Next continues after the
// last record it kept, or the last one it read when it stopped short.
func (a *API) findKind(ctx context.Context, q Query, k string) (Page, error) {
	limit := q.limit()
	out := Page{Records: []Record{}}
	for range kindScanPages {
		page, err := a.findPage(ctx, q, "cursor")
		if err != nil {
			return Page{}, err
		}
		for _, r := range page.Records {
			if r.Kind != k {
				continue
			}
			out.Records = append(out.Records, r)
			if len(out.Records) == limit {
				out.Next = r.ID
				if r.ID == page.Records[len(page.Records)-1].ID {
					out.Next = page.Next // the last of the stream's page: there may be no more
				}
				return out, nil
			}
		}
		if page.Next == "" {
			out.Next = ""
			return out, nil
		}
		q.Cursor, out.Next = page.Next, page.Next
	}
	return out, nil
}
