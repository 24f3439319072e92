package auth

import (
	"fmt"
	"strings"
)

// Action is what a request does to a resource.
type Action uint8

// The two actions Nacos knows.
const (
	Read  Action = 1 << iota // query, list, subscribe, get config, listen
	Write                    // register, deregister, publish, remove
)

func (a Action) String() string {
	switch a {
	case Read:
		return "r"
	case Write:
		return "w"
	}
	return "rw"
}

// Kinds of resource.
const (
	KindNaming = "naming"
	KindConfig = "config"
)

// Resource is what a request touches: a service (KindNaming) or a
// configuration (KindConfig, Name is the dataId). Name "*" stands for
// every resource of the group (service lists).
type Resource struct {
	Namespace, Group, Kind, Name string
}

// normalized is r with the public namespace spelled "public" and a
// missing group "DEFAULT_GROUP", as Nacos fills them in.
func (r Resource) normalized() Resource {
	if r.Namespace == "" {
		r.Namespace = "public"
	}
	if r.Group == "" {
		r.Group = "DEFAULT_GROUP"
	}
	return r
}

// String is "namespace:group:kind/name", the form permissions are
// written in.
func (r Resource) String() string {
	n := r.normalized()
	return n.Namespace + ":" + n.Group + ":" + n.Kind + "/" + n.Name
}

// permission grants actions on the resources whose namespace, group and
// kind/name match its three patterns. Each part is matched on its own:
// groups and config tenants may hold ':', so matching the joined string
// would let "dev:*:*" reach a tenant "dev:x".
type permission struct {
	namespace, group, resource string
	actions                    Action
}

// parsePermission reads "role:namespace:group:resource:action", action r,
// w or rw. The resource part may itself be "*".
func parsePermission(s string) (role string, p permission, err error) {
	role, rest, ok := strings.Cut(s, ":")
	i := strings.LastIndexByte(rest, ':')
	if !ok || role == "" || i < 0 {
		return "", p, fmt.Errorf("%q is not role:namespace:group:resource:action", s)
	}
	res, act := rest[:i], rest[i+1:]
	parts := strings.SplitN(res, ":", 3) // the resource part may hold ':' (dataIds do)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", p, fmt.Errorf("permission of role %s: resource %q is not namespace:group:resource", role, res)
	}
	p.namespace, p.group, p.resource = parts[0], parts[1], parts[2]
	switch act {
	case "r":
		p.actions = Read
	case "w":
		p.actions = Write
	case "rw":
		p.actions = Read | Write
	default:
		return "", p, fmt.Errorf("permission of role %s: action %q is not r, w or rw", role, act)
	}
	return role, p, nil
}

// grants reports whether p allows act on res (normalized).
func (p permission) grants(act Action, res Resource) bool {
	return p.actions&act == act && globMatch(p.namespace, res.Namespace) && globMatch(p.group, res.Group) &&
		globMatch(p.resource, res.Kind+"/"+res.Name)
}

// globMatch reports whether s matches pattern, where '*' matches any run
// of bytes (':' and '/' included) and every other byte only itself. It
// runs in O(len(pattern)*len(s)) at worst, never exponentially.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	star, next := -1, 0 // last '*' seen in pattern, and where s resumes after it
	for sx < len(s) {
		switch {
		case px < len(pattern) && pattern[px] == '*':
			star, next = px, sx
			px++
		case px < len(pattern) && pattern[px] == s[sx]:
			px++
			sx++
		case star >= 0:
			next++
			px, sx = star+1, next
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}
