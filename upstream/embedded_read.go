package upstream

import (
	"context"
	"fmt"
	"slices"
)

// Query returns the current snapshot of key, unfiltered (shape it with
// Service.Info). A service without an entry yields an empty snapshot with
// revision max(now, floor), which raises the floor (see NewEmbedded). An
// invalid key returns an error wrapping ErrInvalid.
func (e *Embedded) Query(ctx context.Context, key ServiceKey) (Service, error) {
	key = key.Normalize()
	if err := ctx.Err(); err != nil {
		return Service{}, fmt.Errorf("query %s: %w", key, err)
	}
	if err := ValidateKey(key); err != nil {
		return Service{}, fmt.Errorf("query %s: %w", key, err)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return Service{}, fmt.Errorf("query %s: %w", key, ErrClosed)
	}
	if ent := e.services[key]; ent != nil {
		return ent.snap, nil
	}
	return Service{Key: key, Revision: e.emptyRevision()}, nil
}

// List returns one page of the bare names of the services in namespace and
// group ("" defaults to public and DEFAULT_GROUP) that have at least one
// instance, sorted, with the total count before paging. pageNo < 1 is
// treated as 1; pageSize < 1 is an error wrapping ErrInvalid. A page past
// the end is empty (non-nil) with the total still correct.
func (e *Embedded) List(ctx context.Context, namespace, group string, pageNo, pageSize int) (int, []string, error) {
	key := ServiceKey{Namespace: namespace, Group: group}.Normalize()
	if err := ctx.Err(); err != nil {
		return 0, nil, fmt.Errorf("list %s/%s: %w", key.Namespace, key.Group, err)
	}
	if err := checkListArgs(key, pageSize); err != nil {
		return 0, nil, fmt.Errorf("list %s/%s: %w", key.Namespace, key.Group, err)
	}
	names, err := e.listNames(key.Namespace, key.Group)
	if err != nil {
		return 0, nil, fmt.Errorf("list %s/%s: %w", key.Namespace, key.Group, err)
	}
	return len(names), page(names, max(pageNo, 1), pageSize), nil
}

func checkListArgs(key ServiceKey, pageSize int) error {
	if err := namespaceRule.check(key.Namespace); err != nil {
		return err
	}
	if err := groupRule.check(key.Group); err != nil {
		return err
	}
	if pageSize < 1 {
		return invalid("pageSize", "must be at least 1, got %d", pageSize)
	}
	return nil
}

// listNames returns the sorted names of the non-empty services in a
// namespace and group.
func (e *Embedded) listNames(namespace, group string) ([]string, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, ErrClosed
	}
	var names []string
	for k, ent := range e.services {
		if k.Namespace == namespace && k.Group == group && len(ent.snap.Instances) > 0 {
			names = append(names, k.Name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// page returns page pageNo (from 1) of names; never nil.
func page(names []string, pageNo, pageSize int) []string {
	pages := len(names) / pageSize
	if len(names)%pageSize != 0 {
		pages++
	}
	if pageNo > pages {
		return []string{}
	}
	start := (pageNo - 1) * pageSize
	end := start + min(pageSize, len(names)-start)
	return slices.Clone(names[start:end])
}
