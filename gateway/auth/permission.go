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

// String is the form permissions match: "namespace:group:kind/name", with
// the public namespace spelled "public" and a missing group
// "DEFAULT_GROUP", as Nacos fills them in.
func (r Resource) String() string {
	ns, g := r.Namespace, r.Group
	if ns == "" {
		ns = "public"
	}
	if g == "" {
		g = "DEFAULT_GROUP"
	}
	return ns + ":" + g + ":" + r.Kind + "/" + r.Name
}

// permission grants actions on the resources matching pattern.
type permission struct {
	pattern string
	actions Action
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
	if strings.Count(res, ":") != 2 || strings.Contains(res, "::") || strings.HasPrefix(res, ":") {
		return "", p, fmt.Errorf("permission of role %s: resource %q is not namespace:group:resource", role, res)
	}
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
	p.pattern = res
	return role, p, nil
}

// grants reports whether p allows act on res.
func (p permission) grants(act Action, res string) bool {
	return p.actions&act == act && globMatch(p.pattern, res)
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
