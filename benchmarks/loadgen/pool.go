package loadgen

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Logf reports progress; it must be safe for concurrent use.
type Logf func(format string, args ...any)

// openAll opens n connections, at most concurrency at a time, with
// open(ctx, i) for i in 0..n-1, and returns them in index order. On the
// first failure it stops, closes what it opened and returns the error.
func openAll(ctx context.Context, n, concurrency int, logf Logf, open func(context.Context, int) (*Conn, error)) ([]*Conn, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	conns := make([]*Conn, n)
	var next, opened atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range min(concurrency, n) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				c, err := open(ctx, i)
				if err != nil {
					cancel(fmt.Errorf("connection %d: %w", i, err))
					return
				}
				conns[i] = c
				if k := opened.Add(1); k%5000 == 0 && k < int64(n) {
					logf("opened %d/%d connections in %s", k, n, time.Since(start).Round(time.Millisecond))
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		closeAll(conns, concurrency)
		return nil, err
	}
	return conns, nil
}

// closeAll closes every non-nil connection, concurrency at a time.
func closeAll(conns []*Conn, concurrency int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(concurrency, len(conns))) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(conns); i = int(next.Add(1) - 1) {
				if conns[i] != nil {
					conns[i].Close()
				}
			}
		})
	}
	wg.Wait()
}

// dropped counts connections whose stream has ended and returns the first
// reason.
func dropped(conns []*Conn) (int, error) {
	n, first := 0, error(nil)
	for _, c := range conns {
		if c != nil && !c.Alive() {
			n++
			if first == nil {
				first = c.Err()
			}
		}
	}
	return n, first
}
