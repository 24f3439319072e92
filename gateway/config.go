package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/internal/nacospb"
	"github.com/herald-gateway/herald/internal/nacoswire"
	"github.com/herald-gateway/herald/upstream"
)

// The Nacos 2.x config requests (NACOS_PROTOCOL.md A.9). Failures of a
// config request are answered with its own response type (resultCode 500
// and the errorCode), as the reference server does, so the Go SDK reports
// them instead of retrying; only an undecodable body is an ErrorResponse.

// maxListenKeys is the most keys one batch listen may name, as Nacos.
const maxListenKeys = 10000

// configKey is the normalised, validated key a config request names.
func configKey(r nacoswire.ConfigRequest) (upstream.ConfigKey, error) {
	k := upstream.ConfigKey{Namespace: r.Tenant, Group: r.Group, DataID: r.DataID}.Normalize()
	if err := upstream.ValidateConfigKey(k); err != nil {
		return k, err
	}
	return k, nil
}

// configFailure is the typed failure answer typ to req for err: errorCode
// 400 for bad input, 500 otherwise.
func configFailure(typ string, req nacoswire.Request, err error) (*nacospb.Payload, error) {
	code := nacoswire.ErrServer
	if errors.Is(err, upstream.ErrInvalid) || errors.Is(err, fanout.ErrTooManySubscriptions) {
		code = nacoswire.ErrInvalidParam
	}
	resp := nacoswire.Failure(code, err.Error())
	resp.RequestID = req.RequestID
	return nacoswire.NewPayload(typ, resp)
}

// configStore is the store config requests are served from; without one
// they are answered errorCode 501.
func (s *Server) configStore() (upstream.ConfigStore, error) {
	if s.opts.Config == nil {
		return nil, errorf(nacoswire.ErrNotImplemented, "this gateway serves no configuration")
	}
	return s.opts.Config, nil
}

func (s *Server) configQuery(ctx context.Context, c *conn, p *nacospb.Payload) (*nacospb.Payload, error) {
	const typ = nacoswire.TypeConfigQueryResponse
	var req nacoswire.ConfigQueryRequest
	if err := decodeBody(p, &req); err != nil {
		return nil, err
	}
	store, err := s.configStore()
	if err != nil {
		return nil, err
	}
	key, err := configKey(req.ConfigRequest)
	if err != nil {
		return configFailure(typ, req.Request, err)
	}
	st, err := store.GetConfig(ctx, key)
	if err != nil {
		return configFailure(typ, req.Request, err)
	}
	item, beta := st.For(c.Client().IP)
	if item == nil {
		resp := nacoswire.Failure(nacoswire.ErrConfigNotFound, "config data not exist")
		resp.RequestID = req.RequestID
		return nacoswire.NewPayload(typ, nacoswire.ConfigQueryResponse{Response: resp})
	}
	s.hub.Served(c.id, c.Client(), fanout.ConfigTopic(key), req.Tenant, fanout.ConfigSnapshot(st), item.Md5, len(item.Content))
	return nacoswire.NewPayload(typ, nacoswire.ConfigQueryResponse{
		Response: answer(req.Request), Content: item.Content, Md5: item.Md5, LastModified: item.LastModified,
		ContentType: st.Config.Type, EncryptedDataKey: item.EncryptedDataKey, Beta: beta,
	})
}

func (s *Server) configPublish(ctx context.Context, c *conn, p *nacospb.Payload) (*nacospb.Payload, error) {
	const typ = nacoswire.TypeConfigPublishResponse
	var req nacoswire.ConfigPublishRequest
	if err := decodeBody(p, &req); err != nil {
		return nil, err
	}
	store, err := s.configStore()
	if err != nil {
		return nil, err
	}
	who := c.Client()
	pub, err := publishOf(req, who.IP)
	if who.User != "" { // with auth on, the publisher is who logged in
		pub.SrcUser = who.User
	}
	if err == nil {
		_, err = store.PublishConfig(ctx, pub)
	}
	if err != nil {
		return configFailure(typ, req.Request, err)
	}
	return nacoswire.NewPayload(typ, answer(req.Request))
}

// publishOf reads a publish request; additionMap carries the metadata.
func publishOf(req nacoswire.ConfigPublishRequest, clientIP string) (upstream.ConfigPublish, error) {
	key, err := configKey(req.ConfigRequest)
	if err != nil {
		return upstream.ConfigPublish{}, err
	}
	field := func(name string) string { return req.AdditionMap[name] }
	return upstream.ConfigPublishOf(key, req.Content, req.CasMd5, field, clientIP)
}

func (s *Server) configRemove(ctx context.Context, c *conn, p *nacospb.Payload) (*nacospb.Payload, error) {
	const typ = nacoswire.TypeConfigRemoveResponse
	var req nacoswire.ConfigRemoveRequest
	if err := decodeBody(p, &req); err != nil {
		return nil, err
	}
	store, err := s.configStore()
	if err != nil {
		return nil, err
	}
	key, err := configKey(req.ConfigRequest)
	if err == nil {
		err = upstream.RefuseConfigTag(req.Tag)
	}
	if err == nil {
		_, err = store.RemoveConfig(ctx, upstream.ConfigRemove{Key: key, SrcIP: c.Client().IP, SrcUser: c.Client().User})
	}
	if err != nil {
		return configFailure(typ, req.Request, err)
	}
	return nacoswire.NewPayload(typ, answer(req.Request))
}

// configListen serves ConfigBatchListenRequest: with listen true every key
// is subscribed (its pushes carry the tenant as the client sent it) and
// reported changed when the client's md5 is not the md5 of what it would
// be served (a config that does not exist has md5 "", so a client holding
// nothing is in sync with it); with listen false the keys are unsubscribed.
// The md5 each listener holds is recorded for the listener queries.
func (s *Server) configListen(ctx context.Context, c *conn, p *nacospb.Payload) (*nacospb.Payload, error) {
	const typ = nacoswire.TypeConfigChangeBatchListenResponse
	var req nacoswire.ConfigBatchListenRequest
	if err := decodeBody(p, &req); err != nil {
		return nil, err
	}
	if _, err := s.configStore(); err != nil {
		return nil, err
	}
	keys, err := listenKeys(req.ConfigListenContexts)
	if err != nil {
		return configFailure(typ, req.Request, err)
	}
	changed, err := s.listen(ctx, c, req.Listen, req.ConfigListenContexts, keys)
	if err != nil {
		return configFailure(typ, req.Request, err)
	}
	return nacoswire.NewPayload(typ, nacoswire.ConfigChangeBatchListenResponse{
		Response: answer(req.Request), ChangedConfigs: changed,
	})
}

// listenKeys validates a batch listen's contexts.
func listenKeys(ctxs []nacoswire.ConfigListenContext) ([]upstream.ConfigKey, error) {
	if len(ctxs) > maxListenKeys {
		return nil, fmt.Errorf("configListenContexts: at most %d keys in one listen, got %d: %w", maxListenKeys, len(ctxs), upstream.ErrInvalid)
	}
	keys := make([]upstream.ConfigKey, len(ctxs))
	for i, lc := range ctxs {
		k, err := configKey(nacoswire.ConfigRequest{DataID: lc.DataID, Group: lc.Group, Tenant: lc.Tenant})
		if err != nil {
			return nil, fmt.Errorf("configListenContexts[%d]: %w", i, err)
		}
		keys[i] = k
	}
	return keys, nil
}

// listen applies one batch listen to the Hub, serialised with the
// connection's release so no listener outlives a closed connection.
func (s *Server) listen(ctx context.Context, c *conn, on bool, ctxs []nacoswire.ConfigListenContext, keys []upstream.ConfigKey) ([]nacoswire.ConfigContext, error) {
	c.regMu.Lock()
	defer c.regMu.Unlock()
	if _, err := c.session(); err != nil {
		return nil, errUnregisteredConn()
	}
	ip := c.Client().IP
	changed := []nacoswire.ConfigContext{}
	for i, key := range keys {
		lc, topic := ctxs[i], fanout.ConfigTopic(key)
		if !on {
			s.hub.Unsubscribe(c.id, topic, lc.Tenant)
			continue
		}
		snap, err := s.hub.Subscribe(ctx, c, topic, lc.Tenant)
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", key, err)
		}
		s.hub.Holds(c.id, topic, lc.Tenant, lc.Md5)
		if lc.Md5 != snap.ConfigState().Md5For(ip) {
			changed = append(changed, nacoswire.ConfigContext{DataID: lc.DataID, Group: lc.Group, Tenant: lc.Tenant})
		}
	}
	return changed, nil
}
