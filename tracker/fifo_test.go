package tracker

import (
	"math/rand/v2"
	"testing"
)

// TestFifoMatchesASlice runs random pushes and pops, in bursts long
// enough to cross many blocks, against a plain slice, checking every
// item's place after each step and that the queue holds little more than
// its items.
func TestFifoMatchesASlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var f fifo[int]
	var model []int
	next := 0
	for step := range 4000 {
		burst := rng.IntN(3 * fifoBlock)
		if rng.IntN(2) == 0 {
			for range burst {
				f.push(next)
				model = append(model, next)
				next++
			}
		} else {
			for range min(burst, len(model)) {
				if got := f.popFront(); got != model[0] {
					t.Fatalf("step %d: popFront %d, want %d", step, got, model[0])
				}
				model = model[1:]
			}
		}
		if f.len() != len(model) {
			t.Fatalf("step %d: len %d, want %d", step, f.len(), len(model))
		}
		for i, want := range model {
			if got := f.at(i); got != want {
				t.Fatalf("step %d: at(%d) = %d, want %d", step, i, got, want)
			}
		}
		if len(model) > 0 && f.front() != model[0] {
			t.Fatalf("step %d: front %d, want %d", step, f.front(), model[0])
		}
		if held := fifoCap(&f); held > len(model)+3*fifoBlock {
			t.Fatalf("step %d: %d items held for %d queued", step, held, len(model))
		}
	}
}

// TestFifoShortQueueStaysSmall: a queue that never holds more than a few
// items, pushed and popped a great many times, keeps a small array.
func TestFifoShortQueueStaysSmall(t *testing.T) {
	var f fifo[int]
	for i := range 100_000 {
		f.push(i)
		if f.len() > 3 {
			if got := f.popFront(); got != i-3 {
				t.Fatalf("popFront %d, want %d", got, i-3)
			}
		}
	}
	if held := fifoCap(&f); held > 128 {
		t.Fatalf("a queue of %d holds an array of %d", f.len(), held)
	}
}

func fifoCap[T any](f *fifo[T]) int {
	n := 0
	for _, b := range f.blocks {
		n += cap(b)
	}
	return n
}
