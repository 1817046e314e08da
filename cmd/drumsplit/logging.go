package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// logger is the command's logger, which it passes to the libraries; main
// sets it up from -q and -v, and separate routes it through its ui.
var logger = slog.New(slog.DiscardHandler)

// setLogger makes l the command's logger.
func setLogger(l *slog.Logger) {
	logger = l
}

// logLevel is the least level shown: warnings by default, errors only with
// -q, debug records with -v.
func logLevel(quiet, verbose bool) slog.Level {
	switch {
	case quiet:
		return slog.LevelError
	case verbose:
		return slog.LevelDebug
	}
	return slog.LevelWarn
}

// logOutput receives the command's log records as one message each: msg
// holds the record's message and attributes, file the input the record is
// about ("" for none).
type logOutput interface {
	logRecord(level slog.Level, file, msg string)
}

// stderrLog writes log records to standard error.
type stderrLog struct{}

func (stderrLog) logRecord(level slog.Level, file, msg string) { printLine(logText(level, file, msg)) }

// logText is the line of a log record:
// "drumsplit: warning: "in.wav": message (key=value …)".
func logText(level slog.Level, file, msg string) string {
	var b strings.Builder
	b.WriteString("drumsplit: ")
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
	return shortLine(b.String())
}

// newLogger returns a logger whose records at level or above go to out.
func newLogger(level slog.Level, out logOutput) *slog.Logger {
	return slog.New(&logHandler{level: level, out: out})
}

// logHandler is the command's slog.Handler: each record becomes one
// message, its attributes in parentheses after the text; an attribute
// "file" names the input the record is about.
type logHandler struct {
	level  slog.Level
	attrs  []slog.Attr
	prefix string // the groups opened, "a.b."
	out    logOutput
}

func (h *logHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
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
				kv = append(kv, a.Key+"="+errorLine("", err))
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
	h.out.logRecord(r.Level, file, msg)
	return nil
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		c.attrs = append(c.attrs, slog.Attr{Key: h.prefix + a.Key, Value: a.Value})
	}
	return &c
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.prefix += name + "."
	return &c
}

// logf logs a formatted message with the command's logger.
func logf(level slog.Level, format string, args ...any) {
	logger.Log(context.Background(), level, fmt.Sprintf(format, args...))
}
