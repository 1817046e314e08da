package main

import (
	"context"
	"log/slog"

	"github.com/sirupsen/logrus"
)

// logrusHandler passes the library packages' slog records to logrus's
// standard logger, which the CLI configures (level, formatter, the progress
// bar's hooks). It keeps the CLI's output as it was until the CLI logs
// through slog itself.
type logrusHandler struct{ attrs []slog.Attr }

func slogToLogrus() *slog.Logger { return slog.New(logrusHandler{}) }

func (h logrusHandler) Enabled(_ context.Context, l slog.Level) bool {
	return logrus.IsLevelEnabled(logrusLevel(l))
}

func (h logrusHandler) Handle(_ context.Context, r slog.Record) error {
	f := logrus.Fields{}
	add := func(a slog.Attr) bool { f[a.Key] = a.Value.Any(); return true }
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	logrus.WithFields(f).Log(logrusLevel(r.Level), r.Message)
	return nil
}

func (h logrusHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logrusHandler{attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h logrusHandler) WithGroup(string) slog.Handler { return h }

func logrusLevel(l slog.Level) logrus.Level {
	switch {
	case l >= slog.LevelError:
		return logrus.ErrorLevel
	case l >= slog.LevelWarn:
		return logrus.WarnLevel
	case l >= slog.LevelInfo:
		return logrus.InfoLevel
	}
	return logrus.DebugLevel
}
