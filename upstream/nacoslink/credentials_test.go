package nacoslink

import (
	"slices"
	"strings"
	"testing"
)

func TestCredentialsCheck(t *testing.T) {
	for _, c := range []Credentials{
		{Username: "u"}, {Password: "pass-secret"}, {Username: "u", Password: "pass-secret", AccessToken: "t"},
		{Username: "u", Password: "pass-secret", LoginServers: []string{"nohost"}},
	} {
		if err := c.check(); err == nil {
			t.Errorf("%+v accepted", c)
		} else if c.Password != "" && strings.Contains(err.Error(), c.Password) {
			t.Errorf("error %q quotes the password", err)
		}
	}
	for _, c := range []Credentials{{}, {Username: "u", Password: "p"}, {AccessToken: "t"}} {
		if err := c.check(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

func TestLoginServersDefault(t *testing.T) {
	got := Credentials{}.loginServers([]string{"10.0.0.1:9848", "[::1]:19848", "h:80"})
	if want := []string{"10.0.0.1:8848", "[::1]:18848"}; !slices.Equal(got, want) {
		t.Fatalf("loginServers = %v, want %v (port - 1000; none below 1001)", got, want)
	}
	if got := (Credentials{LoginServers: []string{"h:1"}}).loginServers([]string{"x:9848"}); !slices.Equal(got, []string{"h:1"}) {
		t.Fatalf("configured loginServers ignored: %v", got)
	}
}
