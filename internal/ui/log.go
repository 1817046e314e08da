package ui

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
)

// Level is the least level a command shows: warnings by default, errors
// only with quiet (-q), debug records with verbose (-v).
func Level(quiet, verbose bool) slog.Level {
	switch {
	case quiet:
		return slog.LevelError
	case verbose:
		return slog.LevelDebug
	}
	return slog.LevelWarn
}

// Output receives a command's log records as one message each: msg holds
// the record's message and attributes, file the input the record is about
// ("" for none).
type Output interface {
	LogRecord(level slog.Level, file, msg string)
}

// LogLine is the line of a log record for the program prog:
// "prog: warning: "in.wav": message (key=value …)", made short by ShortLine.
func LogLine(prog string, level slog.Level, file, msg string) string {
	var b strings.Builder
	b.WriteString(prog + ": ")
	switch {
	case level >= slog.LevelError:
		b.WriteString("error: ")
	case level >= slog.LevelWarn:
		b.WriteString("warning: ")
	}
	if file != "" {
		b.WriteString(strconv.Quote(file) + ": ")
	}
	b.WriteString(msg)
	return ShortLine(b.String())
}

// NewLogger returns a logger whose records at level or above go to out.
// An attribute holding an error is written as errText(err), which lets the
// command add what only it knows (its flags); nil means ShortLine of the
// error's message.
func NewLogger(level slog.Level, out Output, errText func(error) string) *slog.Logger {
	if errText == nil {
		errText = func(err error) string { return ShortLine(err.Error()) }
	}
	return slog.New(&handler{level: level, out: out, errText: errText})
}

// handler is the commands' slog.Handler: each record becomes one message,
// its attributes in parentheses after the text; an attribute "file" names
// the input the record is about.
type handler struct {
	level   slog.Level
	attrs   []slog.Attr
	prefix  string // the groups opened, "a.b."
	out     Output
	errText func(error) string
}

func (h *handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *handler) Handle(_ context.Context, r slog.Record) error {
	attrs := append([]slog.Attr(nil), h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, slog.Attr{Key: h.prefix + a.Key, Value: a.Value})
		return true
	})
	file := ""
	var kv []string
	for _, a := range attrs {
		v := a.Value.Resolve()
		switch {
		case a.Key == "file" && v.Kind() == slog.KindString:
			file = v.String()
		case v.Kind() == slog.KindAny:
			if err, ok := v.Any().(error); ok {
				kv = append(kv, a.Key+"="+h.errText(err))
				continue
			}
			fallthrough
		default:
			kv = append(kv, a.Key+"="+v.String())
		}
	}
	msg := r.Message
	if len(kv) > 0 {
		msg += " (" + strings.Join(kv, " ") + ")"
	}
	h.out.LogRecord(r.Level, file, msg)
	return nil
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		c.attrs = append(c.attrs, slog.Attr{Key: h.prefix + a.Key, Value: a.Value})
	}
	return &c
}

func (h *handler) WithGroup(name string) slog.Handler {
	c := *h
	c.prefix += name + "."
	return &c
}
