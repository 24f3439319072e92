package upstream

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// TestConfigSearch: accurate and blur searches of one namespace, as the
// SDK's SearchConfig asks them, with paging and a stable order; beta
// content and removed configurations are not found.
func TestConfigSearch(t *testing.T) {
	ctx := context.Background()
	s := openConfig(t, "")
	for _, p := range []ConfigPublish{
		{Key: ConfigKey{DataID: "app.yaml"}, Content: "port: 80", AppName: "shop"},
		{Key: ConfigKey{DataID: "app.properties"}, Content: "port=81"},
		{Key: ConfigKey{DataID: "db.yaml", Group: "DB"}, Content: "host: db1", AppName: "shop"},
		{Key: ConfigKey{DataID: "app.yaml", Group: "DB"}, Content: "pool: 4"},
		{Key: ConfigKey{DataID: "app.yaml", Namespace: "dev"}, Content: "port: 90"},
		{Key: ConfigKey{DataID: "gone.yaml"}, Content: "x"},
	} {
		publish(t, s, p)
	}
	publish(t, s, ConfigPublish{Key: ConfigKey{DataID: "db.yaml", Group: "DB"}, Content: "host: beta-only", BetaIPs: []string{"10.0.0.1"}})
	if _, err := s.RemoveConfig(ctx, ConfigRemove{Key: ConfigKey{DataID: "gone.yaml"}}); err != nil {
		t.Fatal(err)
	}
	names := func(q ConfigSearch) (int, []string) {
		t.Helper()
		if q.PageNo == 0 {
			q.PageNo, q.PageSize = 1, 100
		}
		total, page, err := s.SearchConfigs(ctx, q)
		if err != nil {
			t.Fatalf("search %+v: %v", q, err)
		}
		var got []string
		for _, st := range page {
			got = append(got, st.Key.Group+"/"+st.Config.Key.DataID)
		}
		return total, got
	}
	for _, tc := range []struct {
		name string
		q    ConfigSearch
		want []string
	}{
		{"accurate, every config of the namespace", ConfigSearch{},
			[]string{"DB/app.yaml", "DB/db.yaml", "DEFAULT_GROUP/app.properties", "DEFAULT_GROUP/app.yaml"}},
		{"accurate data id", ConfigSearch{DataID: "app.yaml"}, []string{"DB/app.yaml", "DEFAULT_GROUP/app.yaml"}},
		{"accurate data id and group", ConfigSearch{DataID: "app.yaml", Group: "DB"}, []string{"DB/app.yaml"}},
		{"accurate takes '*' as itself", ConfigSearch{DataID: "app.*"}, nil},
		{"accurate app name", ConfigSearch{AppName: "shop"}, []string{"DB/db.yaml", "DEFAULT_GROUP/app.yaml"}},
		{"another namespace", ConfigSearch{Namespace: "dev"}, []string{"DEFAULT_GROUP/app.yaml"}},
		{"blur prefix", ConfigSearch{Blur: true, DataID: "app.*"}, []string{"DB/app.yaml", "DEFAULT_GROUP/app.properties", "DEFAULT_GROUP/app.yaml"}},
		{"blur middle", ConfigSearch{Blur: true, DataID: "*p.y*"}, []string{"DB/app.yaml", "DEFAULT_GROUP/app.yaml"}},
		{"blur without '*' is exact", ConfigSearch{Blur: true, DataID: "app"}, nil},
		{"blur group", ConfigSearch{Blur: true, Group: "D*"}, []string{"DB/app.yaml", "DB/db.yaml", "DEFAULT_GROUP/app.properties", "DEFAULT_GROUP/app.yaml"}},
		{"blur content", ConfigSearch{Blur: true, Content: "port"}, []string{"DEFAULT_GROUP/app.properties", "DEFAULT_GROUP/app.yaml"}},
		{"beta content is not searched", ConfigSearch{Blur: true, Content: "beta-only"}, nil},
		{"a removed config is not found", ConfigSearch{DataID: "gone.yaml"}, nil},
	} {
		total, got := names(tc.q)
		if !slices.Equal(got, tc.want) || total != len(tc.want) {
			t.Errorf("%s: found %d %v, want %v", tc.name, total, got, tc.want)
		}
	}
	total, page2 := names(ConfigSearch{PageNo: 2, PageSize: 3})
	if total != 4 || !slices.Equal(page2, []string{"DEFAULT_GROUP/app.yaml"}) {
		t.Fatalf("page 2 of 3: %d %v", total, page2)
	}
	if total, past := names(ConfigSearch{PageNo: 9, PageSize: 3}); total != 4 || len(past) != 0 {
		t.Fatalf("a page past the end: %d %v", total, past)
	}
	if _, _, err := s.SearchConfigs(ctx, ConfigSearch{PageNo: 0, PageSize: 10}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("page 0: %v, want ErrInvalid", err)
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true}, {"*", "abc", true}, {"a*", "abc", true}, {"*c", "abc", true}, {"a*c", "ac", true},
		{"a*c", "abc", true}, {"a*a", "a", false}, {"a*b*c", "a-b-c", true}, {"a*b*c", "a-c-b", false},
		{"abc", "abc", true}, {"abc", "abcd", false}, {"**", "x", true}, {"a*", "ba", false},
	} {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}
