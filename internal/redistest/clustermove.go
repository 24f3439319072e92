package redistest

import (
	"context"
	"fmt"
	"strconv"
)

// MoveSlot moves one slot, with its keys, from the master serving it to
// the master at toAddr, as redis-cli --cluster reshard does: the target
// marks it IMPORTING and the source MIGRATING (so clients get ASK for keys
// already moved), the keys are MIGRATEd in batches, and every master is
// told the slot's new owner (clients then get MOVED). Writes to the slot
// may go on meanwhile. It fails the test if any step fails.
func (c *Cluster) MoveSlot(slot int, toAddr string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if err := c.moveSlot(ctx, slot, toAddr); err != nil {
		c.t.Fatalf("redistest: move slot %d to %s: %v", slot, toAddr, err)
	}
}

func (c *Cluster) moveSlot(ctx context.Context, slot int, toAddr string) error {
	nodes, err := c.view(ctx)
	if err != nil {
		return err
	}
	from := ownerOf(nodes, slot)
	if from == nil {
		return fmt.Errorf("slot %d has no master", slot)
	}
	if from.addr == toAddr {
		return nil
	}
	to := c.Server(toAddr)
	toID, err := nodeID(ctx, toAddr)
	if err != nil || to == nil {
		return fmt.Errorf("target: %v", err)
	}
	if err := c.do(ctx, toAddr, "CLUSTER", "SETSLOT", slot, "IMPORTING", from.id); err != nil {
		return fmt.Errorf("importing: %w", err)
	}
	if err := c.do(ctx, from.addr, "CLUSTER", "SETSLOT", slot, "MIGRATING", toID); err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	if err := c.migrateKeys(ctx, from.addr, to, slot); err != nil {
		return err
	}
	// The target first, then the source, then the other masters (as
	// redis-cli does); replicas follow their masters.
	targets := []string{toAddr, from.addr}
	for _, n := range nodes {
		if n.has("master") && !n.has("fail") && !c.isKilled(n.addr) && n.addr != toAddr && n.addr != from.addr {
			targets = append(targets, n.addr)
		}
	}
	for _, a := range targets {
		if err := c.do(ctx, a, "CLUSTER", "SETSLOT", slot, "NODE", toID); err != nil {
			return fmt.Errorf("setslot node on %s: %w", a, err)
		}
	}
	return c.await(ctx, fmt.Sprintf("every node sees slot %d at %s", slot, toAddr), func(ctx context.Context) error {
		return c.everyLive(ctx, func(ctx context.Context, a string) error {
			nodes, err := clusterNodes(ctx, a)
			if err != nil {
				return err
			}
			if n := ownerOf(nodes, slot); n == nil || n.addr != toAddr {
				return fmt.Errorf("sees slot %d at %+v", slot, n)
			}
			return nil
		})
	})
}

// migrateKeys MIGRATEs the slot's keys from the source to the target in
// batches of 100 until none is left.
func (c *Cluster) migrateKeys(ctx context.Context, fromAddr string, to *Server, slot int) error {
	for {
		var keys []string
		err := withNodeKeys(ctx, fromAddr, slot, &keys)
		if err != nil {
			return fmt.Errorf("getkeysinslot: %w", err)
		}
		if len(keys) == 0 {
			return nil
		}
		args := []any{"MIGRATE", "127.0.0.1", strconv.Itoa(to.port), "", 0, 5000, "KEYS"}
		for _, k := range keys {
			args = append(args, k)
		}
		if err := c.do(ctx, fromAddr, args...); err != nil {
			return fmt.Errorf("migrate %d keys: %w", len(keys), err)
		}
	}
}
