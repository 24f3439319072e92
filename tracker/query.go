package tracker

import (
	"fmt"
	"time"
)

// Page sizes: a Query with Limit <= 0 gets DefaultLimit records per page,
// one with Limit > MaxLimit gets MaxLimit.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Validate reports whether q selects exactly one stream (ErrBadQuery
// otherwise). Cursors are each store's own format, so only Find can check
// them (ErrBadCursor).
func (q Query) Validate() error { return q.selected() }

// byService reports whether q selects a service stream (else a client IP
// stream).
func (q Query) byService() bool { return q.Service != "" }

// selected checks that exactly one of the two selections is set. An IP
// query must leave Namespace and Group empty too, so that a caller who
// meant "this IP in that namespace" learns it is not supported instead of
// silently getting every namespace.
func (q Query) selected() error {
	switch {
	case q.Changes && (q.Kind != KindConfig || q.Service == ""):
		return ErrBadQuery
	case q.Service != "" && q.ClientIP == "":
		return nil
	case q.Service == "" && q.ClientIP != "" && q.Namespace == "" && q.Group == "":
		return nil
	}
	return ErrBadQuery
}

// streamKey names the stream q reads; see RedisStore for the layout.
func (q Query) streamKey() string {
	if q.byService() && q.Changes {
		return changeKey(q.Namespace, q.Group, q.Service)
	}
	if q.byService() {
		return topicKey(q.Kind, q.Namespace, q.Group, q.Service)
	}
	return ipKey(q.ClientIP)
}

// limit is the page size after applying DefaultLimit and MaxLimit.
func (q Query) limit() int {
	switch {
	case q.Limit <= 0:
		return DefaultLimit
	case q.Limit > MaxLimit:
		return MaxLimit
	}
	return q.Limit
}

// window is the inclusive id range a page is read from; empty means the
// page has no records whatever the store holds.
type window struct {
	lo, hi streamID
	empty  bool
}

// bounds turns the time window and the cursor into inclusive id bounds.
// From and To are inclusive at millisecond precision; a zero From or To
// leaves that side open. The cursor is exclusive: the page continues after
// it in the query's order.
func (q Query) bounds() (window, error) {
	if err := q.selected(); err != nil {
		return window{}, err
	}
	w := window{lo: minStreamID, hi: maxStreamID}
	if !q.From.IsZero() {
		if ms := ceilMs(q.From); ms > 0 {
			w.lo = streamID{uint64(ms), 0}
		}
	}
	if !q.To.IsZero() {
		ms := q.To.UnixMilli() // floor
		if ms < 0 {
			return window{empty: true}, nil
		}
		w.hi = streamID{uint64(ms), maxStreamID.seq}
	}
	if err := w.narrow(q.Cursor, q.Oldest); err != nil {
		return window{}, err
	}
	w.empty = w.empty || w.hi.less(w.lo)
	return w, nil
}

// narrow moves the window's starting edge past the cursor, if any.
func (w *window) narrow(cursor string, oldest bool) error {
	if cursor == "" {
		return nil
	}
	c, ok := parseStreamID(cursor)
	if !ok {
		return fmt.Errorf("%w: %q", ErrBadCursor, cursor)
	}
	if oldest {
		after, ok := c.next()
		w.empty = !ok
		if w.lo.less(after) {
			w.lo = after
		}
		return nil
	}
	before, ok := c.prev()
	w.empty = !ok
	if before.less(w.hi) {
		w.hi = before
	}
	return nil
}

// ceilMs is t in epoch milliseconds, rounded up: a record at 10 ms is not
// inside a window that starts at 10.5 ms.
func ceilMs(t time.Time) int64 {
	ms := t.UnixMilli()
	if time.UnixMilli(ms).Before(t) {
		ms++
	}
	return ms
}
