package upstream

// Persistence of the embedded config store (DataDir/config):
//
//	<h>.json           one configuration: its key, normal content and
//	                   metadata, beta; rewritten atomically (temp file,
//	                   fsync, rename, fsync of the directory) on every
//	                   publish, removed on remove
//	<h>.history.jsonl  its history, one JSON entry per line, appended and
//	                   fsynced on every publish and remove; rewritten with
//	                   the newest HistoryLimit entries once it holds twice
//	                   as many
//
// h is the hex SHA-256 of the key, so any dataId makes a safe file name;
// the file holds the key itself. Both files are written before the request
// is answered. At start every <h>.json is read; one that cannot be read or
// parsed stops the start with an error naming it. A history file is read
// only when history is asked for; a torn last line (a crash during an
// append that was never acknowledged) is ignored.

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// configFileVersion is the format version of a config file.
const configFileVersion = 1

// configFiles is a store's data directory for configurations.
type configFiles struct {
	writing func() // tests: called as a config file write begins
	dir     string
	limit   int
	ids     historyIDs

	// mu protects lines.
	mu    sync.Mutex
	lines map[ConfigKey]int // history lines on disk, once known
}

func newConfigFiles(dataDir string, historyLimit int) *configFiles {
	return &configFiles{dir: filepath.Join(dataDir, "config"), limit: historyLimit, lines: make(map[ConfigKey]int)}
}

// savedConfig is a config file's JSON document.
type savedConfig struct {
	Version          int        `json:"version"`
	Namespace        string     `json:"namespace"`
	Group            string     `json:"group"`
	DataID           string     `json:"dataId"`
	Content          string     `json:"content"`
	Md5              string     `json:"md5"`
	EncryptedDataKey string     `json:"encryptedDataKey,omitempty"`
	LastModified     int64      `json:"lastModified"`
	Type             string     `json:"type"`
	AppName          string     `json:"appName,omitempty"`
	SrcIP            string     `json:"srcIp,omitempty"`
	SrcUser          string     `json:"srcUser,omitempty"`
	Beta             *savedBeta `json:"beta,omitempty"`
}

type savedBeta struct {
	Content          string   `json:"content"`
	Md5              string   `json:"md5"`
	EncryptedDataKey string   `json:"encryptedDataKey,omitempty"`
	LastModified     int64    `json:"lastModified"`
	IPs              []string `json:"ips"`
}

// savedEntry is a history line: the entry with its key.
type savedEntry struct {
	Namespace string `json:"namespace"`
	Group     string `json:"group"`
	DataID    string `json:"dataId"`
	HistoryEntry
}

func (f *configFiles) base(key ConfigKey) string {
	sum := sha256.Sum256([]byte(key.Namespace + "\x00" + key.Group + "\x00" + key.DataID))
	return filepath.Join(f.dir, hex.EncodeToString(sum[:]))
}

// save writes c as key's file, or removes it when c is nil.
func (f *configFiles) save(key ConfigKey, c *Config) error {
	if f.writing != nil {
		f.writing()
	}
	path := f.base(key) + ".json"
	if c == nil {
		return removeFileDurably(f.dir, path)
	}
	doc := savedConfig{Version: configFileVersion, Namespace: key.Namespace, Group: key.Group, DataID: key.DataID,
		Content: c.Content, Md5: c.Md5, EncryptedDataKey: c.EncryptedDataKey, LastModified: c.LastModified,
		Type: c.Type, AppName: c.AppName, SrcIP: c.SrcIP, SrcUser: c.SrcUser}
	if b := c.Beta; b != nil {
		doc.Beta = &savedBeta{Content: b.Content, Md5: b.Md5, EncryptedDataKey: b.EncryptedDataKey,
			LastModified: b.LastModified, IPs: b.IPs}
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return writeFileDurably(f.dir, path, ".config-*.tmp", data)
}

// load reads every config file.
func (f *configFiles) load() ([]*Config, error) {
	stale, _ := filepath.Glob(filepath.Join(f.dir, ".config-*.tmp"))
	for _, name := range stale {
		os.Remove(name)
	}
	names, err := filepath.Glob(filepath.Join(f.dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []*Config
	seen := make(map[ConfigKey]string)
	for _, name := range names {
		c, err := readConfigFile(name)
		if err != nil {
			return nil, err
		}
		if other, dup := seen[c.Key]; dup || f.base(c.Key)+".json" != name {
			return nil, fmt.Errorf("config file %s: holds %s, which belongs in %s (also in %q)", name, c.Key, f.base(c.Key)+".json", other)
		}
		seen[c.Key] = name
		out = append(out, c)
	}
	return out, nil
}

// readConfigFile reads and checks one config file.
func readConfigFile(name string) (*Config, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	var doc savedConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("config file %s is corrupt: %w", name, err)
	}
	if doc.Version != configFileVersion {
		return nil, fmt.Errorf("config file %s has version %d; this Herald reads version %d", name, doc.Version, configFileVersion)
	}
	key := ConfigKey{Namespace: doc.Namespace, Group: doc.Group, DataID: doc.DataID}
	if err := ValidateConfigKey(key); err != nil || key != key.Normalize() {
		return nil, fmt.Errorf("config file %s: bad key %s: %v", name, key, err)
	}
	if Md5Hex(doc.Content) != doc.Md5 || doc.Beta != nil && Md5Hex(doc.Beta.Content) != doc.Beta.Md5 {
		return nil, fmt.Errorf("config file %s: content does not match its md5", name)
	}
	c := &Config{Key: key, ConfigItem: ConfigItem{Content: doc.Content, Md5: doc.Md5,
		EncryptedDataKey: doc.EncryptedDataKey, LastModified: doc.LastModified},
		Type: doc.Type, AppName: doc.AppName, SrcIP: doc.SrcIP, SrcUser: doc.SrcUser}
	if b := doc.Beta; b != nil {
		c.Beta = &Beta{ConfigItem: ConfigItem{Content: b.Content, Md5: b.Md5, EncryptedDataKey: b.EncryptedDataKey,
			LastModified: b.LastModified}, IPs: b.IPs}
	}
	return c, nil
}

// append implements historyLog: one line, fsynced; the file is compacted
// to the newest limit entries once it holds twice as many.
func (f *configFiles) append(e HistoryEntry) error {
	e.ID = f.ids.next()
	line, err := json.Marshal(savedEntry{Namespace: e.Key.Namespace, Group: e.Key.Group, DataID: e.Key.DataID, HistoryEntry: e})
	if err != nil {
		return err
	}
	path := f.base(e.Key) + ".history.jsonl"
	f.mu.Lock()
	defer f.mu.Unlock()
	n, known := f.lines[e.Key]
	if !known {
		all, err := f.readHistory(e.Key)
		if err != nil {
			return err
		}
		n = len(all)
	}
	if err := appendLine(f.dir, path, line); err != nil {
		return err
	}
	n++
	if n >= 2*f.limit {
		if err := f.compact(e.Key); err != nil {
			return err
		}
		n = f.limit
	}
	f.lines[e.Key] = n
	return nil
}

// appendLine appends line and a newline to path and fsyncs it.
func appendLine(dir, path string, line []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	_, err = fh.Write(append(line, '\n'))
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("append to %s: %w", path, err)
	}
	return nil
}

// compact rewrites key's history with its newest limit entries. Callers
// hold mu.
func (f *configFiles) compact(key ConfigKey) error {
	all, err := f.readHistory(key)
	if err != nil {
		return err
	}
	all = all[max(0, len(all)-f.limit):]
	var buf bytes.Buffer
	for _, e := range all {
		line, err := json.Marshal(savedEntry{Namespace: key.Namespace, Group: key.Group, DataID: key.DataID, HistoryEntry: e})
		if err != nil {
			return err
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return writeFileDurably(f.dir, f.base(key)+".history.jsonl", ".history-*.tmp", buf.Bytes())
}

// readHistory reads key's history, oldest first.
func (f *configFiles) readHistory(key ConfigKey) ([]HistoryEntry, error) {
	path := f.base(key) + ".history.jsonl"
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config history: %w", err)
	}
	var out []HistoryEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), len(data)+1)
	for n := 1; sc.Scan(); n++ {
		var se savedEntry
		if err := json.Unmarshal(sc.Bytes(), &se); err != nil {
			torn := n == strings.Count(string(data), "\n")+1 // the last line, without its newline
			if torn {
				break
			}
			return nil, fmt.Errorf("config history %s line %d is corrupt: %w", path, n, err)
		}
		se.HistoryEntry.Key = key
		out = append(out, se.HistoryEntry)
	}
	if len(out) > 0 {
		f.ids.raise(out[len(out)-1].ID)
	}
	return out, nil
}

func (f *configFiles) page(key ConfigKey, pageNo, pageSize int) (int, []HistoryEntry, error) {
	f.mu.Lock()
	all, err := f.readHistory(key)
	f.mu.Unlock()
	if err != nil {
		return 0, nil, err
	}
	all = all[max(0, len(all)-f.limit):]
	return len(all), pageOf(all, pageNo, pageSize), nil
}

func (f *configFiles) entry(key ConfigKey, id int64) (HistoryEntry, bool, error) {
	f.mu.Lock()
	all, err := f.readHistory(key)
	f.mu.Unlock()
	if err != nil {
		return HistoryEntry{}, false, err
	}
	e, ok := findEntry(all[max(0, len(all)-f.limit):], id)
	return e, ok, nil
}
