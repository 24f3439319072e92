package tracker

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/herald-gateway/herald/upstream"
)

// changeLookupPages bounds the reads that look a change event up by id:
// its id names its millisecond, and the change stream is read from there.
const changeLookupPages = 4

// configEventJSON is one change event and what followed it on this
// gateway: the per-client events after it, up to the next change (or
// limit), oldest first, and their counts by result.
type configEventJSON struct {
	Change     Record         `json:"change"`
	NextChange *Record        `json:"nextChange"`
	Following  []Record       `json:"following"`
	Counts     map[string]int `json:"counts"`
	More       bool           `json:"more"` // following was cut at limit
}

func (a *API) configEvent(ctx context.Context, c *app.RequestContext) {
	key, err := configParams(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	id := c.Query("id")
	ms, ok := idMillis(id)
	if !ok {
		a.fail(c, badParam("id", "must be the id of a change event"))
		return
	}
	limit := defaultLimit
	if s := c.Query("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > maxLimit {
			a.fail(c, badParam("limit", "must be an integer from 1 to "+strconv.Itoa(maxLimit)))
			return
		}
	}
	out, found, err := a.changeEvent(ctx, key, id, ms, limit)
	switch {
	case err != nil:
		a.fail(c, err)
	case !found:
		c.JSON(http.StatusNotFound, map[string]string{"error": "no change event " + id + " of " + key.String(), "param": "id"})
	default:
		c.JSON(http.StatusOK, out)
	}
}

// idMillis is the millisecond a record id starts with ("<ms>-...").
func idMillis(id string) (int64, bool) {
	head, _, ok := strings.Cut(id, "-")
	if !ok {
		return 0, false
	}
	ms, err := strconv.ParseInt(head, 10, 64)
	return ms, err == nil && ms >= 0
}

func (a *API) changeEvent(ctx context.Context, key upstream.ConfigKey, id string, ms int64, limit int) (configEventJSON, bool, error) {
	change, found, err := a.lookupChange(ctx, key, id, ms)
	if err != nil || !found {
		return configEventJSON{}, found, err
	}
	out := configEventJSON{Change: change, Following: []Record{}, Counts: map[string]int{}}
	next, err := a.findPage(ctx, configQuery(Query{Oldest: true, Cursor: id, Limit: 1}, key, true), "id")
	if err != nil {
		return out, true, err
	}
	q := configQuery(Query{Oldest: true, From: time.UnixMilli(change.At), Limit: limit}, key, false)
	if len(next.Records) > 0 {
		out.NextChange = &next.Records[0]
		q.To = time.UnixMilli(out.NextChange.At)
	}
	page, err := a.findPage(ctx, q, "id")
	if err != nil {
		return out, true, err
	}
	for _, r := range page.Records {
		if r.IsChange() {
			continue // this change itself, or the next (given apart)
		}
		out.Following = append(out.Following, r)
		out.Counts[r.Result]++
	}
	out.More = page.Next != ""
	return out, true, nil
}

// lookupChange finds the change event id in key's change stream, reading
// from its millisecond on.
func (a *API) lookupChange(ctx context.Context, key upstream.ConfigKey, id string, ms int64) (Record, bool, error) {
	q := configQuery(Query{Oldest: true, From: time.UnixMilli(ms), To: time.UnixMilli(ms + packSpanMs), Limit: maxLimit}, key, true)
	for range changeLookupPages {
		page, err := a.findPage(ctx, q, "id")
		if err != nil {
			return Record{}, false, err
		}
		for _, r := range page.Records {
			if r.ID == id {
				return r, true, nil
			}
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	return Record{}, false, nil
}
