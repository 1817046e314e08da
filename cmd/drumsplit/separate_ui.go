package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sirupsen/logrus"
	"golang.org/x/term"

	"github.com/drumsplit/drumsplit/separator"
)

// ui is everything `separate` tells the user: lines and the progress bar on
// standard error, JSON events on standard output. Its methods may be called
// from any goroutine (logrus entries come from the separator's).
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
	// pending holds the warning events logged before the start event
	// (while the model loads), so that start is always the first event.
	pending [][]byte
	started bool

	prevOut       io.Writer
	prevFormatter logrus.Formatter
	prevHooks     logrus.LevelHooks
}

func newUI(errw, out io.Writer, quiet, json, tty bool) *ui {
	return &ui{errw: errw, out: out, quiet: quiet, json: json, tty: tty && !quiet && !json}
}

// installLogging routes logrus (the separator's and the audio package's
// warnings) through the ui: one "drumsplit: warning: …" line each, which
// never tears the progress bar, and a warning event with --json.
func (u *ui) installLogging() {
	std := logrus.StandardLogger()
	u.prevOut, u.prevFormatter = std.Out, std.Formatter
	u.prevHooks = std.ReplaceHooks(make(logrus.LevelHooks))
	logrus.SetOutput(logWriter{u})
	logrus.SetFormatter(lineFormatter{})
	if u.json {
		logrus.AddHook(warningHook{u})
	}
}

func (u *ui) uninstallLogging() {
	std := logrus.StandardLogger()
	std.ReplaceHooks(u.prevHooks)
	logrus.SetOutput(u.prevOut)
	logrus.SetFormatter(u.prevFormatter)
}

// logWriter writes log lines to standard error, clearing the bar first.
type logWriter struct{ u *ui }

func (w logWriter) Write(p []byte) (int, error) {
	w.u.mu.Lock()
	defer w.u.mu.Unlock()
	w.u.clearBar()
	return w.u.errw.Write(p)
}

// lineFormatter formats a log entry as one line: "drumsplit: warning: msg"
// (errors and warnings) or "drumsplit: msg (key=value …)" (info, debug).
type lineFormatter struct{}

func (lineFormatter) Format(e *logrus.Entry) ([]byte, error) {
	var b strings.Builder
	b.WriteString("drumsplit: ")
	switch e.Level {
	case logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel:
		b.WriteString("error: ")
	case logrus.WarnLevel:
		b.WriteString("warning: ")
	}
	b.WriteString(strings.TrimSpace(firstLine(e.Message)))
	if len(e.Data) > 0 {
		keys := make([]string, 0, len(e.Data))
		for k := range e.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(" (")
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(' ')
			}
			v := e.Data[k]
			if err, ok := v.(error); ok {
				v = firstLine(err.Error())
			}
			fmt.Fprintf(&b, "%s=%v", k, v)
		}
		b.WriteByte(')')
	}
	b.WriteByte('\n')
	return []byte(b.String()), nil
}

// warningHook turns warnings into JSON events.
type warningHook struct{ u *ui }

func (warningHook) Levels() []logrus.Level { return []logrus.Level{logrus.WarnLevel} }

func (h warningHook) Fire(e *logrus.Entry) error {
	msg := firstLine(e.Message)
	if err, ok := e.Data[logrus.ErrorKey].(error); ok {
		msg += ": " + firstLine(err.Error())
	}
	h.u.event(warningEvent{Event: "warning", Message: msg})
	return nil
}

// The JSON events; separateDescription documents them.
type (
	startEvent struct {
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
	fileStartEvent struct {
		Event      string  `json:"event"`
		File       string  `json:"file"`
		Index      int     `json:"index"`
		Total      int     `json:"total"`
		Seconds    float64 `json:"seconds"`
		SampleRate int     `json:"sample_rate"`
	}
	progressEvent struct {
		Event    string  `json:"event"`
		File     string  `json:"file"`
		Index    int     `json:"index"`
		Done     float64 `json:"done"`
		Total    float64 `json:"total"`
		Fraction float64 `json:"fraction"`
		Elapsed  float64 `json:"elapsed"`
		ETA      float64 `json:"eta"`
	}
	stemEvent struct {
		Stem    string `json:"stem"`
		Path    string `json:"path"`
		Clipped int64  `json:"clipped"`
	}
	fileDoneEvent struct {
		Event   string      `json:"event"`
		File    string      `json:"file"`
		Index   int         `json:"index"`
		Status  string      `json:"status"`
		Stems   []stemEvent `json:"stems"`
		Seconds float64     `json:"seconds"`
		Elapsed float64     `json:"elapsed"`
		RTF     float64     `json:"rtf"`
	}
	warningEvent struct {
		Event   string `json:"event"`
		File    string `json:"file,omitempty"`
		Message string `json:"message"`
	}
	errorEvent struct {
		Event   string `json:"event"`
		File    string `json:"file,omitempty"`
		Index   int    `json:"index,omitempty"`
		Message string `json:"message"`
	}
	summaryEvent struct {
		Event       string  `json:"event"`
		Inputs      int     `json:"inputs"`
		Done        int     `json:"done"`
		Skipped     int     `json:"skipped"`
		Failed      int     `json:"failed"`
		Seconds     float64 `json:"seconds"`
		Elapsed     float64 `json:"elapsed"`
		RTF         float64 `json:"rtf"`
		Interrupted bool    `json:"interrupted"`
		ExitCode    int     `json:"exit_code"`
	}
)

// event writes one JSON event line (with --json).
func (u *ui) event(ev any) {
	if !u.json {
		return
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err) // the event types always marshal
	}
	b = append(b, '\n')
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case u.started:
		u.out.Write(b)
	case strings.HasPrefix(string(b), `{"event":"start"`):
		u.started = true
		u.out.Write(b)
		for _, p := range u.pending {
			u.out.Write(p)
		}
		u.pending = nil
	case strings.HasPrefix(string(b), `{"event":"warning"`):
		u.pending = append(u.pending, b)
	default:
		// An error ends a run that never started: flush what is held.
		for _, p := range u.pending {
			u.out.Write(p)
		}
		u.pending = nil
		u.out.Write(b)
	}
}

// line writes one line to standard error, clearing the bar first.
func (u *ui) line(format string, args ...any) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.clearBar()
	fmt.Fprintf(u.errw, format+"\n", args...)
}

// clearBar removes the bar from the terminal line; u.mu is held.
func (u *ui) clearBar() {
	if u.barOn {
		io.WriteString(u.errw, "\r\x1b[K")
		u.barOn = false
	}
}

func (u *ui) start(cfg *separateConfig, sep *separator.Separator, inputs int) {
	ev := startEvent{Event: "start", Version: Version, Model: cfg.modelPath, ModelName: cfg.modelName,
		Stems: cfg.info.Stems, SampleRate: cfg.info.SampleRate, Out: cfg.out,
		Format: cfg.enc.Format, BitDepth: bitDepthName(cfg.enc.BitDepth), Inputs: inputs}
	for _, i := range cfg.stems {
		ev.WriteStems = append(ev.WriteStems, cfg.info.Stems[i])
	}
	if sep != nil {
		ev.Device, ev.Precision, ev.STFT, ev.Mode = sep.Device(), string(sep.Precision()), string(sep.STFT()), string(sep.Mode())
		ev.ChunkSize, ev.Overlap, ev.Batch = sep.ChunkSize(), sep.Overlap(), sep.BatchSize()
		logrus.WithFields(logrus.Fields{"device": ev.Device, "precision": ev.Precision, "stft": ev.STFT,
			"mode": ev.Mode, "chunk": ev.ChunkSize, "overlap": ev.Overlap, "batch": ev.Batch}).Debug("separating")
	}
	u.event(ev)
}

func bitDepthName(bits int) string {
	if bits == 32 {
		return "32f"
	}
	return fmt.Sprint(bits)
}

func (u *ui) fileStart(path string, index, total int, seconds float64, rate int) {
	u.mu.Lock()
	u.last, u.lastEv, u.final = time.Time{}, time.Time{}, false
	u.mu.Unlock()
	u.event(fileStartEvent{Event: "file_start", File: path, Index: index, Total: total, Seconds: seconds, SampleRate: rate})
}

// progressEvery is how often the bar is redrawn and progress events are
// written (besides the first and the last report of a file).
const (
	barEvery   = 100 * time.Millisecond
	eventEvery = 250 * time.Millisecond
)

func (u *ui) progress(f *fileState, p separator.Progress) {
	done := float64(p.SamplesDone) / float64(f.rate)
	total, frac, eta := -1.0, -1.0, -1.0
	if p.SamplesTotal >= 0 {
		total = float64(p.SamplesTotal) / float64(f.rate)
		frac = 1
		if p.SamplesTotal > 0 {
			frac = math.Min(1, float64(p.SamplesDone)/float64(p.SamplesTotal))
		}
		if p.ETA > 0 || frac == 1 {
			eta = p.ETA.Seconds()
		}
	}
	final := frac == 1
	now := time.Now()
	if u.json {
		u.mu.Lock()
		due := !u.final && (final || u.lastEv.IsZero() || now.Sub(u.lastEv) >= eventEvery)
		if due {
			u.lastEv, u.final = now, final
		}
		u.mu.Unlock()
		if due {
			u.event(progressEvent{Event: "progress", File: f.path, Index: f.index, Done: round3(done), Total: round3(total),
				Fraction: round3(frac), Elapsed: round3(p.Elapsed.Seconds()), ETA: round3(eta)})
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
	label := filepath.Base(f.path)
	if f.total > 1 {
		label = fmt.Sprintf("[%d/%d] %s", f.index, f.total, label)
	}
	io.WriteString(u.errw, "\r"+renderBar(label, done, total, p.Elapsed, p.ETA, width)+"\x1b[K")
	u.barOn = true
}

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

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func (u *ui) fileError(path string, index int, msg string) {
	u.line("drumsplit: %s: %s", path, msg) // even with --quiet
	u.event(errorEvent{Event: "error", File: path, Index: index, Message: msg})
}

// fatal reports an error that ends the run.
func (u *ui) fatal(err error) {
	msg := firstLine(err.Error())
	u.line("drumsplit: %s", msg)
	u.event(errorEvent{Event: "error", Message: msg})
}

func (u *ui) fileDone(path string, index int, res fileResult) {
	ev := fileDoneEvent{Event: "file_done", File: path, Index: index, Status: "done",
		Seconds: round3(res.seconds), Elapsed: round3(res.elapsed.Seconds()), Stems: []stemEvent{}}
	if res.skipped {
		ev.Status = "skipped"
	}
	if res.seconds > 0 {
		ev.RTF = round3(res.elapsed.Seconds() / res.seconds)
	}
	for i, f := range res.files {
		ev.Stems = append(ev.Stems, stemEvent{Stem: f.name, Path: f.path, Clipped: res.clipped[i]})
	}
	u.event(ev)
	if u.quiet || u.json {
		return
	}
	if res.skipped {
		u.line("drumsplit: %s: skipped: its stem files exist", path)
		return
	}
	u.line("drumsplit: %s: %d stem%s in %s (%.1f s of audio in %.1f s)", path, len(res.files), plural(len(res.files)),
		commonDir(res.files), res.seconds, res.elapsed.Seconds())
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// commonDir is the folder holding all files, or the longest common one.
func commonDir(files []stemFile) string {
	if len(files) == 0 {
		return ""
	}
	dir := filepath.Dir(files[0].path)
	for _, f := range files[1:] {
		for !strings.HasPrefix(f.path, dir+string(filepath.Separator)) && dir != "." && dir != string(filepath.Separator) {
			dir = filepath.Dir(dir)
		}
	}
	return dir
}

func (u *ui) summary(inputs int, n counts, elapsed time.Duration, interrupted bool, code int) {
	ev := summaryEvent{Event: "summary", Inputs: inputs, Done: n.done, Skipped: n.skipped, Failed: n.failed,
		Seconds: round3(n.seconds), Elapsed: round3(elapsed.Seconds()), Interrupted: interrupted, ExitCode: code}
	if n.seconds > 0 {
		ev.RTF = round3(elapsed.Seconds() / n.seconds)
	}
	u.event(ev)
	if u.json {
		if interrupted {
			u.line("drumsplit: interrupted")
		}
		return
	}
	var parts []string
	parts = append(parts, fmt.Sprintf("%d separated", n.done))
	if n.skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", n.skipped))
	}
	if n.failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", n.failed))
	}
	if rest := inputs - n.done - n.skipped - n.failed; rest > 0 {
		parts = append(parts, fmt.Sprintf("%d not started", rest))
	}
	msg := strings.Join(parts, ", ") + fmt.Sprintf(" of %d inputs in %.1f s", inputs, elapsed.Seconds())
	switch {
	case interrupted:
		u.line("drumsplit: interrupted: %s", msg)
	case inputs > 1 && (!u.quiet || n.failed > 0):
		u.line("drumsplit: %s", msg)
	}
}

// stderrIsTerminal reports whether standard error is a terminal.
func stderrIsTerminal() bool { return term.IsTerminal(int(os.Stderr.Fd())) }
