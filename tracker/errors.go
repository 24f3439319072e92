package tracker

import "errors"

// ErrBadQuery is returned by Find (and Query.Validate) for a query that
// does not select exactly one stream: either Service (with its Namespace
// and Group) or ClientIP, not both and not neither.
var ErrBadQuery = errors.New("tracker: query must select one service or one client IP")

// ErrClosed is returned by a store's methods after Close.
var ErrClosed = errors.New("tracker: store closed")
