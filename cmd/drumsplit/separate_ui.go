package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/drumsplit/drumsplit/internal/job"
)

// ui is everything `separate` tells the user: lines and the progress bar on
// standard error, JSON events on standard output. It renders the run's
// events (job.Event), the start event and the log records; log records may
// come from any goroutine.
type ui struct {
	mu     sync.Mutex
	errw   io.Writer // standard error
	out    io.Writer // standard output (JSON events)
	quiet  bool
	json   bool
	tty    bool      // errw is a terminal: draw the progress bar
	barOn  bool      // a bar is drawn on the current line
	last   time.Time // last bar drawn
	lastEv time.Time // last progress event
	final  bool      // the file's last progress event is out
	total  int       // inputs of the run, for the bar's label
	// pending holds the warnings logged before the start event (while the
	// model loads), so that start is always the first event.
	pending []job.Warning
	started bool
	broken  bool // writing an event failed (standard output was closed)
}

func newUI(errw, out io.Writer, quiet, json, tty bool) *ui {
	return &ui{errw: errw, out: out, quiet: quiet, json: json, tty: tty && !quiet && !json}
}

// logRecord implements logOutput: one line on standard error, which never
// tears the progress bar, and a warning event with --json.
func (u *ui) logRecord(level slog.Level, file, msg string) {
	u.line(logText(level, file, msg))
	if level >= slog.LevelWarn && level < slog.LevelError {
		u.jsonEvent(job.Warning{Kind: job.KindWarning, File: file, Message: shortLine(msg)})
	}
}

// startEvent is the first event of a --json run; separateDescription
// documents it.
type startEvent struct {
	Event      string   `json:"event"`
	Version    string   `json:"version"`
	Model      string   `json:"model"`
	ModelName  string   `json:"model_name"`
	Stems      []string `json:"stems"`
	WriteStems []string `json:"write_stems"`
	SampleRate int      `json:"sample_rate"`
	Device     string   `json:"device,omitempty"`
	Precision  string   `json:"precision,omitempty"`
	STFT       string   `json:"stft,omitempty"`
	Mode       string   `json:"mode,omitempty"`
	ChunkSize  int      `json:"chunk_size,omitempty"`
	Overlap    int      `json:"overlap,omitempty"`
	Batch      int      `json:"batch,omitempty"`
	Out        string   `json:"out"`
	Format     string   `json:"format"`
	BitDepth   string   `json:"bit_depth"`
	Inputs     int      `json:"inputs"`
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
func (u *ui) start(ev startEvent) {
	u.total = ev.Inputs
	if !u.json {
		return
	}
	u.mu.Lock()
	u.started = true
	pending := u.pending
	u.pending = nil
	u.mu.Unlock()
	u.write(ev)
	for _, w := range pending {
		u.write(w)
	}
}

// jsonEvent writes ev with --json; warnings before the start event wait
// for it.
func (u *ui) jsonEvent(ev any) {
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
	u.write(ev)
}

// write writes one JSON event line. After a failed write (a closed pipe)
// nothing more is written: SIGPIPE ends the run.
func (u *ui) write(ev any) {
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err) // the event types always marshal
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.broken {
		return
	}
	if _, err := u.out.Write(append(b, '\n')); err != nil {
		u.broken = true
	}
}

// line writes one line to standard error, clearing the bar first.
func (u *ui) line(s string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.clearBar()
	fmt.Fprintln(u.errw, s)
}

// clearBar removes the bar from the terminal line; u.mu is held.
func (u *ui) clearBar() {
	if u.barOn {
		io.WriteString(u.errw, "\r\x1b[K")
		u.barOn = false
	}
}

// runError reports an error that ends the run (or keeps it from starting).
func (u *ui) runError(err error) {
	msg := errorLine("", err)
	u.line("drumsplit: " + msg)
	if u.json {
		u.mu.Lock()
		pending := u.pending
		u.pending, u.started = nil, true
		u.mu.Unlock()
		for _, w := range pending {
			u.write(w)
		}
		u.write(errorEvent{Event: "error", Message: msg})
	}
}

// event renders one event of the run.
func (u *ui) event(ev job.Event) {
	switch ev := ev.(type) {
	case job.FileStarted:
		u.mu.Lock()
		u.last, u.lastEv, u.final = time.Time{}, time.Time{}, false
		u.mu.Unlock()
		u.jsonEvent(ev)
	case job.Progress:
		u.progress(ev)
	case job.FileDone:
		u.endProgress()
		u.jsonEvent(ev)
		u.fileDone(ev)
	case job.FileFailed:
		u.endProgress()
		u.line(shortLine(fmt.Sprintf("drumsplit: %q: %s", ev.File, ev.Message))) // even with --quiet
		u.jsonEvent(ev)
	case job.Warning:
		if !u.quiet {
			u.line(logText(slog.LevelWarn, ev.File, ev.Message))
		}
		u.jsonEvent(ev)
	}
}

// How often the bar is redrawn and progress events are written (besides
// the first and the last report of a file).
const (
	barEvery   = 100 * time.Millisecond
	eventEvery = 250 * time.Millisecond
)

func (u *ui) progress(p job.Progress) {
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
	if !u.tty {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if !final && !u.last.IsZero() && now.Sub(u.last) < barEvery {
		return
	}
	u.last = now
	width := 80
	if fd, ok := u.errw.(interface{ Fd() uintptr }); ok {
		if w, _, err := term.GetSize(int(fd.Fd())); err == nil && w > 20 {
			width = w
		}
	}
	label := escapeControl(filepath.Base(p.File))
	if u.total > 1 {
		label = fmt.Sprintf("[%d/%d] %s", p.Index, u.total, label)
	}
	io.WriteString(u.errw, "\r"+renderBar(label, p.Done, p.Total, seconds(p.Elapsed), seconds(p.ETA), width)+"\x1b[K")
	u.barOn = true
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// endProgress removes the bar of the file just finished.
func (u *ui) endProgress() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.clearBar()
}

// renderBar draws a progress line of at most width columns:
//
//	[2/5] take1.wav  47% |██████▌       | 12.3/26.0 s  00:03<00:04
//
// total < 0 means the length is unknown: no bar, no percentage, no ETA.
func renderBar(label string, done, total float64, elapsed, eta time.Duration, width int) string {
	if total < 0 {
		right := fmt.Sprintf(" %.1f s  %s", done, clock(elapsed))
		return fitLabel(label, width-utf8.RuneCountInString(right)) + right
	}
	frac := 1.0
	if total > 0 {
		frac = math.Min(1, math.Max(0, done/total))
	}
	left := fmt.Sprintf(" %3.0f%% ", 100*frac)
	right := fmt.Sprintf(" %.1f/%.1f s  %s<%s", done, total, clock(elapsed), etaClock(eta, frac))
	// The label gets up to 30 columns, the bar what is left (10 to 40).
	labelW := min(utf8.RuneCountInString(label), 30)
	barW := width - 1 - labelW - len(left) - utf8.RuneCountInString(right) - 2
	if barW > 40 {
		barW = 40
	}
	if barW < 10 {
		barW = 10
		labelW = max(0, width-1-len(left)-utf8.RuneCountInString(right)-2-barW)
	}
	return fitLabel(label, labelW) + left + "|" + bar(frac, barW) + "|" + right
}

// bar draws frac of width cells with eighth-block resolution.
func bar(frac float64, width int) string {
	eighths := int(frac*float64(width*8) + 0.5)
	full, part := eighths/8, eighths%8
	var b strings.Builder
	b.WriteString(strings.Repeat("█", full))
	if full < width {
		if part > 0 {
			b.WriteRune([]rune("▏▎▍▌▋▊▉")[part-1])
			full++
		}
		b.WriteString(strings.Repeat(" ", width-full))
	}
	return b.String()
}

// fitLabel cuts s to w columns, marking the cut with "…".
func fitLabel(s string, w int) string {
	r := []rune(s)
	switch {
	case w <= 0:
		return ""
	case len(r) <= w:
		return s
	case w == 1:
		return "…"
	}
	return string(r[:w-1]) + "…"
}

// clock formats d as mm:ss, or h:mm:ss from an hour.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

func etaClock(eta time.Duration, frac float64) string {
	if eta <= 0 && frac < 1 {
		return "?"
	}
	return clock(eta)
}

func (u *ui) fileDone(ev job.FileDone) {
	if u.quiet || u.json {
		return
	}
	if ev.Status == job.StatusSkipped {
		u.line(fmt.Sprintf("drumsplit: %q: skipped: its stem files exist", ev.File))
		return
	}
	u.line(shortLine(fmt.Sprintf("drumsplit: %q: %d stem%s in %q (%.1f s of audio in %.1f s)", ev.File, len(ev.Stems), plural(len(ev.Stems)),
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
func (u *ui) summary(s job.Summary, code int) {
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

// stderrIsTerminal reports whether standard error is a terminal.
func stderrIsTerminal() bool { return term.IsTerminal(int(os.Stderr.Fd())) }
