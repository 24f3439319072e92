package main

import (
	"bytes"
	"strings"
	"testing"
)

// Two rounds as fleet.sh writes them: the floor first, then the
// variants. The round field is there in the first file and missing in
// the second (files written before fleet.sh tagged rounds).
const tagged = `{"scenario":"floor","variant":"floor","round":1,"conns":5000,"cpuMicrosPerPush":10,"roundP99Ms":100}
{"scenario":"floor","variant":"floor","round":1,"clientCPUMicrosPerPush":10,"conns":10000,"cpuMicrosPerPush":12,"roundP99Ms":200}
{"variant":"base","round":1,"scenario":"fanout","ok":true,"fanout":{"subs":10000,"mode":"paced","changeToAck":{"p99Ms":600},"heraldCPUPerPushUs":30}}
{"variant":"new","round":1,"scenario":"fanout","ok":true,"fanout":{"subs":10000,"mode":"paced","delivered":100000,"changeToAck":{"p99Ms":300},"heraldCPUPerPushUs":24,"cpu":{"loadgenSeconds":2.5}}}
{"variant":"new","round":1,"scenario":"register","ok":true,"register":{"opsPerSecond":40000,"heraldCPUPerOpUs":25}}
{"variant":"base","round":1,"scenario":"register","ok":true,"register":{"opsPerSecond":32000,"heraldCPUPerOpUs":31}}
{"scenario":"floor","variant":"floor","round":2,"conns":5000,"cpuMicrosPerPush":20,"roundP99Ms":150}
{"scenario":"floor","variant":"floor","round":2,"conns":10000,"cpuMicrosPerPush":15,"roundP99Ms":250}
{"variant":"new","round":2,"scenario":"fanout","ok":false,"fanout":{"subs":10000,"mode":"paced","changeToAck":{"p99Ms":500},"heraldCPUPerPushUs":30}}
{"variant":"base","round":2,"scenario":"fanout","ok":true,"fanout":{"subs":10000,"mode":"paced","changeToAck":{"p99Ms":500},"heraldCPUPerPushUs":40}}
`

func TestRatiosPerRound(t *testing.T) {
	untagged := strings.ReplaceAll(strings.ReplaceAll(tagged, `"round":1,`, ""), `"round":2,`, "")
	for name, in := range map[string]string{"tagged": tagged, "untagged": untagged} {
		t.Run(name, func(t *testing.T) {
			rounds, err := readRounds(strings.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			if len(rounds) != 2 {
				t.Fatalf("%d rounds, want 2", len(rounds))
			}
			var out bytes.Buffer
			summarise(&out, rounds, "base")
			got := out.String()
			for _, want := range []string{
				// new against round 1's floor at 10,000 (12) and round 2's (15)
				"µs CPU per push: 24.0 / 30.0 (1 failed)",
				"/ floor: 2.00 / 2.00 (median 2.00)",
				// against base in the same round: 24/30, 30/40
				"/ base: 0.80 / 0.75 (median 0.78)",
				"p99 / floor round: 1.50 / 2.00 (median 1.75)",
				"p99 / base: 0.50 / 1.00 (median 0.75)",
				// new's load generator in round 1: 2.5 s over 100,000 pushes,
				// against the floor's client at 10 µs (round 2 recorded none)
				"load generator µs CPU per push: 25.0\n",
				"/ floor client: 2.50 (median 2.50)",
				// register: rates, base listed first
				"base                   ops/s: 32000.0",
				"/ base: 1.25 (median 1.25)",
			} {
				if !strings.Contains(got, want) {
					t.Errorf("summary lacks %q:\n%s", want, got)
				}
			}
			if strings.Index(got, "base  ") > strings.Index(got, "new  ") {
				t.Errorf("base is not listed first:\n%s", got)
			}
		})
	}
}

func TestBadLineIsAnError(t *testing.T) {
	_, err := readRounds(strings.NewReader(tagged + "{not json\n"))
	if err == nil || !strings.Contains(err.Error(), "line 11") {
		t.Fatalf("err = %v, want one naming line 11", err)
	}
}
