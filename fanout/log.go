package fanout

import (
	"context"
	"log/slog"
)

// logLevel is the level an outcome is logged at: progress at debug,
// trouble at warn.
func (e Event) logLevel() slog.Level {
	switch e {
	case EventFailed, EventTimedOut, EventDropped:
		return slog.LevelWarn
	default:
		return slog.LevelDebug
	}
}

// logOutcome writes one line per outcome with the push id and trace id,
// so a log line leads to the tracker record and the trace. It costs one
// Enabled check when the level is off.
func (h *Hub) logOutcome(o Outcome) {
	level := o.Event.logLevel()
	ctx := context.Background()
	if !h.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("pushId", o.ConnID+"/"+o.RequestID),
		slog.String("topic", o.Topic.String()),
		slog.Int64("revision", o.Revision),
		slog.String("clientIp", o.Client.IP),
		slog.Int("attempt", o.Attempt),
	}
	if o.TraceID.IsValid() {
		attrs = append(attrs, slog.String("traceId", o.TraceID.String()))
	}
	if o.Reason != "" {
		attrs = append(attrs, slog.String("reason", o.Reason))
	}
	h.log.LogAttrs(ctx, level, "push "+o.Event.String(), attrs...)
}
