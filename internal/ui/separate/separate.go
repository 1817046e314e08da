// Package separate renders the run of `drumsplit separate`, as restic's
// internal/ui/backup renders a backup: the events of a batch of separations
// (job.Event) and the log records become lines and a progress bar on
// standard error, and JSON events on standard output with --json.
package separate

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/drumsplit/drumsplit/internal/job"
	"github.com/drumsplit/drumsplit/internal/ui"
)

// Printer is everything `separate` tells the user: lines and the progress
// bar on standard error, JSON events on standard output. It renders the
// run's events (job.Event) and the log records; log records may come from
// any goroutine.
type Printer struct {
	status *ui.Status    // standard error
	out    *ui.JSONLines // standard output (JSON events)
	quiet  bool
	json   bool

	mu sync.Mutex
	// running holds the progress of each file in flight, by its index:
	// with several workers (a --device list) files progress at once.
	running map[int]*fileProgress
	total   int // inputs of the run, for the bar's label
	// pending holds the warnings logged before the start event (while the
	// model loads), so that they follow it, after the loading event.
	pending []job.Warning
	started bool
	// about is the file a log record without one concerns: the model
	// while it loads, then the input being separated.
	about string
}

// fileProgress is the progress of one file in flight.
type fileProgress struct {
	lastEv time.Time // last progress event written
	final  bool      // the file's last progress event is out
	p      job.Progress
}

// New returns the Printer of a run writing lines to errw and, when json is
// set, events to out. quiet leaves out all but errors and the summary of a
// failed run; tty says errw is a terminal, where the bar is drawn (unless
// quiet or json).
func New(errw, out io.Writer, quiet, json, tty bool) *Printer {
	return &Printer{status: ui.NewStatus(errw, tty && !quiet && !json), out: ui.NewJSONLines(out), quiet: quiet, json: json,
		running: map[int]*fileProgress{}}
}

// LogRecord implements ui.Output: one line on standard error, which never
// tears the progress bar, and a warning event with --json.
// A record that names no file gets the one the run is busy with (the
// model while it loads, else the input in flight when there is one), so
// that every warning names its file.
func (pr *Printer) LogRecord(level slog.Level, file, msg string) {
	if file == "" {
		pr.mu.Lock()
		file = pr.about
		if file == "" && len(pr.running) == 1 {
			for _, f := range pr.running {
				file = f.p.File
			}
		}
		pr.mu.Unlock()
	}
	pr.line(logText(level, file, msg))
	if level >= slog.LevelWarn && level < slog.LevelError {
		pr.jsonEvent(job.Warning{Kind: job.KindWarning, File: file, Message: ui.ShortLine(msg)})
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
func (pr *Printer) start(ev job.Started) {
	pr.total = ev.Inputs
	if !pr.json {
		return
	}
	pr.mu.Lock()
	pr.started = true
	pending := pr.pending
	pr.pending = nil
	pr.mu.Unlock()
	pr.out.Encode(ev)
	for _, w := range pending {
		pr.out.Encode(w)
	}
}

// jsonEvent writes ev with --json; warnings before the start event wait
// for it.
func (pr *Printer) jsonEvent(ev any) {
	if !pr.json {
		return
	}
	pr.mu.Lock()
	if w, ok := ev.(job.Warning); ok && !pr.started {
		pr.pending = append(pr.pending, w)
		pr.mu.Unlock()
		return
	}
	pr.mu.Unlock()
	pr.out.Encode(ev)
}

// line writes one line to standard error, clearing the bar first.
func (pr *Printer) line(s string) { pr.status.Println(s) }

// RunError reports an error that ends the run (or keeps it from
// starting); msg is its line without the program's name.
func (pr *Printer) RunError(msg string) {
	pr.line("drumsplit: " + msg)
	if pr.json {
		pr.mu.Lock()
		pending := pr.pending
		pr.pending, pr.started = nil, true
		pr.mu.Unlock()
		for _, w := range pending {
			pr.out.Encode(w)
		}
		pr.out.Encode(errorEvent{Event: "error", Message: msg})
	}
}

// Event renders one event of the run.
func (pr *Printer) Event(ev job.Event) {
	switch ev := ev.(type) {
	case job.Converting:
		pr.setAbout(ev.Checkpoint)
		if !pr.quiet && !pr.json {
			pr.line(fmt.Sprintf("drumsplit: converting checkpoint %q with %q, once: later runs load it from %q", ev.Checkpoint, ev.Python, ev.Cache))
		}
		pr.jsonEvent(ev)
	case job.Loading:
		pr.setAbout(ev.Model)
		if !pr.quiet && !pr.json {
			name := ""
			if ev.ModelName != "" {
				name = " (" + ev.ModelName + ")"
			}
			pr.line(ui.ShortLine(fmt.Sprintf("drumsplit: loading model %q%s on %s …", ev.Model, name, ev.Device)))
		}
		pr.jsonEvent(ev)
	case job.Started:
		pr.start(ev)
		pr.setAbout("")
	case job.FileStarted:
		pr.mu.Lock()
		pr.running[ev.Index] = &fileProgress{p: job.Progress{Index: ev.Index, File: ev.File, Total: ev.Seconds, ETA: -1, Speed: -1}}
		pr.mu.Unlock()
		pr.status.Reset()
		pr.jsonEvent(ev)
	case job.Progress:
		pr.progress(ev)
	case job.FileDone:
		pr.endProgress(ev.Index)
		pr.jsonEvent(ev)
		pr.fileDone(ev)
	case job.FileFailed:
		pr.endProgress(ev.Index)
		pr.line(ui.ShortLine(fmt.Sprintf("drumsplit: %q: %s", ev.File, ev.Message))) // even with --quiet
		pr.jsonEvent(ev)
	case job.Warning:
		if !pr.quiet {
			pr.line(logText(slog.LevelWarn, ev.File, ev.Message))
		}
		pr.jsonEvent(ev)
	}
}

func (pr *Printer) setAbout(file string) {
	pr.mu.Lock()
	pr.about = file
	pr.mu.Unlock()
}

// eventEvery is how often progress events are written (besides the first
// and the last report of a file); the bar is redrawn every ui.StatusEvery.
const eventEvery = 250 * time.Millisecond

// progress writes a file's progress event, thinned out to one every
// eventEvery per file, and draws the bar: the file's, or with several
// files in flight, theirs together.
func (pr *Printer) progress(p job.Progress) {
	final := p.Fraction == 1
	now := time.Now()
	pr.mu.Lock()
	f := pr.running[p.Index]
	if f == nil {
		f = &fileProgress{}
		pr.running[p.Index] = f
	}
	f.p = p
	due := !f.final && (final || f.lastEv.IsZero() || now.Sub(f.lastEv) >= eventEvery)
	if due {
		f.lastEv, f.final = now, final
	}
	label, done, total, speed, elapsed, eta := pr.barLocked()
	pr.mu.Unlock()
	if pr.json && due {
		pr.jsonEvent(p)
	}
	pr.status.Draw(final, func(width int) string {
		return ui.Bar(label, done, total, speed, ui.Seconds(elapsed), ui.Seconds(eta), width)
	})
}

// barLocked is what the bar shows: the file in flight, or the files in
// flight together, with the seconds of audio of all of them and the
// longest time left; pr.mu is held.
func (pr *Printer) barLocked() (label string, done, total, speed, elapsed, eta float64) {
	var names []string
	speed = -1 // unknown until a file in flight reports one
	for _, i := range slices.Sorted(maps.Keys(pr.running)) {
		p := pr.running[i].p
		names = append(names, ui.EscapeControl(filepath.Base(p.File)))
		done += p.Done
		elapsed, eta = max(elapsed, p.Elapsed), max(eta, p.ETA)
		if p.Speed > 0 {
			// Files in flight at once add up: the run's × real time.
			speed = max(speed, 0) + p.Speed
		}
		if p.Total < 0 || total < 0 {
			total = -1
		} else {
			total += p.Total
		}
		if len(pr.running) == 1 && pr.total > 1 {
			return fmt.Sprintf("[%d/%d] %s", p.Index, pr.total, names[0]), done, total, speed, elapsed, eta
		}
	}
	if len(names) == 1 {
		return names[0], done, total, speed, elapsed, eta
	}
	return fmt.Sprintf("[%d of %d] %s", len(names), pr.total, strings.Join(names, ", ")), done, total, speed, elapsed, eta
}

// endProgress removes the bar of the file just finished; the next report
// of another file in flight draws it again.
func (pr *Printer) endProgress(index int) {
	pr.mu.Lock()
	delete(pr.running, index)
	pr.mu.Unlock()
	pr.status.Clear()
}

func (pr *Printer) fileDone(ev job.FileDone) {
	if pr.quiet || pr.json {
		return
	}
	if ev.Status == job.StatusSkipped {
		pr.line(fmt.Sprintf("drumsplit: %q: skipped: its stem files exist", ev.File))
		return
	}
	// The residual is counted apart: it is not one of the model's stems.
	n, rest := 0, ""
	for _, st := range ev.Stems {
		if st.Stem == job.ResidualStem {
			rest = " and " + job.ResidualStem
		} else {
			n++
		}
	}
	pr.line(ui.ShortLine(fmt.Sprintf("drumsplit: %q: %d stem%s%s in %q (%.1f s of audio in %.1f s)", ev.File, n, plural(n), rest,
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

// Summary writes the summary event, with the exit code, and, in text, the summary line.
func (pr *Printer) Summary(s job.Summary, code int) {
	pr.jsonEvent(summaryEvent{Summary: s, ExitCode: code})
	if pr.json {
		if s.Interrupted {
			pr.line("drumsplit: interrupted")
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
		pr.line("drumsplit: interrupted: " + msg)
	case s.Inputs > 1 && (!pr.quiet || s.Failed > 0):
		pr.line("drumsplit: " + msg)
	}
}

// logText is the line of a log record:
// "drumsplit: warning: "in.wav": message (key=value …)".
func logText(level slog.Level, file, msg string) string {
	return ui.LogLine("drumsplit", level, file, msg)
}
