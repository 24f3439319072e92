package tracker

import "testing"

func TestKeys(t *testing.T) {
	tests := []struct{ got, want string }{
		{topicKey(KindNaming, "prod", "DEFAULT_GROUP", "orders"), "herald:trk:svc:{prod|DEFAULT_GROUP|orders}"},
		{topicKey(KindNaming, "", "", "a"), "herald:trk:svc:{||a}"},
		{topicKey(KindNaming, "n|s", "g{", "s}"), "herald:trk:svc:{n%7Cs|g%7B|s%7D}"},
		{topicKey(KindNaming, "50%", "g", "a b\t\x7f"), "herald:trk:svc:{50%25|g|a%20b%09%7F}"},
		{topicKey(KindNaming, "ns", "g", "服务"), "herald:trk:svc:{ns|g|服务}"},
		{ipKey("10.0.0.7"), "herald:trk:ip:{10.0.0.7}"},
		{ipKey("fe80::1%eth0"), "herald:trk:ip:{fe80::1%25eth0}"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("key %q, want %q", tc.got, tc.want)
		}
	}
}

// TestServiceKeysAreDistinct: names that a naive join would merge give
// different keys.
func TestServiceKeysAreDistinct(t *testing.T) {
	names := [][3]string{
		{"", "g|x", "y"}, {"", "g", "x|y"}, {"", "g", "x%7Cy"}, {"g", "x", "y"},
		{"a}", "b", "c"}, {"a", "}b", "c"}, {"a", "b", "}c"}, {"a%7D", "b", "c"},
		{"", "", ""}, {"|", "", ""}, {"", "|", ""}, {"", "", "|"},
	}
	seen := make(map[string][3]string)
	for _, n := range names {
		k := topicKey(KindNaming, n[0], n[1], n[2])
		if prev, dup := seen[k]; dup {
			t.Errorf("%q and %q share the key %q", prev, n, k)
		}
		seen[k] = n
	}
}

func FuzzServiceKey(f *testing.F) {
	f.Add("ns", "g", "svc", "ns", "g|", "svc")
	f.Add("a}", "{b", "%7D", "a%7D", "%7Bb", "}")
	f.Fuzz(func(t *testing.T, a1, a2, a3, b1, b2, b3 string) {
		if [3]string{a1, a2, a3} == [3]string{b1, b2, b3} {
			return
		}
		if topicKey(KindNaming, a1, a2, a3) == topicKey(KindNaming, b1, b2, b3) {
			t.Errorf("%q and %q share a key", []string{a1, a2, a3}, []string{b1, b2, b3})
		}
	})
}
