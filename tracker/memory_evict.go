package tracker

// The helpers below run with s.mu held for writing.

// log returns the log for key, creating it.
func (s *MemoryStore) log(key string) *memLog {
	l := s.logs[key]
	if l == nil {
		l = &memLog{}
		s.logs[key] = l
	}
	return l
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
		for _, key := range recordKeys(&e.rec) {
			if l := s.logs[key]; l != nil {
				l.dropFront(e)
				s.dropIfEmpty(key, l)
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

// dropIfEmpty deletes an empty log so that streams of departed clients
// do not pile up.
func (s *MemoryStore) dropIfEmpty(key string, l *memLog) {
	if l.items.len() == 0 {
		delete(s.logs, key)
	}
}
