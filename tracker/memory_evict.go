package tracker

// The helpers below run with s.mu held for writing.

// log returns the log for key, creating it.
func (s *MemoryStore) log(key []byte) *memLog {
	l := s.logs[string(key)] // no allocation: the compiler looks up by the bytes
	if l == nil {
		l = &memLog{}
		s.logs[string(key)] = l
	}
	return l
}

// entrySlab is how many entries newEntry allocates at once.
const entrySlab = 64

// newEntry hands out the next entry of a slab, allocating entrySlab at a
// time: one allocation instead of 64 on the write path. A slab stays in
// memory while any of its entries is in the eviction queue; as that
// queue is in append order, slabs are freed in order too, and at most
// the newest one is partly used. A released entry's record is cleared,
// so only its shell waits with the slab.
func (s *MemoryStore) newEntry() *memEntry {
	if len(s.slab) == 0 {
		s.slab = make([]memEntry, entrySlab)
	}
	e := &s.slab[0]
	s.slab = s.slab[1:]
	return e
}

// cutoff is the write-time retention bound in epoch ms (0: none yet).
func (s *MemoryStore) cutoff() uint64 {
	return uint64(max(s.now().Add(-s.retention).UnixMilli(), 0))
}

// evict drops records no log holds any more, then the oldest records
// until at most s.max remain.
func (s *MemoryStore) evict() {
	s.dropDead()
	for s.order.len() > s.max {
		e := s.order.popFront()
		if e.refs == 0 {
			continue
		}
		keys := s.keys.of(&e.rec)
		for i := range keys.len() {
			key := keys.key(i)
			if l := s.logs[string(key)]; l != nil {
				l.dropFront(e)
				if l.items.len() == 0 {
					delete(s.logs, string(key))
				}
			}
		}
	}
	s.dropDead()
}

// dropDead pops records that every log has already let go of.
func (s *MemoryStore) dropDead() {
	for s.order.len() > 0 && s.order.front().refs == 0 {
		s.order.popFront()
	}
}
