package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/herald-gateway/herald/internal/redistest"
	"github.com/herald-gateway/herald/tracker"
	"github.com/herald-gateway/herald/upstream"
)

// deliveredHTTP checks, in a timeline (oldest first), that a long-poll
// client (each poll its own "http:" connection) had its poll answered
// (sent, acked), was served md5 and re-polled holding it, in that order.
func deliveredHTTP(recs []tracker.Record, md5 string) error {
	want := []string{"sent", "acked", "served", "reported"}
	i := 0
	for _, r := range recs {
		if i < len(want) && strings.HasPrefix(r.ConnID, "http:") && r.Result == want[i] && r.Md5 == md5 {
			i++
		}
	}
	if i < len(want) {
		return fmt.Errorf("long-poll client: saw %v of %v for md5 %s", want[:i], want, md5)
	}
	return nil
}

// The npm `nacos` client's long poll: after a publish (by the Go SDK),
// the timeline shows its poll answered, the content served and the next
// poll holding the new md5; by IP and status now it holds the new md5.
func TestConfigTrackNpm(t *testing.T) {
	modules := npmModules(t)
	rs := redistest.Start(t)
	d := startHerald(t, trackingConfig(t, rs.Addr()))
	node := startNodeConfig(t, d, modules)
	goClient := newConfigClient(t, grpcPort(t, d), "")
	const group, dataID = "DEFAULT_GROUP", "npm.track"
	node.mustOK("publish", dataID, group, "v1")
	node.mustOK("subscribe", dataID, group, "")
	node.waitChange(t, dataID, ptr("v1"))
	awaitHeld(t, d, dataID, "v1")

	mustPublish(t, goClient, vo.ConfigParam{DataId: dataID, Group: group, Content: "v2 from go"})
	node.waitChange(t, dataID, ptr("v2 from go"))
	v2 := upstream.Md5Hex("v2 from go")
	var change tracker.Record
	eventually(t, "the long poll's delivery tracked", chainWait, func() error {
		var tr cfgTracks
		if err := adminDecode(t, d, "/v1/tracks/config", url.Values{"dataId": {dataID}, "order": {"oldest"}, "limit": {"1000"}}, &tr); err != nil {
			return err
		}
		var ok bool
		if change, ok = changeWith(tr.Changes, v2); !ok {
			return fmt.Errorf("no change with md5 %s among %+v", v2, tr.Changes)
		}
		var after []tracker.Record
		for _, r := range tr.Records {
			if r.At >= change.At {
				after = append(after, r)
			}
		}
		return deliveredHTTP(after, v2)
	})
	eventually(t, "the long-poll client up to date", chainWait, func() error {
		var byIP cfgClient
		if err := adminDecode(t, d, "/v1/tracks/config/client", url.Values{"ip": {"127.0.0.1"}}, &byIP); err != nil {
			return err
		}
		for _, c := range byIP.Configs {
			if c.DataID == dataID && c.Md5 == v2 && c.UpToDate && len(c.Changes) > 0 && c.Changes[0].Md5 == v2 {
				return nil
			}
		}
		return fmt.Errorf("by IP: %+v", byIP.Configs)
	})
	eventually(t, "status now", chainWait, func() error {
		var st cfgStatus
		if err := adminDecode(t, d, "/v1/status/config", url.Values{"dataId": {dataID}}, &st); err != nil {
			return err
		}
		if st.Md5 != v2 || st.Behind != 0 || st.UpToDate != 1 || !strings.HasPrefix(st.Listeners[0].ConnID, "http:") {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})

	// The client's process paused: its held poll is answered by the next
	// publish and it polls no more. Status now lists it from its records,
	// idle and behind on the md5 it last said it holds.
	signal := func(sig syscall.Signal) {
		if err := node.proc.Signal(sig); err != nil {
			t.Fatalf("signal node: %v", err)
		}
	}
	signal(syscall.SIGSTOP)
	t.Cleanup(func() { _ = node.proc.Signal(syscall.SIGCONT) })
	mustPublish(t, goClient, vo.ConfigParam{DataId: dataID, Group: group, Content: "v3 from go"})
	v3 := upstream.Md5Hex("v3 from go")
	eventually(t, "the paused client behind", chainWait, func() error {
		var st cfgStatus
		if err := adminDecode(t, d, "/v1/status/config", url.Values{"dataId": {dataID}}, &st); err != nil {
			return err
		}
		if st.Md5 != v3 || st.Behind != 1 || len(st.Listeners) != 1 {
			return fmt.Errorf("status %+v", st)
		}
		if l := st.Listeners[0]; !l.Idle || l.Md5 != v2 || l.LatestMd5 != v3 || l.BehindMs <= 0 {
			return fmt.Errorf("listener %+v; want idle, behind on %s", l, v2)
		}
		return nil
	})
	signal(syscall.SIGCONT)
	node.waitChange(t, dataID, ptr("v3 from go"))
	eventually(t, "the resumed client up to date", chainWait, func() error {
		var st cfgStatus
		if err := adminDecode(t, d, "/v1/status/config", url.Values{"dataId": {dataID}}, &st); err != nil {
			return err
		}
		if st.Behind != 0 || st.UpToDate != 1 || st.Listeners[0].Md5 != v3 {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
}
