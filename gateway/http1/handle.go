package http1

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
)

// request is what a handler needs of an HTTP request.
type request struct {
	p      params
	header func(string) string
	peerIP string
	user   string // who sent it, when auth is on
}

// handlerFunc answers a request with a body: a string is sent as
// text/plain, anything else as JSON. An error is answered by statusOf.
type handlerFunc func(ctx context.Context, r *request) (any, error)

// routes registers every endpoint under /nacos.
func (s *Server) routes() {
	g := s.h.Group("/nacos/v1")
	g.POST("/ns/instance", s.handle(s.register, writeService))
	g.PUT("/ns/instance", s.handle(s.register, writeService))
	g.DELETE("/ns/instance", s.handle(s.deregister, writeService))
	g.GET("/ns/instance", s.handle(s.instanceDetail, readService))
	g.PUT("/ns/instance/beat", s.handle(s.beat, writeService))
	g.GET("/ns/instance/list", s.handle(s.list, readService))
	g.GET("/ns/service/list", s.handle(s.serviceList, readServices))
	g.GET("/ns/operator/metrics", s.handle(s.metrics, nil))
	g.POST("/auth/users/login", s.handle(s.login, nil))
	g.POST("/auth/login", s.handle(s.login, nil))
	s.configRoutes(g)
}

// handle adapts a handlerFunc to Hertz: parameters parsed from the query
// and form body, credentials and permissions checked by g (guard.go),
// errors mapped to their status. Nothing a client sends panics the server.
func (s *Server) handle(fn handlerFunc, g *guard) app.HandlerFunc {
	return func(ctx context.Context, c *app.RequestContext) {
		if obs := s.opts.Requests; obs != nil {
			start := time.Now()
			defer func() {
				obs.Observe("http", string(c.Method())+" "+c.FullPath(), time.Since(start), c.Response.StatusCode())
			}()
		}
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("http handler panic", "path", string(c.Path()), "panic", v)
				c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("caused: internal error;"))
			}
		}()
		body, err := s.serve(ctx, c, fn, g)
		if err != nil {
			status, msg := statusOf(err)
			if status == http.StatusInternalServerError {
				s.log.Warn("http request failed", "path", string(c.Path()), "err", err)
			}
			c.Data(status, "text/plain; charset=utf-8", []byte(msg))
			return
		}
		if rep, ok := body.(*reply); ok {
			rep.send(c)
			return
		}
		if text, ok := body.(string); ok {
			c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(text))
			return
		}
		b, err := json.Marshal(body)
		if err != nil {
			c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("caused: "+err.Error()+";"))
			return
		}
		c.Data(http.StatusOK, "application/json; charset=utf-8", b)
	}
}

// serve parses the request and runs fn.
func (s *Server) serve(ctx context.Context, c *app.RequestContext, fn handlerFunc, g *guard) (any, error) {
	p, err := parseParams(c.Request.URI().QueryString(), string(c.Request.Header.ContentType()), c.Request.Body())
	if err != nil {
		return nil, err
	}
	r := &request{p: p, header: func(k string) string { return string(c.GetHeader(k)) }}
	if host, _, err := net.SplitHostPort(c.RemoteAddr().String()); err == nil {
		r.peerIP = host
	}
	if r.user, err = s.authorize(g, p, r.header, s.opts.Now()); err != nil {
		return nil, err
	}
	return fn(ctx, r)
}
