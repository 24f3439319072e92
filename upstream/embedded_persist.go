package upstream

// Persistence of the embedded registry's persistent instances.
//
// The data directory holds one small file, persistent-instances.json: a
// versioned JSON snapshot of every service that holds persistent
// instances, with its revision. Persistent changes are rare (explicit
// registrations and health changes), so the whole file is rewritten on each
// one, before the change is published and before Register or Deregister
// returns, with no registry lock held across the disk (embedded_save.go):
// temp file in the same directory, fsync,
// rename over the old file, fsync of the directory. A crash leaves either
// the old or the new file, never a torn one.

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// SnapshotFileName is the name of the file in the data directory.
const SnapshotFileName = "persistent-instances.json"

// maxSavedRevision bounds a loaded revision (epoch milliseconds), far
// above any real clock, so that counting on from it cannot overflow.
const maxSavedRevision = 1 << 60

// snapshotVersion is the format version written; load accepts only it.
const snapshotVersion = 1

// tempPattern names the temp files write creates (os.CreateTemp pattern).
const tempPattern = "." + SnapshotFileName + ".*.tmp"

// snapshotFile is where a registry saves its persistent instances.
type snapshotFile struct {
	writing func() // tests: called as a write begins
	dir     string
	path    string
}

func newSnapshotFile(dir string) *snapshotFile {
	return &snapshotFile{dir: dir, path: filepath.Join(dir, SnapshotFileName)}
}

// savedState is the file's JSON document.
type savedState struct {
	Version  int            `json:"version"`
	Services []savedService `json:"services"`
}

// savedService is one service's persistent instances and revision.
type savedService struct {
	Namespace string     `json:"namespace"`
	Group     string     `json:"group"`
	Name      string     `json:"name"`
	Revision  int64      `json:"revision"`
	Instances []Instance `json:"instances"`
}

// encodeSaved is the file's content: every persistent service, taking
// pending snapshots (not yet installed) in place of their services'
// current ones. Callers hold mu.
func (e *Embedded) encodeSaved(pending ...Service) ([]byte, error) {
	state := savedState{Version: snapshotVersion, Services: []savedService{}}
	staged := make(map[ServiceKey]Service, len(pending))
	for _, p := range pending {
		staged[p.Key] = p
	}
	for _, p := range pending {
		if e.services[p.Key] == nil && p.hasPersistent() { // a service created by the change
			state.Services = append(state.Services, savedService{Namespace: p.Key.Namespace, Group: p.Key.Group,
				Name: p.Key.Name, Revision: p.Revision, Instances: p.Instances})
		}
	}
	for key, ent := range e.services {
		snap, ok := staged[key]
		if !ok {
			snap = ent.snap
		}
		if snap.hasPersistent() {
			state.Services = append(state.Services, savedService{
				Namespace: key.Namespace, Group: key.Group, Name: key.Name,
				Revision: snap.Revision, Instances: snap.Instances,
			})
		}
	}
	slices.SortFunc(state.Services, func(a, b savedService) int {
		return compareKeys(a.key(), b.key())
	})
	data, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("save persistent instances: %w", err)
	}
	return data, nil
}

func (s savedService) key() ServiceKey {
	return ServiceKey{Namespace: s.Namespace, Group: s.Group, Name: s.Name}
}

func compareKeys(a, b ServiceKey) int {
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Group, b.Group), cmp.Compare(a.Name, b.Name))
}

// write replaces the file with data atomically and durably.
func (f *snapshotFile) write(data []byte) error {
	if f.writing != nil {
		f.writing()
	}
	if err := writeFileDurably(f.dir, f.path, tempPattern, data); err != nil {
		return fmt.Errorf("save persistent instances: %w", err)
	}
	return nil
}

// read returns the saved state; a missing file is an empty state. Temp
// files a crash left behind are removed.
func (f *snapshotFile) read() (savedState, error) {
	stale, _ := filepath.Glob(filepath.Join(f.dir, tempPattern))
	for _, name := range stale {
		os.Remove(name)
	}
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return savedState{Version: snapshotVersion}, nil
	}
	if err != nil {
		return savedState{}, fmt.Errorf("read persistent instances: %w", err)
	}
	var state savedState
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&state); err != nil {
		return savedState{}, fmt.Errorf("persistent instances file %s is corrupt: %w", f.path, err)
	}
	if state.Version != snapshotVersion {
		return savedState{}, fmt.Errorf("persistent instances file %s has version %d; this Herald reads version %d", f.path, state.Version, snapshotVersion)
	}
	return state, nil
}

// load fills the registry from its data directory. Called before the
// registry is shared, so it takes no lock.
func (e *Embedded) load() error {
	state, err := e.file.read()
	if err != nil {
		return err
	}
	now := e.now()
	for i, s := range state.Services {
		ent, err := loadedEntry(s)
		if err != nil {
			return fmt.Errorf("persistent instances file %s: service %d: %w", e.file.path, i, err)
		}
		key := ent.snap.Key
		if e.services[key] != nil {
			return fmt.Errorf("persistent instances file %s: service %s appears twice", e.file.path, key)
		}
		e.raiseFloor(s.Revision)
		ent.snap.Revision = max(now.UnixMilli(), s.Revision+1)
		ent.snap.Changed = now
		e.services[key] = ent
	}
	return nil
}

// loadedEntry validates one saved service and builds its entry (revision
// still as saved).
func loadedEntry(s savedService) (*entry, error) {
	key := s.key()
	if err := ValidateKey(key); err != nil || key != key.Normalize() {
		return nil, fmt.Errorf("bad service key %q: %v", key, err)
	}
	if s.Revision < 0 || s.Revision > maxSavedRevision {
		return nil, fmt.Errorf("%s: revision %d out of range 0..%d", key, s.Revision, int64(maxSavedRevision))
	}
	ent := &entry{slots: make(map[string][]Instance)}
	for _, in := range s.Instances {
		in = normalizeInstance(key, in, false)
		if err := ValidateInstance(in); err != nil {
			return nil, fmt.Errorf("%s: instance %s:%d: %w", key, in.IP, in.Port, err)
		}
		owner := PersistentOwner(in)
		if ent.slots[owner] != nil {
			return nil, fmt.Errorf("%s: instance %s:%d appears twice", key, in.IP, in.Port)
		}
		ent.slots[owner] = []Instance{in}
	}
	if len(ent.slots) == 0 {
		return nil, fmt.Errorf("%s: no instances", key)
	}
	ent.snap = Service{Key: key, Revision: s.Revision, Instances: ent.flatten()}
	return ent, nil
}
