package loadgen

import (
	"testing"
	"time"
)

// TestLongPollSmoke runs both modes small: every poll is held, then
// answered with its key by the publishes; the idle connections stay.
func TestLongPollSmoke(t *testing.T) {
	for _, mode := range []string{"polls", "conns"} {
		t.Run(mode, func(t *testing.T) {
			rep := smoke(t, Config{Scenario: "longpoll", LongPoll: LongPollConfig{Polls: 30, Keys: 3, Mode: mode,
				HoldMs: 60000, Concurrency: 10, Settle: 100 * time.Millisecond, Samples: 2, SampleEvery: 100 * time.Millisecond}})
			r := rep.LongPoll
			if r.Baseline.RSSKiB <= 0 || r.Loaded.RSSKiB <= 0 {
				t.Errorf("memory not read: %+v, %+v", r.Baseline, r.Loaded)
			}
			switch mode {
			case "polls":
				if r.Held != 30 || r.Answered != 30 || r.AnswerLatency.N != 30 || r.EarlyAnswers != 0 {
					t.Errorf("held %d, answered %d (latency n %d), early %d; want 30, 30, 30, 0", r.Held, r.Answered, r.AnswerLatency.N, r.EarlyAnswers)
				}
			case "conns":
				if r.Held != 0 || r.Answered != 0 {
					t.Errorf("idle connections: held %d, answered %d; want none", r.Held, r.Answered)
				}
			}
		})
	}
}
