package tracker

import (
	"testing"
	"time"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

func cfgState(rev int64, c *upstream.Config) upstream.ConfigState {
	return upstream.ConfigState{Key: upstream.ConfigKey{Namespace: "public", Group: "DEFAULT_GROUP", DataID: "app.yaml"}, Revision: rev, Config: c}
}

func cfgOf(content string, lastModified int64, beta *upstream.Beta) *upstream.Config {
	return &upstream.Config{ConfigItem: upstream.ConfigItem{Content: content, Md5: upstream.Md5Hex(content), LastModified: lastModified},
		Type: "yaml", SrcIP: "10.0.0.9", AppName: "ops", Beta: beta}
}

// A change outcome becomes a change record named by its op, with the md5
// and size of the content it concerns.
func TestChangeRecords(t *testing.T) {
	beta := &upstream.Beta{ConfigItem: upstream.ConfigItem{Content: "beta", Md5: upstream.Md5Hex("beta"), LastModified: 30}, IPs: []string{"10.0.0.2"}}
	v1, v2 := cfgOf("v: 1", 10, nil), cfgOf("v: 22", 20, nil)
	withBeta := cfgOf("v: 22", 20, beta)
	cases := []struct {
		name        string
		prior, next *upstream.Config
		op, md5     string
		size        int
	}{
		{"created", nil, v1, ResultPublish, v1.Md5, 4},
		{"updated", v1, v2, ResultPublish, v2.Md5, 5},
		{"republished", v2, cfgOf("v: 22", 25, nil), ResultPublish, v2.Md5, 5},
		{"beta published", v2, withBeta, ResultBetaPublish, beta.Md5, 4},
		{"beta removed", withBeta, v2, ResultBetaRemove, beta.Md5, 4},
		{"removed", v2, nil, ResultRemove, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := fanout.Outcome{Event: fanout.EventChanged, At: time.UnixMilli(1000), Revision: 2,
				Topic: fanout.ConfigTopic(cfgState(0, nil).Key), Value: cfgState(2, tc.next), Prior: cfgState(1, tc.prior)}
			r := toRecord(o, "n1", nil)
			if r.Result != tc.op || r.Md5 != tc.md5 || r.Bytes != tc.size || !r.IsChange() || r.Kind != KindConfig ||
				r.ClientIP != "" || r.Service != "app.yaml" || r.Revision != 2 || r.PushID != "" {
				t.Fatalf("record %+v; want op %s md5 %s size %d", r, tc.op, tc.md5, tc.size)
			}
			if tc.next != nil && (r.SrcIP != "10.0.0.9" || r.AppName != "ops" || r.ContentType != "yaml" || r.LastModified == 0) {
				t.Fatalf("publisher fields %+v", r)
			}
		})
	}
}

// A reported md5 carries the md5 the client should hold (its beta, for a
// beta IP).
func TestReportedRecordLatest(t *testing.T) {
	beta := &upstream.Beta{ConfigItem: upstream.ConfigItem{Content: "beta", Md5: upstream.Md5Hex("beta")}, IPs: []string{"10.0.0.2"}}
	st := cfgState(3, cfgOf("v: 1", 10, beta))
	for ip, want := range map[string]string{"10.0.0.1": upstream.Md5Hex("v: 1"), "10.0.0.2": beta.Md5} {
		o := fanout.Outcome{Event: fanout.EventReported, At: time.UnixMilli(1000), Client: fanout.ClientInfo{IP: ip},
			Topic: fanout.ConfigTopic(st.Key), Digest: "old", Value: st}
		if r := toRecord(o, "n1", nil); r.Result != "reported" || r.Md5 != "old" || r.LatestMd5 != want || r.IsChange() {
			t.Fatalf("%s: %+v, want latestMd5 %s", ip, r, want)
		}
	}
}
