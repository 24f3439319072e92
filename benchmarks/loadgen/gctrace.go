package loadgen

import (
	"os"
	"regexp"
	"strconv"
	"strings"
)

// GCSample is one line of the Go runtime's GC trace (GODEBUG=gctrace=1),
// in MB as the runtime prints them.
type GCSample struct {
	Cycle      int `json:"cycle"`
	HeapLiveMB int `json:"heapLiveMB"` // marked live heap after the collection
	HeapGoalMB int `json:"heapGoalMB"` // heap size the next collection starts at
	StacksMB   int `json:"stacksMB"`   // goroutine stacks scanned
}

var gcLine = regexp.MustCompile(`^gc (\d+) @.* \d+->\d+->(\d+) MB, (\d+) MB goal, (\d+) MB stacks`)

// LastGC returns the last collection Herald's runtime logged, if any.
func (h *Herald) LastGC() (GCSample, bool) {
	b, err := os.ReadFile(h.LogPath)
	if err != nil {
		return GCSample{}, false
	}
	return lastGC(string(b))
}

// lastGC finds the last GC trace line in a log.
func lastGC(log string) (GCSample, bool) {
	lines := strings.Split(log, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		m := gcLine.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		n := func(k int) int { v, _ := strconv.Atoi(m[k]); return v }
		return GCSample{Cycle: n(1), HeapLiveMB: n(2), HeapGoalMB: n(3), StacksMB: n(4)}, true
	}
	return GCSample{}, false
}
