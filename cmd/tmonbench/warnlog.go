package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// warnLog is the engines' logger of a command whose lines are its own
// (replay): each warning or error the engines log (a collector that stops
// acknowledging, a probe falling silent) is one line "tmonbench CMD:
// warning: probe P: MSG", as warnf writes them, not a "time=... level=WARN"
// record; info records are left out.
func warnLog(w io.Writer, cmd string) *slog.Logger { return slog.New(warnHandler{w: w, cmd: cmd}) }

// warnHandler is warnLog's slog.Handler.
type warnHandler struct {
	w     io.Writer
	cmd   string
	attrs []slog.Attr
}

// Enabled reports whether level is a warning or worse.
func (h warnHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn
}

// Handle writes r as one line, naming the probe it is about, if any, with
// the record's other attributes (an error, a count) after its message;
// the event kind is left out (the message says it).
func (h warnHandler) Handle(_ context.Context, r slog.Record) error {
	what, probe := "warning", ""
	if r.Level >= slog.LevelError {
		what = "error"
	}
	var rest []string
	find := func(a slog.Attr) bool {
		switch a.Key {
		case "probe":
			probe = "probe " + a.Value.String() + ": "
		case "kind":
		default:
			rest = append(rest, a.Key+" "+a.Value.String())
		}
		return true
	}
	for _, a := range h.attrs {
		find(a)
	}
	r.Attrs(find)
	msg := r.Message
	if len(rest) > 0 {
		msg += " (" + strings.Join(rest, ", ") + ")"
	}
	_, err := fmt.Fprintf(h.w, "tmonbench %s: %s: %s%s\n", h.cmd, what, probe, msg)
	return err
}

// WithAttrs returns h with attrs added.
func (h warnHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h.attrs = append(h.attrs[:len(h.attrs):len(h.attrs)], attrs...)
	return h
}

// WithGroup returns h: groups do not change the line.
func (h warnHandler) WithGroup(string) slog.Handler { return h }
