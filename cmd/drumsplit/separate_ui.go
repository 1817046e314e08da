package main

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/drumsplit/drumsplit/internal/job"
	"github.com/drumsplit/drumsplit/internal/ui"
)

// separateUI is everything `separate` tells the user: lines and the
// progress bar on standard error, JSON events on standard output. It renders
// the run's events (job.Event), the start event and the log records; log
// records may come from any goroutine.
type separateUI struct {
	status *ui.Status    // standard error
	out    *ui.JSONLines // standard output (JSON events)
	quiet  bool
	json   bool

	mu     sync.Mutex
	lastEv time.Time // last progress event
	final  bool      // the file's last progress event is out
	total  int       // inputs of the run, for the bar's label
	// pending holds the warnings logged before the start event (while the
	// model loads), so that start is always the first event.
	pending []job.Warning
	started bool
}

// newUI returns the ui of a run writing lines to errw and events to out;
// tty says errw is a terminal, where the bar is drawn (unless quiet or
// json).
func newUI(errw, out io.Writer, quiet, json, tty bool) *separateUI {
	return &separateUI{status: ui.NewStatus(errw, tty && !quiet && !json), out: ui.NewJSONLines(out), quiet: quiet, json: json}
}

// LogRecord implements ui.Output: one line on standard error, which never
// tears the progress bar, and a warning event with --json.
func (u *separateUI) LogRecord(level slog.Level, file, msg string) {
	u.line(logText(level, file, msg))
	if level >= slog.LevelWarn && level < slog.LevelError {
		u.jsonEvent(job.Warning{Kind: job.KindWarning, File: file, Message: ui.ShortLine(msg)})
	}
}

// errorEvent is an error about the whole run (job.FileFailed is about one
// input).
type errorEvent struct {
	Event   string `json:"event"`
	Message string `json:"message"`
}

// summaryEvent is the run's summary with the exit code.
type summaryEvent struct {
	job.Summary
	ExitCode int `json:"exit_code"`
}

// start writes the start event, then the warnings held back for it.
func (u *separateUI) start(ev job.Started) {
	u.total = ev.Inputs
	if !u.json {
		return
	}
	u.mu.Lock()
	u.started = true
	pending := u.pending
	u.pending = nil
	u.mu.Unlock()
	u.out.Encode(ev)
	for _, w := range pending {
		u.out.Encode(w)
	}
}

// jsonEvent writes ev with --json; warnings before the start event wait
// for it.
func (u *separateUI) jsonEvent(ev any) {
	if !u.json {
		return
	}
	u.mu.Lock()
	if w, ok := ev.(job.Warning); ok && !u.started {
		u.pending = append(u.pending, w)
		u.mu.Unlock()
		return
	}
	u.mu.Unlock()
	u.out.Encode(ev)
}

// line writes one line to standard error, clearing the bar first.
func (u *separateUI) line(s string) { u.status.Println(s) }

// runError reports an error that ends the run (or keeps it from starting).
func (u *separateUI) runError(err error) {
	msg := errorLine("", err)
	u.line("drumsplit: " + msg)
	if u.json {
		u.mu.Lock()
		pending := u.pending
		u.pending, u.started = nil, true
		u.mu.Unlock()
		for _, w := range pending {
			u.out.Encode(w)
		}
		u.out.Encode(errorEvent{Event: "error", Message: msg})
	}
}

// event renders one event of the run.
func (u *separateUI) event(ev job.Event) {
	switch ev := ev.(type) {
	case job.Started:
		u.start(ev)
	case job.FileStarted:
		u.mu.Lock()
		u.lastEv, u.final = time.Time{}, false
		u.mu.Unlock()
		u.status.Reset()
		u.jsonEvent(ev)
	case job.Progress:
		u.progress(ev)
	case job.FileDone:
		u.endProgress()
		u.jsonEvent(ev)
		u.fileDone(ev)
	case job.FileFailed:
		u.endProgress()
		u.line(ui.ShortLine(fmt.Sprintf("drumsplit: %q: %s", ev.File, ev.Message))) // even with --quiet
		u.jsonEvent(ev)
	case job.Warning:
		if !u.quiet {
			u.line(logText(slog.LevelWarn, ev.File, ev.Message))
		}
		u.jsonEvent(ev)
	}
}

// eventEvery is how often progress events are written (besides the first
// and the last report of a file); the bar is redrawn every ui.StatusEvery.
const eventEvery = 250 * time.Millisecond

func (u *separateUI) progress(p job.Progress) {
	final := p.Fraction == 1
	now := time.Now()
	if u.json {
		u.mu.Lock()
		due := !u.final && (final || u.lastEv.IsZero() || now.Sub(u.lastEv) >= eventEvery)
		if due {
			u.lastEv, u.final = now, final
		}
		u.mu.Unlock()
		if due {
			u.jsonEvent(p)
		}
	}
	u.status.Draw(final, func(width int) string {
		label := ui.EscapeControl(filepath.Base(p.File))
		if u.total > 1 {
			label = fmt.Sprintf("[%d/%d] %s", p.Index, u.total, label)
		}
		return ui.Bar(label, p.Done, p.Total, ui.Seconds(p.Elapsed), ui.Seconds(p.ETA), width)
	})
}

// endProgress removes the bar of the file just finished.
func (u *separateUI) endProgress() { u.status.Clear() }

func (u *separateUI) fileDone(ev job.FileDone) {
	if u.quiet || u.json {
		return
	}
	if ev.Status == job.StatusSkipped {
		u.line(fmt.Sprintf("drumsplit: %q: skipped: its stem files exist", ev.File))
		return
	}
	u.line(ui.ShortLine(fmt.Sprintf("drumsplit: %q: %d stem%s in %q (%.1f s of audio in %.1f s)", ev.File, len(ev.Stems), plural(len(ev.Stems)),
		commonDir(ev.Stems), ev.Seconds, ev.Elapsed)))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// commonDir is the folder holding all files, or the longest common one.
func commonDir(stems []job.Stem) string {
	if len(stems) == 0 {
		return ""
	}
	dir := filepath.Dir(stems[0].Path)
	for _, s := range stems[1:] {
		for !strings.HasPrefix(s.Path, dir+string(filepath.Separator)) && dir != "." && dir != string(filepath.Separator) {
			dir = filepath.Dir(dir)
		}
	}
	return dir
}

// summary writes the summary event and, in text, the summary line.
func (u *separateUI) summary(s job.Summary, code int) {
	u.jsonEvent(summaryEvent{Summary: s, ExitCode: code})
	if u.json {
		if s.Interrupted {
			u.line("drumsplit: interrupted")
		}
		return
	}
	parts := []string{fmt.Sprintf("%d separated", s.Done)}
	if s.Skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", s.Skipped))
	}
	if s.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", s.Failed))
	}
	if rest := s.Inputs - s.Done - s.Skipped - s.Failed; rest > 0 {
		parts = append(parts, fmt.Sprintf("%d not started", rest))
	}
	msg := strings.Join(parts, ", ") + fmt.Sprintf(" of %d inputs in %.1f s", s.Inputs, s.Elapsed)
	switch {
	case s.Interrupted:
		u.line("drumsplit: interrupted: " + msg)
	case s.Inputs > 1 && (!u.quiet || s.Failed > 0):
		u.line("drumsplit: " + msg)
	}
}
