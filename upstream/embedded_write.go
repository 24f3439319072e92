package upstream

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Register fills owner's slot for key with instances, replacing what it
// held (see Registry). Every instance is normalised (normalizeInstance) and
// validated first; on any error nothing changes. An empty instances list
// empties the slot, like Deregister. Weight, healthy, enabled and metadata
// are stored exactly as sent.
func (e *Embedded) Register(ctx context.Context, owner string, key ServiceKey, instances []Instance) error {
	key = key.Normalize()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("register %s: %w", key, err)
	}
	slot, err := prepareSlot(owner, key, instances)
	if err != nil {
		return fmt.Errorf("register %s: %w", key, err)
	}
	if err := e.setSlot(owner, key, slot); err != nil {
		return fmt.Errorf("register %s: %w", key, err)
	}
	return nil
}

// Deregister empties owner's slot for key without looking at its content.
// Emptying an empty slot changes nothing and notifies nobody.
func (e *Embedded) Deregister(ctx context.Context, owner string, key ServiceKey) error {
	key = key.Normalize()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("deregister %s: %w", key, err)
	}
	if err := checkOwnerAndKey(owner, key); err != nil {
		return fmt.Errorf("deregister %s: %w", key, err)
	}
	if err := e.setSlot(owner, key, nil); err != nil {
		return fmt.Errorf("deregister %s: %w", key, err)
	}
	return nil
}

// prepareSlot validates the request and returns the normalised instances
// the slot will hold (nil for an empty list). A persistent slot holds at
// most one instance, whose health-check metadata must be valid.
func prepareSlot(owner string, key ServiceKey, instances []Instance) ([]Instance, error) {
	if err := checkOwnerAndKey(owner, key); err != nil {
		return nil, err
	}
	if len(instances) == 0 {
		return nil, nil
	}
	persistent := IsPersistentOwner(owner)
	if persistent && len(instances) > 1 {
		return nil, invalid("instances", "a persistent instance is registered alone, got %d", len(instances))
	}
	slot := make([]Instance, len(instances))
	for i, in := range instances {
		in = normalizeInstance(key, in, !persistent)
		err := ValidateInstance(in)
		if err == nil && persistent {
			err = ValidateHealthMetadata(in.Metadata)
		}
		if err != nil {
			return nil, fmt.Errorf("instance %d (%s:%d): %w", i, in.IP, in.Port, err)
		}
		slot[i] = in
	}
	return slot, nil
}

func checkOwnerAndKey(owner string, key ServiceKey) error {
	if owner == "" {
		return invalid("owner", "must not be blank")
	}
	return ValidateKey(key)
}

// normalizeInstance returns in as the registry stores it: clusterName
// DEFAULT when blank, instanceId "ip#port#cluster#group@@name" when blank,
// ephemeral as the slot's owner decides, serviceName "group@@name", and a
// private copy of the metadata (an empty map for nil, so JSON carries {}).
func normalizeInstance(key ServiceKey, in Instance, ephemeral bool) Instance {
	if strings.TrimSpace(in.ClusterName) == "" {
		in.ClusterName = DefaultCluster
	}
	if strings.TrimSpace(in.InstanceID) == "" {
		in.InstanceID = fmt.Sprintf("%s#%d#%s#%s", in.IP, in.Port, in.ClusterName, key.Grouped())
	}
	in.Ephemeral = ephemeral
	in.ServiceName = key.Grouped()
	md := make(map[string]string, len(in.Metadata))
	maps.Copy(md, in.Metadata)
	in.Metadata = md
	return in
}

// setSlot stores slot (nil = empty) as owner's slot of key and publishes a
// new snapshot if the service's instances changed. A change to a persistent
// service is saved first (when the registry has a data directory, see
// setPersistentSlot); if that fails, nothing changes.
func (e *Embedded) setSlot(owner string, key ServiceKey, slot []Instance) error {
	if e.file != nil && IsPersistentOwner(owner) {
		return e.setPersistentSlot(owner, key, slot)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	ent := e.services[key]
	if ent == nil {
		if slot == nil {
			return nil
		}
		// A new service starts above every empty answer given for it.
		ent = &entry{slots: make(map[string][]Instance), snap: Service{Key: key, Revision: e.floor.Load()}}
		e.services[key] = ent
	}
	defer e.dropIfUnused(key, ent)
	if slot != nil {
		if err := ent.checkKind(key, owner); err != nil {
			return err
		}
	}
	old := ent.slots[owner]
	ent.put(owner, slot)
	if err := e.commit(ent); err != nil {
		ent.put(owner, old)
		return err
	}
	return nil
}

// commit publishes the entry's instances as its next snapshot if they
// changed. It never saves: persistent slots of a registry with a data
// directory go through setPersistentSlot. Callers hold mu exclusively.
func (e *Embedded) commit(ent *entry) error {
	instances := ent.flatten()
	if sameInstances(instances, ent.snap.Instances) {
		return nil
	}
	ent.install(e.next(ent, instances))
	return nil
}

// install makes snap the entry's snapshot and hands it to every
// subscriber. Callers hold mu exclusively.
func (ent *entry) install(snap Service) {
	ent.snap = snap
	for b := range ent.subs {
		b.Offer(snap)
	}
}

// next returns the snapshot that follows the entry's current one.
func (e *Embedded) next(ent *entry, instances []Instance) Service {
	now := e.now()
	rev := max(now.UnixMilli(), ent.snap.Revision+1)
	return Service{Key: ent.snap.Key, Revision: rev, Instances: instances, Changed: now}
}

// put stores slot as owner's slot; nil deletes it.
func (ent *entry) put(owner string, slot []Instance) {
	if slot == nil {
		delete(ent.slots, owner)
	} else {
		ent.slots[owner] = slot
	}
}

// hasPersistent reports whether the snapshot holds persistent instances.
func (s Service) hasPersistent() bool {
	return len(s.Instances) > 0 && !s.Instances[0].Ephemeral
}

// checkKind refuses to put a slot of owner into a service that holds
// instances of the other kind (ephemeral vs persistent), as Nacos does.
func (ent *entry) checkKind(key ServiceKey, owner string) error {
	for other := range ent.slots {
		if other == owner || IsPersistentOwner(other) == IsPersistentOwner(owner) {
			return nil
		}
		return fmt.Errorf("%w: service %s holds %s instances; %s instances cannot be registered into it (deregister them first)",
			ErrInvalid, key, kindName(other), kindName(owner))
	}
	return nil
}

func kindName(owner string) string {
	if IsPersistentOwner(owner) {
		return "persistent"
	}
	return "ephemeral"
}

// flatten concatenates the slots in owner order; nil when all are empty.
func (ent *entry) flatten() []Instance { return flattenSlots(ent.slots) }

func flattenSlots(slots map[string][]Instance) []Instance {
	owners := slices.Sorted(maps.Keys(slots))
	var out []Instance
	for _, o := range owners {
		out = append(out, slots[o]...)
	}
	return out
}

// withSlot is ent's instances as they would be with owner's slot set to
// slot (nil = empty), without changing ent.
func (ent *entry) withSlot(owner string, slot []Instance) []Instance {
	slots := maps.Clone(ent.slots)
	if slot == nil {
		delete(slots, owner)
	} else {
		slots[owner] = slot
	}
	return flattenSlots(slots)
}

// sameInstances reports whether a and b hold equal instances in the same
// order.
func sameInstances(a, b []Instance) bool {
	return slices.EqualFunc(a, b, sameInstance)
}

// sameInstance compares every field of Instance (a test guards the field
// count, so a new field cannot be forgotten here).
func sameInstance(x, y Instance) bool {
	return x.InstanceID == y.InstanceID && x.IP == y.IP && x.Port == y.Port &&
		x.Weight == y.Weight && x.Healthy == y.Healthy && x.Enabled == y.Enabled &&
		x.Ephemeral == y.Ephemeral && x.ClusterName == y.ClusterName &&
		x.ServiceName == y.ServiceName && maps.Equal(x.Metadata, y.Metadata) &&
		x.InstanceHeartBeatInterval == y.InstanceHeartBeatInterval &&
		x.InstanceHeartBeatTimeOut == y.InstanceHeartBeatTimeOut &&
		x.IPDeleteTimeout == y.IPDeleteTimeout
}
