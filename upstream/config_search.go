package upstream

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
)

// ConfigSearch is a search of one namespace's configurations, as Nacos's
// GET /v1/cs/configs?search= serves it (the Go SDK's SearchConfig).
// Accurate matches DataID, Group and AppName exactly where they are
// given; blur reads '*' in DataID and Group as any run of characters
// (without one they match exactly) and Content as a substring of the
// content. Empty fields match everything. Only normal content is
// searched, not beta content.
type ConfigSearch struct {
	Namespace string // normalised by the store
	DataID    string
	Group     string
	AppName   string
	Content   string // blur only
	Blur      bool
	PageNo    int // from 1
	PageSize  int // at least 1
}

// matches reports whether c is found by q.
func (q ConfigSearch) matches(c *Config) bool {
	name := func(pattern, s string) bool {
		if pattern == "" {
			return true
		}
		if q.Blur {
			return globMatch(pattern, s)
		}
		return pattern == s
	}
	return name(q.DataID, c.Key.DataID) && name(q.Group, c.Key.Group) &&
		(q.AppName == "" || q.AppName == c.AppName) &&
		(!q.Blur || q.Content == "" || strings.Contains(c.Content, q.Content))
}

// globMatch reports whether s matches pattern, in which each '*' stands
// for any run of characters (the empty one too) and everything else for
// itself: Nacos's LIKE with '*' turned into '%'.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	first, last := parts[0], parts[len(parts)-1]
	if !strings.HasPrefix(s, first) {
		return false
	}
	s = s[len(first):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

// SearchConfigs implements ConfigStore: the states of the configurations
// q finds, ordered by group and data id, one page of them and how many in
// all.
func (s *EmbeddedConfig) SearchConfigs(ctx context.Context, q ConfigSearch) (int, []ConfigState, error) {
	q.Namespace = ConfigKey{Namespace: q.Namespace}.Normalize().Namespace
	if q.PageNo < 1 || q.PageSize < 1 {
		return 0, nil, fmt.Errorf("search configs: page %d of size %d: %w", q.PageNo, q.PageSize, ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	var found []ConfigState
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return 0, nil, ErrClosed
	}
	for key, ent := range s.entries {
		if c := ent.state.Config; c != nil && key.Namespace == q.Namespace && q.matches(c) {
			found = append(found, ent.state)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(found, func(a, b ConfigState) int {
		return cmp.Or(cmp.Compare(a.Key.Group, b.Key.Group), cmp.Compare(a.Key.DataID, b.Key.DataID))
	})
	start := min(len(found), (q.PageNo-1)*q.PageSize)
	return len(found), found[start:min(len(found), start+q.PageSize)], nil
}
