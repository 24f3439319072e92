package http1

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/herald-gateway/herald/fanout"
	"github.com/herald-gateway/herald/upstream"
)

func TestUDPEncode(t *testing.T) {
	enc := newUDPEncoder()
	small := upstream.Service{Key: upstream.ServiceKey{Name: "svc"}.Normalize(), Revision: 7,
		Instances: []upstream.Instance{{IP: "1.1.1.1", Port: 80, ClusterName: "DEFAULT", Enabled: true, Healthy: true}}}
	big := small
	big.Instances = []upstream.Instance{small.Instances[0]}
	big.Instances[0].Metadata = map[string]string{"k": strings.Repeat("v", 2000)}
	for _, c := range []struct {
		name    string
		svc     upstream.Service
		gzipped bool
	}{{"small", small, false}, {"big", big, true}} {
		p, err := enc.Encode(fanout.NamingTopic(c.svc.Key), fanout.NamingSnapshot(c.svc), "DEFAULT")
		if err != nil {
			t.Fatal(err)
		}
		frame := p.Frame
		if gz := bytes.HasPrefix(frame, []byte{0x1f, 0x8b}); gz != c.gzipped {
			t.Fatalf("%s: gzipped = %v, want %v", c.name, gz, c.gzipped)
		}
		if c.gzipped {
			r, err := gzip.NewReader(bytes.NewReader(frame))
			if err != nil {
				t.Fatal(err)
			}
			frame, _ = io.ReadAll(r)
		}
		var msg struct {
			Type        string      `json:"type"`
			Data        string      `json:"data"`
			LastRefTime json.Number `json:"lastRefTime"`
		}
		if err := json.Unmarshal(frame, &msg); err != nil {
			t.Fatal(err)
		}
		var info upstream.ServiceInfo
		if err := json.Unmarshal([]byte(msg.Data), &info); err != nil {
			t.Fatal(err)
		}
		if msg.Type != "dom" || msg.LastRefTime.String() != p.RequestID || info.Name != "DEFAULT_GROUP@@svc" ||
			info.Clusters != "DEFAULT" || info.LastRefTime != 7 || len(info.Hosts) != 1 {
			t.Errorf("%s: push %+v, info %+v", c.name, msg, info)
		}
	}
}

func TestUDPEncodeUniqueIDs(t *testing.T) {
	enc := newUDPEncoder()
	svc := upstream.Service{Key: upstream.ServiceKey{Name: "svc"}.Normalize(), Revision: 1}
	a, _ := enc.Encode(fanout.NamingTopic(svc.Key), fanout.NamingSnapshot(svc), "")
	b, _ := enc.Encode(fanout.NamingTopic(svc.Key), fanout.NamingSnapshot(svc), "")
	if a.RequestID == b.RequestID {
		t.Errorf("two encodings share request id %s", a.RequestID)
	}
}

func TestParseAck(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{`{"type":"push-ack","lastRefTime":1700000000000001,"data":""}`, "1700000000000001", true},
		{`{"type":"push-ack","lastRefTime":"1700000000000001","data":""}`, "1700000000000001", true},
		{`{"type":"push-ack","lastRefTime":"soon"}`, "", false},
		{`{"type":"push-ack"}`, "", false},
		{`{"type":"dump","lastRefTime":1}`, "", false},
		{`not json`, "", false},
	}
	for _, c := range cases {
		got, err := parseAck([]byte(c.in))
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseAck(%s) = %q, %v; want %q ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}
