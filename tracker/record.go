// Package tracker records every push and acknowledgement and answers
// delivery questions: which clients got which revision of a service, when,
// and whether they acknowledged it.
//
// fanout reports outcomes through its Observer interface; the Recorder
// turns them into Records and writes them in batches to a Store, off the
// push path: a push never waits for storage. Two stores implement the same
// contract: Redis streams (go-redis) for production and an in-memory store
// with bounded memory for running Herald alone.
package tracker

import (
	"context"
	"errors"
	"time"
)

// Record is one stored push event. JSON names are the HTTP API's.
type Record struct {
	ID            string `json:"id"`     // store-assigned, orders records in time within one stream (Redis: <entry id>:<index>)
	PushID        string `json:"pushId"` // connection id + "/" + requestId: one push to one connection, across its events
	Kind          string `json:"kind"`   // naming or config: what was pushed (KindNaming, KindConfig)
	Result        string `json:"result"` // sent, retried, acked, failed, timeout, superseded, dropped
	At            int64  `json:"at"`     // event time, epoch ms
	Sent          int64  `json:"sent,omitempty"`
	Acked         int64  `json:"acked,omitempty"`
	Attempt       int    `json:"attempt"`
	Namespace     string `json:"namespace"`
	Group         string `json:"group"`
	Service       string `json:"service"` // the service (naming) or dataId (config)
	Clusters      string `json:"clusters"`
	ClientIP      string `json:"clientIp"`
	ConnID        string `json:"connectionId"`
	ClientVersion string `json:"clientVersion"`
	ClientApp     string `json:"clientApp"`
	Instances     int    `json:"instances"`
	Revision      int64  `json:"revision"` // the service's lastRefTime
	Bytes         int    `json:"payloadBytes"`
	Node          string `json:"node"`
	TraceID       string `json:"traceId"`
	EndToEndMs    int64  `json:"endToEndMs,omitempty"` // from the upstream change to this event
	NetworkMs     int64  `json:"networkMs,omitempty"`  // from send to ack
	Reason        string `json:"reason,omitempty"`

	// stored marks the streams a failed Append did write this record to,
	// so that the caller's retry of the same slice (the Recorder's
	// backlog) writes it only to the others; see RedisStore.Append.
	stored streamSet
}

// streamSet is a set of a record's two streams.
type streamSet uint8

const (
	topicStream streamSet = 1 << iota // the service's (or configuration's) stream
	ipStream                          // the client IP's stream
)

// Record kinds: what a record's push carried. Naming and config records of
// the same names live in different streams.
const (
	KindNaming = "naming"
	KindConfig = "config"
)

// Query selects records of one topic (a service, or with Kind config a
// configuration named by Service = dataId) or of one client IP in a time
// window.
type Query struct {
	// Exactly one of the two selections is set.
	Kind                      string // of a topic selection; "" is KindNaming
	Namespace, Group, Service string
	ClientIP                  string

	From, To time.Time // inclusive window
	Limit    int       // page size
	Cursor   string    // from a previous Page.Next; "" starts at the window's edge
	Oldest   bool      // oldest first; default newest first
}

// Page is one page of records; Next is "" on the last page.
type Page struct {
	Records []Record `json:"records"`
	Next    string   `json:"next"`
}

// Store keeps records and answers queries. Implementations are safe for
// concurrent use.
type Store interface {
	// Append stores records (in their order) under both the service and
	// the client IP. It may fail as a whole; the caller retries.
	Append(ctx context.Context, recs []Record) error
	// Find returns one page of records matching q.
	Find(ctx context.Context, q Query) (Page, error)
	// Trim drops records older than before.
	Trim(ctx context.Context, before time.Time) error
	Close() error
}

// ErrBadCursor is returned for a cursor the store did not issue.
var ErrBadCursor = errors.New("tracker: invalid cursor")
