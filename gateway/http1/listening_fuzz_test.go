package http1

import (
	"strings"
	"testing"

	"github.com/herald-gateway/herald/upstream"
)

// FuzzListeningConfigs feeds arbitrary Listening-Configs values through
// the parser: it may refuse, never panic; every refusal is a 400; what it
// accepts is at most 10,000 valid keys, each once per tenant spelling.
func FuzzListeningConfigs(f *testing.F) {
	f.Add("a\x02g\x02m\x01")
	f.Add("a\x02g\x02\x02ns1\x01b\x02DEFAULT_GROUP\x0201234567890123456789012345678901\x01")
	f.Add("a%02g%02m%01")
	f.Add("a\x02g\x02m\x02t\x02x\x01")
	f.Add("a%zz\x02\x01")
	f.Add("名字\x02g\x02\x01")
	f.Fuzz(func(t *testing.T, raw string) {
		recs, err := parseListening(raw)
		if err != nil {
			if status, _ := statusOf(err); status != 400 {
				t.Fatalf("refusal with status %d: %v", status, err)
			}
			return
		}
		if len(recs) == 0 || len(recs) > maxListenKeys {
			t.Fatalf("%d records accepted from %q", len(recs), raw)
		}
		seen := map[listenRef]bool{}
		for _, r := range recs {
			if err := upstream.ValidateConfigKey(r.key); err != nil || r.key != r.key.Normalize() {
				t.Fatalf("accepted key %+v: %v", r.key, err)
			}
			ref := listenRef{r.key, r.tenant}
			if seen[ref] {
				t.Fatalf("key %+v twice", ref)
			}
			seen[ref] = true
			if strings.Contains(r.md5, lineSep) {
				t.Fatalf("md5 %q holds a separator", r.md5)
			}
		}
	})
}
