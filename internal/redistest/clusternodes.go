package redistest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// clusterNode is one line of CLUSTER NODES.
type clusterNode struct {
	id     string
	addr   string   // "127.0.0.1:<port>"
	flags  []string // "myself", "master", "slave", "fail", "fail?", ...
	master string   // the master's id for a replica, "" otherwise
	slots  [][2]int // slot ranges served, first and last
}

func (n *clusterNode) has(flag string) bool { return slices.Contains(n.flags, flag) }

// clusterNodes is the node at addr's view of the cluster.
func clusterNodes(ctx context.Context, addr string) ([]clusterNode, error) {
	var text string
	err := withNode(addr, func(n *redis.Client) error {
		var err error
		text, err = n.ClusterNodes(ctx).Result()
		return err
	})
	if err != nil {
		return nil, err
	}
	return parseClusterNodes(text)
}

// parseClusterNodes parses CLUSTER NODES output:
//
//	<id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch> <link> <slot>...
//
// Slots are "n" or "lo-hi"; migration markers ("[n->-id]") are skipped.
func parseClusterNodes(text string) ([]clusterNode, error) {
	var nodes []clusterNode
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 8 {
			return nil, fmt.Errorf("cluster nodes line %q: too few fields", line)
		}
		addr, _, _ := strings.Cut(f[1], "@")
		n := clusterNode{id: f[0], addr: addr, flags: strings.Split(f[2], ",")}
		if f[3] != "-" {
			n.master = f[3]
		}
		for _, s := range f[8:] {
			if strings.HasPrefix(s, "[") {
				continue
			}
			r, err := parseSlotRange(s)
			if err != nil {
				return nil, fmt.Errorf("cluster nodes line %q: %w", line, err)
			}
			n.slots = append(n.slots, r)
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

func parseSlotRange(s string) ([2]int, error) {
	loS, hiS, isRange := strings.Cut(s, "-")
	lo, err := strconv.Atoi(loS)
	if err != nil {
		return [2]int{}, fmt.Errorf("slot %q: %w", s, err)
	}
	hi := lo
	if isRange {
		if hi, err = strconv.Atoi(hiS); err != nil {
			return [2]int{}, fmt.Errorf("slot %q: %w", s, err)
		}
	}
	return [2]int{lo, hi}, nil
}

// containsLine reports whether INFO-style text has the line want.
func containsLine(text, want string) bool {
	for line := range strings.Lines(text) {
		if strings.TrimRight(line, "\r\n") == want {
			return true
		}
	}
	return false
}

// withNodeKeys reads up to 100 keys of slot from the node at addr.
func withNodeKeys(ctx context.Context, addr string, slot int, keys *[]string) error {
	return withNode(addr, func(n *redis.Client) error {
		var err error
		*keys, err = n.ClusterGetKeysInSlot(ctx, slot, 100).Result()
		return err
	})
}
