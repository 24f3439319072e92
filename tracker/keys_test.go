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

// TestStreamKeysAreRecordKeys: the reusable key buffer builds the same
// keys, in the same order, as the string functions, and one record's
// keys do not leak into the next's.
func TestStreamKeysAreRecordKeys(t *testing.T) {
	change := Record{Kind: KindConfig, Result: ResultPublish, Namespace: "n s", Group: "g", Service: "d|1"}
	recs := []Record{
		{Kind: KindNaming, Namespace: "prod", Group: "G", Service: "orders", ClientIP: "10.0.0.7"},
		change,
		{Kind: KindNaming, ClientIP: "fe80::1%eth0"},
		{Kind: KindConfig, Namespace: "a}", Group: "{b", Service: "c"},
		{},
	}
	want := [][]string{
		{topicKey(KindNaming, "prod", "G", "orders"), ipKey("10.0.0.7")},
		{topicKey(KindConfig, "n s", "g", "d|1"), changeKey("n s", "g", "d|1")},
		{ipKey("fe80::1%eth0")},
		{topicKey(KindConfig, "a}", "{b", "c")},
		{},
	}
	var k streamKeys
	for i := range recs {
		k.of(&recs[i])
		if k.len() != len(want[i]) {
			t.Fatalf("record %d: %d keys, want %d", i, k.len(), len(want[i]))
		}
		for j, w := range want[i] {
			if got := string(k.key(j)); got != w {
				t.Errorf("record %d key %d = %q, want %q", i, j, got, w)
			}
		}
	}
}

// BenchmarkStreamKeys: a push record's two keys, built into the reused
// buffer.
func BenchmarkStreamKeys(b *testing.B) {
	r := Record{Kind: KindNaming, Namespace: "public", Group: "DEFAULT_GROUP", Service: "orders-service-v2", ClientIP: "10.12.200.37"}
	var k streamKeys
	b.ReportAllocs()
	for b.Loop() {
		k.of(&r)
	}
}
