package upstream

import "testing"

func TestParsePersistentOwner(t *testing.T) {
	for _, in := range []Instance{
		{IP: "10.0.0.1", Port: 80, ClusterName: "DEFAULT"},
		{IP: "fe80::1", Port: 8080, ClusterName: "c-1"},
		{IP: "10.0.0.2", Port: 65535},
	} {
		got, ok := ParsePersistentOwner(PersistentOwner(in))
		want := in
		if want.ClusterName == "" {
			want.ClusterName = DefaultCluster
		}
		if !ok || got.IP != want.IP || got.Port != want.Port || got.ClusterName != want.ClusterName {
			t.Errorf("round trip of %+v: %+v, %v", in, got, ok)
		}
	}
	for _, owner := range []string{"", "conn-1", "persistent:", "persistent:DEFAULT", "persistent:DEFAULT:10.0.0.1",
		"persistent:DEFAULT:10.0.0.1:x", "persistent:DEFAULT:10.0.0.1:70000", "persistent:DEFAULT::80"} {
		if in, ok := ParsePersistentOwner(owner); ok {
			t.Errorf("ParsePersistentOwner(%q) = %+v, want not ok", owner, in)
		}
	}
}
