package conf

import (
	"io"
	"log/slog"
	"os"
)

// Slog returns a logger writing to os.Stderr at Log.Level (debug, info,
// warn or error) in Log.Format (text or json). It fails, naming the field,
// if either is not one of those values.
func (c Config) Slog() (*slog.Logger, error) {
	return c.newLogger(os.Stderr)
}

// newLogger is Slog writing to w.
func (c Config) newLogger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	switch c.Log.Level {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return nil, oneOf("log.level", c.Log.Level, logLevels)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.Log.Format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, oneOf("log.format", c.Log.Format, logFormats)
	}
}
