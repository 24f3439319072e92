// Command fleetsum summarises fleet.sh's JSON lines as the ratios
// benchmarks/RESULTS.md states: per round, each variant's figure against
// the floor measured in that round and, with -base, against a base
// variant's figure in the same round. On a shared, noisy machine single
// runs swing by a fifth; ratios within a round do not drift with the
// machine.
//
//	go run ./benchmarks/cmd/fleetsum [-base event@base:lean] OUT.jsonl...
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	base := flag.String("base", "", "variant to compare the others with, round by round")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: fleetsum [-base VARIANT] OUT.jsonl...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	for _, path := range flag.Args() {
		if err := summariseFile(os.Stdout, path, *base); err != nil {
			fmt.Fprintln(os.Stderr, "fleetsum:", err)
			os.Exit(1)
		}
	}
}

func summariseFile(w io.Writer, path, base string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rounds, err := readRounds(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(w, "# %s: %d rounds\n", path, len(rounds))
	summarise(w, rounds, base)
	return nil
}
