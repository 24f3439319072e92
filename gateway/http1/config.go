package http1

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/cloudwego/hertz/pkg/route"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

// The Nacos 1.x config API (NACOS_PROTOCOL.md B.5), served from the same
// ConfigStore and Hub as the gRPC Config* requests (gateway/config.go) and
// with their semantics: beta content by client IP, an absent config has
// md5 "" (a client holding nothing is in sync with it), tags refused. Long
// polling is longpoll.go, history history.go, search search.go, the
// listener queries listeners.go.

// configRoutes registers the /v1/cs endpoints (credentials checked as for
// /v1/ns).
func (s *Server) configRoutes(g *route.RouterGroup) {
	g.GET("/cs/configs", s.handle(s.getConfig, getConfigs))
	g.POST("/cs/configs", s.handle(s.publishConfig, writeConfig))
	g.DELETE("/cs/configs", s.handle(s.removeConfig, writeConfig))
	g.POST("/cs/configs/listener", s.handle(s.longPoll, listenConfigs))
	g.GET("/cs/configs/listener", s.handle(s.configListeners, readConfig))
	g.GET("/cs/listener", s.handle(s.clientListens, readListens))
	g.GET("/cs/history", s.handle(s.history, readConfig))
}

// Content types of config answers, as the reference server's FileTypeEnum.
const (
	textUTF8 = "text/plain;charset=UTF-8"
	jsonUTF8 = "application/json;charset=UTF-8"
)

// contentTypeOf is the Content-Type a config of type typ is served with.
func contentTypeOf(typ string) string {
	switch strings.ToLower(typ) {
	case "json":
		return jsonUTF8
	case "xml":
		return "application/xml;charset=UTF-8"
	case "html", "htm":
		return "text/html;charset=UTF-8"
	}
	return textUTF8
}

// configStore is the store the /v1/cs endpoints are served from; without
// one they are answered 501.
func (s *Server) configStore() (upstream.ConfigStore, error) {
	if s.opts.Config == nil {
		return nil, &httpError{status: http.StatusNotImplemented, msg: "this gateway serves no configuration\n"}
	}
	return s.opts.Config, nil
}

// configRequest is the store a /v1/cs request is served from and the key
// it names.
func (s *Server) configRequest(r *request) (upstream.ConfigStore, upstream.ConfigKey, error) {
	store, err := s.configStore()
	if err != nil {
		return nil, upstream.ConfigKey{}, err
	}
	key, err := r.p.configKey()
	return store, key, err
}

// configKey reads dataId (required), group (DEFAULT_GROUP) and tenant
// (public) into a normalised, validated key.
func (p params) configKey() (upstream.ConfigKey, error) {
	dataID, err := p.required("dataId")
	if err != nil {
		return upstream.ConfigKey{}, err
	}
	k := upstream.ConfigKey{Namespace: p.get("tenant"), Group: p.get("group"), DataID: dataID}.Normalize()
	if err := upstream.ValidateConfigKey(k); err != nil {
		return k, fromRegistry(err)
	}
	return k, nil
}

// fromConfig maps a config store error: bad input 400, what the store
// cannot do 501, anything else (a CAS conflict too, as Nacos and the gRPC
// wire answer it) 500 with the message.
func fromConfig(err error) error {
	switch {
	case errors.Is(err, upstream.ErrNotSupported):
		return &httpError{status: http.StatusNotImplemented, msg: err.Error() + "\n"}
	}
	return fromRegistry(err)
}

// noCache adds the headers the reference server disables caching with.
func noCache(r *reply) {
	r.header("Pragma", "no-cache").header("Expires", time.Unix(0, 0).UTC().Format(http.TimeFormat)).
		header("Cache-Control", "no-cache,no-store")
}

// getConfig serves GET /nacos/v1/cs/configs: the raw content the client's
// IP is served (its beta when it is a beta IP), or 404 "config data not
// exist". The tag parameter is ignored, as by the gRPC query.
func (s *Server) getConfig(ctx context.Context, r *request) (any, error) {
	if blur, ok := r.p.searching(); ok {
		return s.searchConfigs(ctx, r, blur)
	}
	store, key, err := s.configRequest(r)
	if err != nil {
		return nil, err
	}
	st, err := store.GetConfig(ctx, key)
	if err != nil {
		return nil, fromConfig(err)
	}
	item, beta := st.For(r.peerIP)
	if item == nil {
		return &reply{status: http.StatusNotFound, contentType: textUTF8, body: []byte("config data not exist\n")}, nil
	}
	s.hub.Served("http:"+r.peerIP, fanout.ClientInfo{IP: r.peerIP, Version: r.header("Client-Version"), App: r.header("Client-AppName")},
		fanout.ConfigTopic(key), r.p.get("tenant"), fanout.ConfigSnapshot(st), item.Md5, len(item.Content))
	rep := &reply{status: http.StatusOK, contentType: contentTypeOf(st.Config.Type), body: []byte(item.Content)}
	rep.header("Config-Type", st.Config.Type).header("Content-MD5", item.Md5).
		header("Last-Modified", time.UnixMilli(item.LastModified).UTC().Format(http.TimeFormat))
	noCache(rep)
	if item.EncryptedDataKey != "" {
		rep.header("Encrypted-Data-Key", item.EncryptedDataKey)
	}
	if beta {
		rep.header("isBeta", "true")
	}
	return rep, nil
}

// publishConfig serves POST /nacos/v1/cs/configs: content exactly as sent
// (never trimmed), the optional fields by their Nacos names, betaIps and
// casMd5 from their headers (as Nacos) or parameters. Answers true.
func (s *Server) publishConfig(ctx context.Context, r *request) (any, error) {
	store, key, err := s.configRequest(r)
	if err != nil {
		return nil, err
	}
	field := func(name string) string {
		if name == "betaIps" {
			return r.headerOrParam(name)
		}
		return r.p.get(name)
	}
	pub, err := upstream.ConfigPublishOf(key, r.p["content"], r.headerOrParam("casMd5"), field, r.peerIP)
	if err != nil {
		return nil, fromRegistry(err)
	}
	if r.user != "" { // with auth on, the publisher is who logged in
		pub.SrcUser = r.user
	} else if pub.SrcUser == "" {
		pub.SrcUser = r.p.get("username")
	}
	if _, err := store.PublishConfig(ctx, pub); err != nil {
		return nil, fromConfig(err)
	}
	return trueReply(), nil
}

// removeConfig serves DELETE /nacos/v1/cs/configs: the configuration and
// its beta go, or with beta=true only the beta (answered as Nacos's stop
// beta, a RestResult).
func (s *Server) removeConfig(ctx context.Context, r *request) (any, error) {
	store, key, err := s.configRequest(r)
	if err != nil {
		return nil, err
	}
	beta, err := r.p.boolean("beta", false)
	if err != nil {
		return nil, err
	}
	if err := upstream.RefuseConfigTag(r.p.get("tag")); err != nil {
		return nil, fromRegistry(err)
	}
	user := r.user // with auth on, who logged in
	if user == "" {
		user = r.p.get("username")
	}
	rm := upstream.ConfigRemove{Key: key, Beta: beta, SrcIP: r.peerIP, SrcUser: user}
	if _, err := store.RemoveConfig(ctx, rm); err != nil {
		return nil, fromConfig(err)
	}
	if beta {
		return restResult{Code: http.StatusOK, Message: "stop beta ok", Data: true}, nil
	}
	return trueReply(), nil
}

// restResult is Nacos's RestResult body.
type restResult struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data"`
}

// trueReply is the body `true` Nacos answers a publish or remove with.
func trueReply() *reply {
	return &reply{status: http.StatusOK, contentType: jsonUTF8, body: []byte("true")}
}

// headerOrParam is the trimmed header name, else the parameter name.
func (r *request) headerOrParam(name string) string {
	if v := strings.TrimSpace(r.header(name)); v != "" {
		return v
	}
	return r.p.get(name)
}
