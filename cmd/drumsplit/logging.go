package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/drumsplit/drumsplit/internal/ui"
)

// logger is the command's logger, which it passes to the libraries; main
// sets it up from -q and -v, and separate routes it through its ui.
var logger = slog.New(slog.DiscardHandler)

// setLogger makes l the command's logger.
func setLogger(l *slog.Logger) {
	logger = l
}

// newLogger returns a logger whose records at level or above go to out;
// errors in attributes get errorLine's hints.
func newLogger(level slog.Level, out ui.Output) *slog.Logger {
	return ui.NewLogger(level, out, func(err error) string { return errorLine("", err) })
}

// stderrLog writes log records to standard error.
type stderrLog struct{}

func (stderrLog) LogRecord(level slog.Level, file, msg string) { printLine(logText(level, file, msg)) }

// logText is the line of a log record:
// "drumsplit: warning: "in.wav": message (key=value …)".
func logText(level slog.Level, file, msg string) string {
	return ui.LogLine("drumsplit", level, file, msg)
}

// logf logs a formatted message with the command's logger.
func logf(level slog.Level, format string, args ...any) {
	logger.Log(context.Background(), level, fmt.Sprintf(format, args...))
}
