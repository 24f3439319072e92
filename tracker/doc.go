// Package tracker will record every push and acknowledgement in Redis
// streams and answer delivery questions over HTTP. It is empty until that
// work lands; fanout's outcome events are the seam it will consume.
package tracker
