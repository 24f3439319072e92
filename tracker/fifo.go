package tracker

// fifoBlock is the most items one block of a fifo holds.
const fifoBlock = 512

// fifo is a queue with indexed access: push at the back, pop at the
// front, O(1). Its items live in blocks of fifoBlock, so a long queue
// (the memory store's logs and eviction queue hold up to a million
// records) grows by adding a block, never by copying what it holds, and
// gives blocks back as its front is popped. A short queue is one block
// that grows as a slice does and is compacted as its front advances, so
// it holds little more than its items. Not safe for concurrent use.
type fifo[T any] struct {
	// blocks[0][head:], then blocks[1:]: every block but the last is
	// full (fifoBlock items), so item i is at (head+i)/fifoBlock.
	blocks [][]T
	head   int
	n      int
}

func (f *fifo[T]) len() int { return f.n }

func (f *fifo[T]) at(i int) T {
	j := f.head + i
	return f.blocks[j/fifoBlock][j%fifoBlock]
}

func (f *fifo[T]) front() T { return f.blocks[0][f.head] }

func (f *fifo[T]) push(v T) {
	last := len(f.blocks) - 1
	if last < 0 || len(f.blocks[last]) == fifoBlock {
		var b []T
		if last >= 0 {
			b = make([]T, 0, fifoBlock) // a long queue: whole blocks
		}
		f.blocks = append(f.blocks, b)
		last++
	}
	f.blocks[last] = append(f.blocks[last], v)
	f.n++
}

// popFront removes the front item; the queue must not be empty.
func (f *fifo[T]) popFront() T {
	b := f.blocks[0]
	v := b[f.head]
	var zero T
	b[f.head] = zero // let the GC have it
	f.head++
	f.n--
	switch {
	case f.head == len(b) && len(f.blocks) > 1:
		f.blocks[0] = nil
		f.blocks = f.blocks[1:]
		f.head = 0
	case len(f.blocks) == 1 && f.head >= 32 && 2*f.head >= len(b):
		f.compact()
	}
	return v
}

// compact moves a one-block queue's items to the start of its block, or
// into a smaller one when most of the block is unused.
func (f *fifo[T]) compact() {
	b := f.blocks[0]
	if cap(b) > 4*f.n+64 {
		f.blocks[0] = append(make([]T, 0, 2*f.n+16), b[f.head:]...)
	} else {
		copy(b, b[f.head:])
		clear(b[f.n:])
		f.blocks[0] = b[:f.n]
	}
	f.head = 0
}
