package http1

import (
	"errors"
	"strings"
	"time"

	"github.com/herald-gateway/herald/gateway/auth"
)

// guard is what a route asks of the caller: an action on the resources
// the request names. A nil guard leaves the route open (login, metrics).
type guard struct {
	act       auth.Action
	resources func(p params) ([]auth.Resource, error)
}

// The guards of the /v1/ns and /v1/cs routes.
var (
	readService   = &guard{auth.Read, serviceResource}
	writeService  = &guard{auth.Write, serviceResource}
	readServices  = &guard{auth.Read, serviceListResource}
	readConfig    = &guard{auth.Read, configResource}
	getConfigs    = &guard{auth.Read, getConfigsResource}
	writeConfig   = &guard{auth.Write, configResource}
	listenConfigs = &guard{auth.Read, listenResources}
	readListens   = &guard{auth.Read, clientListensResource}
)

func serviceResource(p params) ([]auth.Resource, error) {
	k, err := p.serviceKey()
	return []auth.Resource{{Namespace: k.Namespace, Group: k.Group, Kind: auth.KindNaming, Name: k.Name}}, err
}

func serviceListResource(p params) ([]auth.Resource, error) {
	return []auth.Resource{{Namespace: p.namespace(), Group: p.get("groupName"), Kind: auth.KindNaming, Name: "*"}}, nil
}

func configResource(p params) ([]auth.Resource, error) {
	k, err := p.configKey()
	return []auth.Resource{{Namespace: k.Namespace, Group: k.Group, Kind: auth.KindConfig, Name: k.DataID}}, err
}

// getConfigsResource is what GET /v1/cs/configs reads: one configuration,
// or with search= every configuration of the namespace.
func getConfigsResource(p params) ([]auth.Resource, error) {
	if _, ok := p.searching(); ok {
		return searchResource(p), nil
	}
	return configResource(p)
}

// listenResources are every key of a long poll: one refused refuses the
// poll, so a listener is never left silently without changes.
func listenResources(p params) ([]auth.Resource, error) {
	recs, err := parseListening(p[listeningParam])
	out := make([]auth.Resource, len(recs))
	for i, r := range recs {
		out[i] = auth.Resource{Namespace: r.key.Namespace, Group: r.key.Group, Kind: auth.KindConfig, Name: r.key.DataID}
	}
	return out, err
}

// clientListensResource is the namespace a listener query reads: tenant
// (public by default), or with all=true every namespace ("*").
func clientListensResource(p params) ([]auth.Resource, error) {
	ns := p.get("tenant")
	if all, err := p.boolean("all", false); err != nil {
		return nil, err
	} else if all {
		ns = "*"
	}
	return []auth.Resource{{Namespace: ns, Group: "*", Kind: auth.KindConfig, Name: "*"}}, nil
}

// authorize applies g to a request and returns the caller's user name
// ("" with auth off). Credentials come, as the Nacos auth filter reads
// them, from an accessToken parameter or header, an "Authorization:
// Bearer" header, or username and password parameters (Node sends these
// on every request). Nothing is done for a request refused here.
func (s *Server) authorize(g *guard, p params, header func(string) string, now time.Time) (string, error) {
	if g == nil || !s.auth.Enabled() {
		return "", nil
	}
	user, err := s.identify(p, header, now)
	if err != nil {
		return "", err
	}
	res, err := g.resources(p)
	if err != nil {
		return "", err
	}
	for _, r := range res {
		if err := s.auth.Allow(user, g.act, r); err != nil {
			return "", denied(err)
		}
	}
	return user, nil
}

// identify returns the user behind a request's credentials.
func (s *Server) identify(p params, header func(string) string, now time.Time) (string, error) {
	token := p.get("accessToken")
	if token == "" {
		token = header("accessToken")
	}
	if token == "" {
		token = strings.TrimPrefix(header("Authorization"), "Bearer ")
	}
	if token != "" {
		user, err := s.auth.Authenticate(token, now)
		if err == nil {
			return user, nil
		}
		u := p.get("username")
		if u == "" || !s.auth.Password(u, p["password"]) {
			return "", denied(err)
		}
		return u, nil
	}
	if u := p.get("username"); u != "" && s.auth.Password(u, p["password"]) {
		return u, nil
	}
	return "", denied(auth.ErrNoCredentials)
}

// denied is an auth refusal as Nacos answers it: 403 with its message.
func denied(err error) error {
	var d *auth.Denied
	if errors.As(err, &d) {
		return forbidden(d.Msg)
	}
	return err
}
