package fanout

import (
	"hash/maphash"
	"sync"
)

// ackIndex finds the subscription a connection's ack belongs to. Acks
// arrive by the hundred thousand per second from many connections, so the
// index is sharded by connection.
type ackIndex struct {
	seed   maphash.Seed
	shards [64]ackShard
}

type ackKey struct{ conn, requestID string }

type ackShard struct {
	// mu protects m.
	mu sync.Mutex
	m  map[ackKey]*subscription
}

func newAckIndex() *ackIndex {
	x := &ackIndex{seed: maphash.MakeSeed()}
	for i := range x.shards {
		x.shards[i].m = make(map[ackKey]*subscription)
	}
	return x
}

func (x *ackIndex) shard(conn string) *ackShard {
	return &x.shards[maphash.String(x.seed, conn)%uint64(len(x.shards))]
}

// put records that conn owes an ack for requestID to s.
func (x *ackIndex) put(conn, requestID string, s *subscription) {
	sh := x.shard(conn)
	sh.mu.Lock()
	sh.m[ackKey{conn, requestID}] = s
	sh.mu.Unlock()
}

// take removes and returns the entry, or nil.
func (x *ackIndex) take(conn, requestID string) *subscription {
	sh := x.shard(conn)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	k := ackKey{conn, requestID}
	s := sh.m[k]
	delete(sh.m, k)
	return s
}

// remove deletes the entry if it still points at s.
func (x *ackIndex) remove(conn, requestID string, s *subscription) {
	sh := x.shard(conn)
	sh.mu.Lock()
	if sh.m[ackKey{conn, requestID}] == s {
		delete(sh.m, ackKey{conn, requestID})
	}
	sh.mu.Unlock()
}

// size counts entries.
func (x *ackIndex) size() int {
	n := 0
	for i := range x.shards {
		x.shards[i].mu.Lock()
		n += len(x.shards[i].m)
		x.shards[i].mu.Unlock()
	}
	return n
}

// pending counts the acks owed by conn.
func (x *ackIndex) pending(conn string) int {
	sh := x.shard(conn)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	n := 0
	for k := range sh.m {
		if k.conn == conn {
			n++
		}
	}
	return n
}
