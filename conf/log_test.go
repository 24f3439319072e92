package conf

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestLogger(t *testing.T) {
	tests := []struct {
		level, format string
		wantDebug     bool
		wantInfo      bool
		wantWarn      bool
	}{
		{"debug", "text", true, true, true},
		{"info", "text", false, true, true},
		{"warn", "json", false, false, true},
		{"error", "json", false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.level+"/"+tc.format, func(t *testing.T) {
			c := Default()
			c.Log.Level, c.Log.Format = tc.level, tc.format
			var buf bytes.Buffer
			log, err := c.newLogger(&buf)
			if err != nil {
				t.Fatal(err)
			}
			log.Debug("d-msg")
			log.Info("i-msg")
			log.Warn("w-msg")
			log.Error("e-msg")
			out := buf.String()
			for msg, want := range map[string]bool{"d-msg": tc.wantDebug, "i-msg": tc.wantInfo, "w-msg": tc.wantWarn, "e-msg": true} {
				if got := strings.Contains(out, msg); got != want {
					t.Errorf("%s logged = %v, want %v; output:\n%s", msg, got, want, out)
				}
			}
			first, _, _ := strings.Cut(out, "\n")
			isJSON := json.Valid([]byte(first))
			if isJSON != (tc.format == "json") {
				t.Errorf("format %s: first line %q JSON = %v", tc.format, first, isJSON)
			}
		})
	}
}

func TestSlogErrors(t *testing.T) {
	c := Default()
	if log, err := c.Slog(); err != nil || log == nil {
		t.Fatalf("Slog() on defaults = %v, %v", log, err)
	}
	c.Log.Level = "loud"
	if _, err := c.Slog(); err == nil || !strings.Contains(err.Error(), "log.level") {
		t.Errorf("bad level error = %v", err)
	}
	c = Default()
	c.Log.Format = "xml"
	if _, err := c.Slog(); err == nil || !strings.Contains(err.Error(), "log.format") {
		t.Errorf("bad format error = %v", err)
	}
}
