package tracker

import (
	"context"
	"errors"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/route"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// ConfigStatusSource reports the live listeners of configurations (the
// Hub).
type ConfigStatusSource interface {
	Status(t fanout.Topic) fanout.TopicStatus
	ClientStatus(k fanout.Kind, ip string) []fanout.ClientSubscription
}

// The configuration push tracking endpoints (mounted when API.Config is
// set), parameters as the registry's: times epoch ms or RFC 3339, 400
// naming the parameter.
//
//	GET /v1/tracks/config         namespace, group, dataId, from, to, limit, cursor, changeCursor, order
//	GET /v1/tracks/config/client  ip, from, to, limit, cursor, order
//	GET /v1/tracks/config/event   namespace, group, dataId, id, limit
//	GET /v1/status/config         namespace, group, dataId
func (a *API) registerConfig(r route.IRoutes) {
	r.GET("/v1/tracks/config", a.configTracks)
	r.GET("/v1/tracks/config/client", a.configClient)
	r.GET("/v1/tracks/config/event", a.configEvent)
	r.GET("/v1/status/config", a.configStatus)
}

// configParams reads and validates namespace, group and dataId.
func configParams(c *app.RequestContext) (upstream.ConfigKey, error) {
	k := upstream.ConfigKey{Namespace: c.Query("namespace"), Group: c.Query("group"), DataID: c.Query("dataId")}.Normalize()
	if err := upstream.ValidateConfigKey(k); err != nil {
		var fe *upstream.FieldError
		if errors.As(err, &fe) {
			field := fe.Field
			if field == "tenant" {
				field = "namespace"
			}
			return k, badParam(field, fe.Problem)
		}
		return k, badParam("dataId", err.Error())
	}
	return k, nil
}

// configQuery is a query of key's topic stream (or change stream).
func configQuery(q Query, key upstream.ConfigKey, changes bool) Query {
	q.Kind, q.Namespace, q.Group, q.Service, q.Changes = KindConfig, key.Namespace, key.Group, key.DataID, changes
	return q
}

// configTracksJSON is the answer of /v1/tracks/config: a page of the
// configuration's change events, and a page of its timeline (changes and
// per-client events, one stream), each with its own cursor.
type configTracksJSON struct {
	Namespace   string   `json:"namespace"`
	Group       string   `json:"group"`
	DataID      string   `json:"dataId"`
	Changes     []Record `json:"changes"`
	ChangesNext string   `json:"changesNext"`
	Records     []Record `json:"records"`
	Next        string   `json:"next"`
}

func (a *API) configTracks(ctx context.Context, c *app.RequestContext) {
	key, err := configParams(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	q, err := a.window(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	cq := configQuery(q, key, true)
	cq.Cursor = c.Query("changeCursor")
	changes, err := a.findPage(ctx, cq, "changeCursor")
	if err != nil {
		a.fail(c, err)
		return
	}
	timeline, err := a.findPage(ctx, configQuery(q, key, false), "cursor")
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, configTracksJSON{Namespace: key.Namespace, Group: key.Group, DataID: key.DataID,
		Changes: changes.Records, ChangesNext: changes.Next, Records: timeline.Records, Next: timeline.Next})
}

// findPage is Find with a bad cursor reported as parameter param.
func (a *API) findPage(ctx context.Context, q Query, param string) (Page, error) {
	page, err := a.Store.Find(ctx, q)
	if errors.Is(err, ErrBadCursor) {
		return Page{}, badParam(param, "not a cursor this API issued")
	}
	if err != nil {
		return Page{}, err
	}
	if page.Records == nil {
		page.Records = []Record{}
	}
	return page, nil
}

func (a *API) configClient(ctx context.Context, c *app.RequestContext) {
	q, err := a.clientWindow(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	out, err := a.clientConfigs(ctx, q)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (a *API) configStatus(ctx context.Context, c *app.RequestContext) {
	key, err := configParams(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	now := a.now()
	st := a.Config.Status(fanout.ConfigTopic(key))
	if st.Value == nil {
		err = a.stateFromChanges(ctx, key, &st)
	}
	out := configStatusOf(key, st, now)
	if err == nil {
		err = a.addIdlePollers(ctx, &out, key, st, now)
	}
	if err != nil {
		out.IdleError = err.Error()
	}
	c.JSON(http.StatusOK, out)
}
