package upstream

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openConfig(t *testing.T, dir string) *EmbeddedConfig {
	t.Helper()
	s, err := OpenEmbeddedConfig(ConfigOptions{DataDir: dir, HistoryLimit: 3, MaxContentBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var ck = ConfigKey{DataID: "app.yaml"}

func publish(t *testing.T, s ConfigStore, p ConfigPublish) ConfigState {
	t.Helper()
	st, err := s.PublishConfig(context.Background(), p)
	if err != nil {
		t.Fatalf("publish %s: %v", p.Key, err)
	}
	return st
}

// Publish, read, CAS, remove: the state a ConfigStore keeps, and the md5
// of the UTF-8 bytes.
func TestConfigStorePublishGetRemove(t *testing.T) {
	ctx := context.Background()
	s := openConfig(t, "")
	st, _ := s.GetConfig(ctx, ck)
	if st.Config != nil || st.Md5For("") != "" || st.Key != ck.Normalize() {
		t.Fatalf("absent key: %+v", st)
	}
	st = publish(t, s, ConfigPublish{Key: ck, Content: "名字: 1\r\n", Type: "yaml", AppName: "app", SrcIP: "10.0.0.1"})
	if st.Config.Md5 != Md5Hex("名字: 1\r\n") || st.Config.Type != "yaml" || st.Config.SrcIP != "10.0.0.1" {
		t.Fatalf("published %+v", st.Config)
	}
	got, _ := s.GetConfig(ctx, ConfigKey{Namespace: "public", Group: "DEFAULT_GROUP", DataID: "app.yaml"})
	if got.Config == nil || got.Config.Content != "名字: 1\r\n" || got.Revision != st.Revision {
		t.Fatalf("public/DEFAULT_GROUP reads %+v, want the key published with blanks", got)
	}
	if _, err := s.PublishConfig(ctx, ConfigPublish{Key: ck, Content: "x", CasMd5: Md5Hex("other")}); !errors.Is(err, ErrCasMismatch) {
		t.Fatalf("stale cas: %v, want ErrCasMismatch", err)
	}
	next := publish(t, s, ConfigPublish{Key: ck, Content: "v2", CasMd5: st.Config.Md5})
	if next.Revision <= st.Revision || next.Config.Type != DefaultConfigType {
		t.Fatalf("cas publish: revision %d after %d, type %q", next.Revision, st.Revision, next.Config.Type)
	}
	gone, err := s.RemoveConfig(ctx, ConfigRemove{Key: ck})
	if err != nil || gone.Config != nil || gone.Revision <= next.Revision {
		t.Fatalf("remove: %+v %v", gone, err)
	}
	if _, err := s.RemoveConfig(ctx, ConfigRemove{Key: ck}); err != nil {
		t.Fatalf("removing an absent config: %v", err)
	}
	if _, err := s.PublishConfig(ctx, ConfigPublish{Key: ck, Content: "x", CasMd5: "abc"}); !errors.Is(err, ErrCasMismatch) {
		t.Fatalf("cas on an absent config: %v, want ErrCasMismatch", err)
	}
}

// Validation: every field named, nothing stored.
func TestConfigStoreRefusesBadInput(t *testing.T) {
	s := openConfig(t, "")
	cases := []struct {
		p     ConfigPublish
		field string
	}{
		{ConfigPublish{Key: ConfigKey{DataID: ""}, Content: "x"}, "dataId"},
		{ConfigPublish{Key: ConfigKey{DataID: "a b"}, Content: "x"}, "dataId"},
		{ConfigPublish{Key: ConfigKey{DataID: strings.Repeat("d", 256)}, Content: "x"}, "dataId"},
		{ConfigPublish{Key: ConfigKey{DataID: "ok", Group: "g/1"}, Content: "x"}, "group"},
		{ConfigPublish{Key: ConfigKey{DataID: "ok", Namespace: "n s"}, Content: "x"}, "tenant"},
		{ConfigPublish{Key: ck, Content: "  \n"}, "content"},
		{ConfigPublish{Key: ck, Content: strings.Repeat("x", 1<<20+1)}, "content"},
		{ConfigPublish{Key: ck, Content: "\xff"}, "content"},
		{ConfigPublish{Key: ck, Content: "x", BetaIPs: []string{"host"}}, "betaIps"},
	}
	for _, c := range cases {
		_, err := s.PublishConfig(context.Background(), c.p)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !errors.Is(err, ErrInvalid) {
			t.Errorf("publish %+v: %v, want a FieldError naming %s", c.p.Key, err, c.field)
		}
	}
	if ok := ValidateConfigKey(ConfigKey{DataID: "配置.yaml:v1", Group: "组_1"}); ok != nil {
		t.Errorf("letters of any script are allowed: %v", ok)
	}
	if st, _ := s.GetConfig(context.Background(), ck); st.Config != nil {
		t.Fatalf("a refused publish stored %+v", st.Config)
	}
}

// Beta content is served to the beta IPs only, survives a normal publish,
// and a beta remove leaves the normal content.
func TestConfigStoreBeta(t *testing.T) {
	ctx := context.Background()
	s := openConfig(t, "")
	if _, err := s.PublishConfig(ctx, ConfigPublish{Key: ck, Content: "beta", BetaIPs: []string{"10.0.0.9"}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("beta over an absent config: %v, want ErrInvalid", err)
	}
	publish(t, s, ConfigPublish{Key: ck, Content: "normal"})
	publish(t, s, ConfigPublish{Key: ck, Content: "beta", BetaIPs: []string{"10.0.0.9", "10.0.0.10"}})
	st := publish(t, s, ConfigPublish{Key: ck, Content: "normal 2"})
	if item, beta := st.For("10.0.0.9"); !beta || item.Content != "beta" {
		t.Fatalf("beta IP is served %+v beta=%v", item, beta)
	}
	if item, beta := st.For("10.0.0.1"); beta || item.Content != "normal 2" {
		t.Fatalf("other IP is served %+v beta=%v", item, beta)
	}
	st, _ = s.RemoveConfig(ctx, ConfigRemove{Key: ck, Beta: true})
	if st.Config == nil || st.Config.Beta != nil || st.Md5For("10.0.0.9") != Md5Hex("normal 2") {
		t.Fatalf("after a beta remove: %+v", st.Config)
	}
}

// History keeps the newest HistoryLimit entries, newest first, with the
// operation and source, in memory and on disk (across a reopen, and past
// its compaction), and a torn last line left by a crash is ignored.
func TestConfigStoreHistory(t *testing.T) {
	for _, dir := range []string{"", t.TempDir()} {
		s := openConfig(t, dir)
		ctx := context.Background()
		for i, c := range []string{"a", "b", "c", "d", "e", "f", "g"} {
			publish(t, s, ConfigPublish{Key: ck, Content: c, SrcIP: "10.0.0." + string(rune('1'+i))})
		}
		s.RemoveConfig(ctx, ConfigRemove{Key: ck, SrcUser: "ops"})
		if dir != "" {
			s.Close()
			s = openConfig(t, dir)
		}
		total, page, err := s.ConfigHistory(ctx, ck, 1, 2)
		if err != nil || total != 3 || len(page) != 2 {
			t.Fatalf("dir %q: history total %d page %d err %v, want 3 and 2", dir, total, len(page), err)
		}
		if page[0].Op != OpDelete || page[0].SrcUser != "ops" || page[0].Content != "g" || page[1].Content != "g" || page[1].Op != OpUpdate {
			t.Fatalf("dir %q: newest entries %+v", dir, page)
		}
		_, rest, _ := s.ConfigHistory(ctx, ck, 2, 2)
		if len(rest) != 1 || rest[0].Content != "f" || rest[0].ID >= page[1].ID {
			t.Fatalf("dir %q: second page %+v", dir, rest)
		}
		e, ok, err := s.ConfigHistoryEntry(ctx, ck, rest[0].ID)
		if err != nil || !ok || e.Content != "f" || e.Md5 != Md5Hex("f") {
			t.Fatalf("dir %q: entry %d: %+v %v %v", dir, rest[0].ID, e, ok, err)
		}
		if dir == "" {
			continue
		}
		hist, _ := filepath.Glob(filepath.Join(dir, "config", "*.history.jsonl"))
		f, err := os.OpenFile(hist[0], os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(`{"namespace":"public","group`) // a crash mid-append
		f.Close()
		if total, _, err := s.ConfigHistory(ctx, ck, 1, 10); err != nil || total != 3 {
			t.Fatalf("with a torn last line: total %d err %v, want 3 and no error", total, err)
		}
	}
}

// Configurations survive a reopen of the data directory, with a fresh
// revision; a corrupt file stops the open with an error naming it.
func TestConfigStorePersistence(t *testing.T) {
	dir := t.TempDir()
	s := openConfig(t, dir)
	publish(t, s, ConfigPublish{Key: ck, Content: "kept\n", Type: "yaml", EncryptedDataKey: "k1"})
	publish(t, s, ConfigPublish{Key: ck, Content: "beta\n", BetaIPs: []string{"10.0.0.9"}})
	publish(t, s, ConfigPublish{Key: ConfigKey{Namespace: "ns", Group: "G", DataID: "other"}, Content: "o"})
	publish(t, s, ConfigPublish{Key: ConfigKey{DataID: "gone"}, Content: "x"})
	s.RemoveConfig(context.Background(), ConfigRemove{Key: ConfigKey{DataID: "gone"}})
	s.Close()

	r := openConfig(t, dir)
	st, _ := r.GetConfig(context.Background(), ck)
	c := st.Config
	if c == nil || c.Content != "kept\n" || c.Type != "yaml" || c.EncryptedDataKey != "k1" || c.Beta == nil || c.Beta.Content != "beta\n" {
		t.Fatalf("reopened: %+v", c)
	}
	if st, _ := r.GetConfig(context.Background(), ConfigKey{DataID: "gone"}); st.Config != nil {
		t.Fatalf("a removed config came back: %+v", st.Config)
	}
	r.Close()

	files, _ := filepath.Glob(filepath.Join(dir, "config", "*.json"))
	if err := os.WriteFile(files[0], []byte(`{"version":1,`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenEmbeddedConfig(ConfigOptions{DataDir: dir}); err == nil || !strings.Contains(err.Error(), files[0]) {
		t.Fatalf("open with a corrupt file: %v, want an error naming %s", err, files[0])
	}
}

// Watchers see the current state, then every change in revision order; a
// removal is a state without Config.
func TestConfigStoreWatch(t *testing.T) {
	s := openConfig(t, "")
	got := make(chan ConfigState, 16)
	cancel, err := s.WatchConfig(ck, func(st ConfigState) { got <- st })
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	next := func() ConfigState {
		select {
		case st := <-got:
			return st
		case <-time.After(5 * time.Second):
			t.Fatal("no notification")
			return ConfigState{}
		}
	}
	if first := next(); first.Config != nil {
		t.Fatalf("first state %+v, want absent", first)
	}
	p := publish(t, s, ConfigPublish{Key: ck, Content: "1"})
	if st := next(); st.Revision != p.Revision || st.Config.Content != "1" {
		t.Fatalf("after publish %+v", st)
	}
	r, _ := s.RemoveConfig(context.Background(), ConfigRemove{Key: ck})
	if st := next(); st.Revision != r.Revision || st.Config != nil {
		t.Fatalf("after remove %+v", st)
	}
}

// A data directory is held by one process: a second lock is refused with
// the holder named; after unlock it can be taken again.
func TestLockDataDir(t *testing.T) {
	dir := t.TempDir()
	unlock, err := LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockDataDir(dir)
	if !errors.Is(err, ErrDataDirLocked) || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("second lock: %v, want ErrDataDirLocked naming the holder", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	again, err := LockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	again()
}

// A publish is made durable with no store lock held: while its write is
// under way, reads and publishes of other keys go on, and the key itself
// still reads its old content.
func TestConfigPublishHoldsNoLock(t *testing.T) {
	s := openConfig(t, t.TempDir())
	publish(t, s, ConfigPublish{Key: ck, Content: "old"})
	entered, release := make(chan struct{}), make(chan struct{})
	s.files.writing = func() {
		select {
		case <-entered:
		default:
			close(entered)
			<-release
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.PublishConfig(context.Background(), ConfigPublish{Key: ck, Content: "new"})
		done <- err
	}()
	<-entered
	if st, _ := s.GetConfig(context.Background(), ck); st.Config.Content != "old" {
		t.Fatalf("content during the write: %q, want the old one", st.Config.Content)
	}
	other := publish(t, s, ConfigPublish{Key: ConfigKey{DataID: "other"}, Content: "x"})
	if other.Config == nil {
		t.Fatal("publish of another key during the write failed")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st, _ := s.GetConfig(context.Background(), ck); st.Config.Content != "new" {
		t.Fatalf("after the write: %q, want new", st.Config.Content)
	}
}
