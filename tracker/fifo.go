package tracker

// fifo is a slice-backed queue with indexed access: push at the back, pop
// at the front, amortised O(1). Not safe for concurrent use.
type fifo[T any] struct {
	items []T
	head  int // items[head:] are queued
}

func (f *fifo[T]) len() int   { return len(f.items) - f.head }
func (f *fifo[T]) at(i int) T { return f.items[f.head+i] }
func (f *fifo[T]) front() T   { return f.items[f.head] }
func (f *fifo[T]) push(v T)   { f.items = append(f.items, v) }

// popFront removes the front item; the queue must not be empty.
func (f *fifo[T]) popFront() T {
	v := f.items[f.head]
	var zero T
	f.items[f.head] = zero // let the GC have it
	f.head++
	if f.head >= 32 && 2*f.head >= len(f.items) {
		f.compact()
	}
	return v
}

// compact moves the queued items to the start of the array, and into a
// smaller one when most of the array is unused.
func (f *fifo[T]) compact() {
	n := f.len()
	if cap(f.items) > 4*n+64 {
		f.items = append(make([]T, 0, 2*n+16), f.items[f.head:]...)
	} else {
		copy(f.items, f.items[f.head:])
		clear(f.items[n:])
		f.items = f.items[:n]
	}
	f.head = 0
}
