// Package ui holds the presentation machinery of drumsplit's commands that
// is not specific to one of them: messages kept to one line (ShortLine),
// the log/slog handler that turns log records into such lines, the progress
// bar and the terminal status line it is drawn on, and JSON event lines.
//
// What a command says stays in the command (cmd/drumsplit); this package
// only decides how a line looks and where it goes. It follows restic's
// internal/ui.
package ui
