package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// summarise prints one block per workload: each variant's figures round
// by round, then their ratios to the round's floor and to base's figure
// in the same round, with the ratios' median.
func summarise(w io.Writer, rounds []*round, base string) {
	for _, wl := range workloads(rounds) {
		fmt.Fprintf(w, "\n## %s\n", wl)
		for _, v := range variants(rounds, base) {
			var col columns
			for _, rd := range rounds {
				r, ok := rd.runs[v][wl]
				if !ok {
					continue
				}
				col.add(rd, r, rd.runs[base][wl], base != "" && v != base)
			}
			if len(col.value) > 0 {
				col.print(w, v)
			}
		}
	}
}

// columns are one variant's figures in one workload, a value per round.
type columns struct {
	unit                      string
	value, perFloor, perBase  []float64
	p99, p99PerFloor, p99Base []float64
	// the load generator's CPU per push, and it against the floor's client
	client, clientPerFloor []float64
	failed                 int
}

func (c *columns) add(rd *round, r, b run, compare bool) {
	if r.failed {
		c.failed++
	}
	v, bv := r.cpu, b.cpu
	c.unit = "µs CPU per push"
	switch {
	case r.workload == "register":
		v, bv, c.unit = r.rate, b.rate, "ops/s"
	case r.kib > 0:
		v, bv, c.unit = r.kib, b.kib, "KiB per connection"
	}
	c.value = append(c.value, v)
	if compare && bv > 0 {
		c.perBase = append(c.perBase, v/bv)
	}
	if subs, ok := fanoutSubs(r.workload); ok {
		f := rd.floors[subs]
		if f.cpu > 0 {
			c.perFloor = append(c.perFloor, v/f.cpu)
		}
		c.p99 = append(c.p99, r.p99)
		if r.client > 0 {
			c.client = append(c.client, r.client)
			if f.client > 0 {
				c.clientPerFloor = append(c.clientPerFloor, r.client/f.client)
			}
		}
		if f.p99 > 0 {
			c.p99PerFloor = append(c.p99PerFloor, r.p99/f.p99)
		}
		if compare && b.p99 > 0 {
			c.p99Base = append(c.p99Base, r.p99/b.p99)
		}
	}
}

func (c *columns) print(w io.Writer, variant string) {
	fmt.Fprintf(w, "%-22s %s: %s", variant, c.unit, list(c.value, 1))
	if c.failed > 0 {
		fmt.Fprintf(w, " (%d failed)", c.failed)
	}
	fmt.Fprintln(w)
	ratio := func(name string, xs []float64) {
		if len(xs) > 0 {
			fmt.Fprintf(w, "%-22s   %s: %s (median %.2f)\n", "", name, list(xs, 2), median(xs))
		}
	}
	ratio("/ floor", c.perFloor)
	ratio("/ base", c.perBase)
	if len(c.p99) > 0 {
		fmt.Fprintf(w, "%-22s   p99 ms: %s\n", "", list(c.p99, 0))
	}
	ratio("p99 / floor round", c.p99PerFloor)
	ratio("p99 / base", c.p99Base)
	// The p99 is taken where the client acks: a load generator slower
	// than the floor's client sets part of it.
	if len(c.client) > 0 {
		fmt.Fprintf(w, "%-22s   load generator µs CPU per push: %s\n", "", list(c.client, 1))
	}
	ratio("/ floor client", c.clientPerFloor)
}

// fanoutSubs is the subscriber count of a fan-out workload.
func fanoutSubs(workload string) (int, bool) {
	f := strings.Fields(workload)
	if len(f) != 3 || f[0] != "fan-out" {
		return 0, false
	}
	n, err := strconv.Atoi(f[1])
	return n, err == nil
}

func workloads(rounds []*round) []string {
	seen := map[string]bool{}
	for _, rd := range rounds {
		for _, byWorkload := range rd.runs {
			for wl := range byWorkload {
				seen[wl] = true
			}
		}
	}
	return sortedKeys(seen)
}

// variants lists every variant, base first.
func variants(rounds []*round, base string) []string {
	seen := map[string]bool{}
	for _, rd := range rounds {
		for v := range rd.runs {
			seen[v] = true
		}
	}
	vs := sortedKeys(seen)
	if i := slices.Index(vs, base); i > 0 {
		vs = append(append([]string{base}, vs[:i]...), vs[i+1:]...)
	}
	return vs
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func list(xs []float64, prec int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.FormatFloat(x, 'f', prec, 64)
	}
	return strings.Join(parts, " / ")
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
