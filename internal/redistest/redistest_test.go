package redistest

import "testing"

func TestStartStopRestart(t *testing.T) {
	s := Start(t)
	addr := s.Addr()
	if err := ping(addr); err != nil {
		t.Fatalf("started server: %v", err)
	}

	s.Stop()
	if err := ping(addr); err == nil {
		t.Fatal("stopped server still answers PING")
	}
	s.Stop() // a second Stop is harmless

	s.Restart()
	if s.Addr() != addr {
		t.Fatalf("restart moved the server from %s to %s", addr, s.Addr())
	}
	if err := ping(addr); err != nil {
		t.Fatalf("restarted server: %v", err)
	}
}

func TestTwoServersGetTwoPorts(t *testing.T) {
	a, b := Start(t), Start(t)
	if a.Addr() == b.Addr() {
		t.Fatalf("both servers on %s", a.Addr())
	}
}
