package upstream

import "fmt"

// Durable changes of persistent instances without holding mu across the
// disk. A change is staged under mu (validated, its next snapshot made and
// the file's new content encoded, nothing changed), written and fsynced
// with no registry lock held, and then installed under mu, provided the
// service did not change meanwhile; if it did (an ephemeral registration
// raced into a service that was empty), the change is staged again.
// saveMu serialises these changes, so the file is written in the order
// they are installed; readers and ephemeral writers never wait for it.

// maxStageAttempts bounds how often a change is staged again after a race.
const maxStageAttempts = 8

// staged is a persistent change ready to install.
type staged struct {
	ent  *entry // nil: the service has no entry yet
	base int64  // the entry's revision the change was made against
	snap Service
	data []byte // the file's new content
}

// setPersistentSlot is setSlot for a persistent owner with a data
// directory.
func (e *Embedded) setPersistentSlot(owner string, key ServiceKey, slot []Instance) error {
	e.saveMu.Lock()
	defer e.saveMu.Unlock()
	for range maxStageAttempts {
		st, err := e.stageSlot(owner, key, slot)
		if err != nil || st == nil {
			return err
		}
		if err := e.file.write(st.data); err != nil {
			return err
		}
		done, err := e.installSlot(owner, key, slot, st)
		if done || err != nil {
			return err
		}
	}
	return fmt.Errorf("service %s kept changing while its persistent instance was saved; try again", key)
}

// stageSlot prepares owner's slot change; nil when it changes nothing.
func (e *Embedded) stageSlot(owner string, key ServiceKey, slot []Instance) (*staged, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	ent := e.services[key]
	cur := ent
	if cur == nil {
		if slot == nil {
			return nil, nil
		}
		cur = &entry{slots: map[string][]Instance{}, snap: Service{Key: key, Revision: e.floor.Load()}}
	}
	if slot != nil {
		if err := cur.checkKind(key, owner); err != nil {
			return nil, err
		}
	}
	instances := cur.withSlot(owner, slot)
	if sameInstances(instances, cur.snap.Instances) {
		return nil, nil
	}
	st := &staged{ent: ent, base: cur.snap.Revision, snap: e.next(cur, instances)}
	data, err := e.encodeSaved(st.snap)
	if err != nil {
		return nil, err
	}
	st.data = data
	return st, nil
}

// installSlot installs a staged slot change unless the service changed
// since it was staged (done false: stage again).
func (e *Embedded) installSlot(owner string, key ServiceKey, slot []Instance, st *staged) (done bool, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false, ErrClosed
	}
	ent := e.services[key]
	if ent != st.ent || ent != nil && ent.snap.Revision != st.base {
		return false, nil
	}
	if ent == nil {
		ent = &entry{slots: map[string][]Instance{}, snap: Service{Key: key, Revision: st.base}}
		e.services[key] = ent
	}
	ent.put(owner, slot)
	ent.install(st.snap)
	e.dropIfUnused(key, ent)
	return true, nil
}
