package tracker

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/route"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// StatusSource reports the live delivery state of a topic (the Hub).
type StatusSource interface {
	Status(t fanout.Topic) fanout.TopicStatus
}

// API serves the tracker's HTTP endpoints:
//
//	GET /v1/tracks/service  namespace, group, service, from, to, limit, cursor, order
//	GET /v1/tracks/client   ip, from, to, limit, cursor, order
//	GET /v1/status/service  namespace, group, service
//
// and, with Config set, the configuration endpoints (api_config.go).
// Times are epoch milliseconds or RFC 3339. Invalid parameters get 400
// with {"error": "...", "param": "<name>"}.
type API struct {
	Store  Store
	Status StatusSource
	// Config, when set, mounts the configuration endpoints
	// (api_config.go).
	Config    ConfigStatusSource
	MaxWindow time.Duration // longest from..to span; default 24h
	Now       func() time.Time
}

// Limits on queries.
const (
	defaultLimit  = 100
	maxLimit      = 1000
	defaultWindow = time.Hour
)

// Register mounts the endpoints on r.
func (a *API) Register(r route.IRoutes) {
	r.GET("/v1/tracks/service", a.tracksByService)
	r.GET("/v1/tracks/client", a.tracksByClient)
	r.GET("/v1/status/service", a.serviceStatus)
	if a.Config != nil {
		a.registerConfig(r)
	}
}

// paramError is a 400 naming the parameter.
type paramError struct {
	Param string `json:"param"`
	Msg   string `json:"error"`
}

func (e *paramError) Error() string { return e.Param + ": " + e.Msg }

func badParam(param, msg string) error { return &paramError{Param: param, Msg: param + ": " + msg} }

func (a *API) tracksByService(ctx context.Context, c *app.RequestContext) {
	key, err := serviceParams(c)
	if err == nil {
		var q Query
		if q, err = a.window(c); err == nil {
			q.Namespace, q.Group, q.Service = key.Namespace, key.Group, key.Name
			a.find(ctx, c, q)
			return
		}
	}
	a.fail(c, err)
}

func (a *API) tracksByClient(ctx context.Context, c *app.RequestContext) {
	q, err := a.clientWindow(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	a.find(ctx, c, q)
}

// clientWindow is the query of a by-client request: its ip (required)
// and time window.
func (a *API) clientWindow(c *app.RequestContext) (Query, error) {
	ip := c.Query("ip")
	if net.ParseIP(ip) == nil {
		return Query{}, badParam("ip", "must be an IP address")
	}
	q, err := a.window(c)
	q.ClientIP = ip
	return q, err
}

func (a *API) find(ctx context.Context, c *app.RequestContext, q Query) {
	page, err := a.Store.Find(ctx, q)
	if errors.Is(err, ErrBadCursor) {
		err = badParam("cursor", "not a cursor this API issued")
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	if page.Records == nil {
		page.Records = []Record{}
	}
	c.JSON(http.StatusOK, page)
}

// fail answers 400 for parameter errors and 503 for store failures.
func (a *API) fail(c *app.RequestContext, err error) {
	var pe *paramError
	if errors.As(err, &pe) {
		c.JSON(http.StatusBadRequest, pe)
		return
	}
	c.JSON(http.StatusServiceUnavailable, map[string]string{"error": "track store unavailable: " + err.Error()})
}

// serviceParams reads and validates namespace, group and service.
func serviceParams(c *app.RequestContext) (upstream.ServiceKey, error) {
	k := upstream.ServiceKey{Namespace: c.Query("namespace"), Group: c.Query("group"), Name: c.Query("service")}.Normalize()
	if err := upstream.ValidateKey(k); err != nil {
		var fe *upstream.FieldError
		if errors.As(err, &fe) {
			return k, badParam(apiParam(fe.Field), fe.Problem)
		}
		return k, badParam("service", err.Error())
	}
	return k, nil
}

// apiParam maps a registry field name to the API's parameter name.
func apiParam(field string) string {
	switch field {
	case "serviceName":
		return "service"
	case "groupName":
		return "group"
	}
	return field
}

// window reads from, to, limit, cursor and order.
func (a *API) window(c *app.RequestContext) (Query, error) {
	now := a.now()
	to, err := timeParam(c, "to", now)
	if err != nil {
		return Query{}, err
	}
	from, err := timeParam(c, "from", to.Add(-defaultWindow))
	if err != nil {
		return Query{}, err
	}
	maxWin := a.MaxWindow
	if maxWin <= 0 {
		maxWin = 24 * time.Hour
	}
	switch {
	case from.After(to):
		return Query{}, badParam("from", "must not be after to")
	case to.Sub(from) > maxWin:
		return Query{}, badParam("from", "window longer than "+maxWin.String())
	}
	q := Query{From: from, To: to, Limit: defaultLimit, Cursor: c.Query("cursor")}
	if s := c.Query("limit"); s != "" {
		if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit < 1 || q.Limit > maxLimit {
			return Query{}, badParam("limit", "must be an integer from 1 to "+strconv.Itoa(maxLimit))
		}
	}
	switch c.Query("order") {
	case "", "newest":
	case "oldest":
		q.Oldest = true
	default:
		return Query{}, badParam("order", `must be "newest" or "oldest"`)
	}
	return q, nil
}

// timeParam parses epoch milliseconds or RFC 3339; absent gives def.
func timeParam(c *app.RequestContext, name string, def time.Time) (time.Time, error) {
	s := c.Query(name)
	if s == "" {
		return def, nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms >= 0 {
		return time.UnixMilli(ms), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, badParam(name, "must be epoch milliseconds or RFC 3339")
	}
	return t, nil
}

func (a *API) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}
