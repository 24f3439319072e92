package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"
)

// The Go config client publishes, reads, listens, sees a change and sees
// the removal as empty content.
func TestConfigPublishGetListenDelete(t *testing.T) {
	d := startHerald(t, testConfig(t))
	port := grpcPort(t, d)
	writer := newConfigClient(t, port, "")
	reader := newConfigClient(t, port, "")
	p := vo.ConfigParam{DataId: "app.yaml", Group: "DEFAULT_GROUP", Content: "a: 1\n", Type: "yaml"}
	mustPublish(t, writer, p)
	if got := mustGet(t, reader, p.Group, p.DataId); got != p.Content {
		t.Fatalf("get = %q, want %q", got, p.Content)
	}
	w := newConfigWatch()
	listen(t, reader, p.Group, p.DataId, w)
	p.Content = "a: 2\n"
	mustPublish(t, writer, p)
	w.waitFor(t, "a: 2\n", wait)
	ok, err := writer.DeleteConfig(vo.ConfigParam{DataId: p.DataId, Group: p.Group})
	if err != nil || !ok {
		t.Fatalf("delete: ok=%v err=%v", ok, err)
	}
	w.waitFor(t, "", wait)
	if got, err := reader.GetConfig(vo.ConfigParam{DataId: p.DataId, Group: p.Group}); err != nil || got != "" {
		t.Fatalf("get after delete = %q, %v; want empty", got, err)
	}
}

// Content goes through byte for byte.
func TestConfigContentFidelity(t *testing.T) {
	d := startHerald(t, testConfig(t))
	c := newConfigClient(t, grpcPort(t, d), "")
	cases := map[string]string{
		"cjk":      "名字: 张三\n城市: 北京\n",
		"emoji":    "status: 🚀✅ done 👩‍💻\n",
		"crlf":     "a=1\r\nb=2\r\n",
		"tabs":     "\tkey:\tvalue\t\n",
		"leading":  "   leading spaces\n",
		"trailing": "trailing newline\n\n",
		"large":    strings.Repeat("0123456789abcdef", 1<<16), // 1 MiB
	}
	for name, content := range cases {
		dataID := "fidelity." + name
		mustPublish(t, c, vo.ConfigParam{DataId: dataID, Group: "DEFAULT_GROUP", Content: content})
		if got := mustGet(t, c, "DEFAULT_GROUP", dataID); got != content {
			t.Errorf("%s: got %d bytes %q, want %d bytes %q", name, len(got), abbrev(got), len(content), abbrev(content))
		}
	}
}

var _ = time.Second
