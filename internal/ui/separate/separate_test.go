package separate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/internal/job"
)

// event is one decoded JSON event line.
type event map[string]any

func (e event) kind() string { s, _ := e["event"].(string); return s }

func (e event) num(k string) float64 { f, _ := e[k].(float64); return f }

// events decodes the JSON lines of stdout.
func events(t *testing.T, stdout string) []event {
	t.Helper()
	var evs []event
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var e event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		evs = append(evs, e)
	}
	return evs
}

// TestUIEvents: with --json, warnings logged before the start event follow
// it, and progress events are thinned out but the last is always written.
func TestUIEvents(t *testing.T) {
	var out, errw bytes.Buffer
	u := New(&errw, &out, false, true, true)
	u.LogRecord(slog.LevelWarn, "", "early")
	u.Event(job.Started{Kind: job.KindStarted})
	u.Event(job.FileStarted{Kind: job.KindFileStarted, File: "a.wav", Index: 1, Total: 1, Seconds: 10, SampleRate: 100})
	for i := 0; i <= 1000; i += 10 {
		u.Event(job.Progress{Kind: job.KindProgress, File: "a.wav", Index: 1, Done: float64(i) / 100, Total: 10, Fraction: float64(i) / 1000})
	}
	u.Event(job.Progress{Kind: job.KindProgress, File: "a.wav", Index: 1, Done: 10, Total: 10, Fraction: 1}) // a repeated last report
	evs := events(t, out.String())
	kinds := []string{}
	for _, e := range evs {
		kinds = append(kinds, e.kind())
	}
	if want := []string{"start", "warning", "file_start", "progress", "progress"}; !slices.Equal(kinds, want) {
		t.Errorf("events %v, want %v", kinds, want)
	}
	if last := evs[len(evs)-1]; last.num("fraction") != 1 || last.num("done") != 10 || last.num("total") != 10 {
		t.Errorf("last progress %v: want done 10 of 10 s", last)
	}
	if strings.Contains(errw.String(), "\r") {
		t.Errorf("--json drew a bar on stderr: %q", errw.String())
	}
}

// TestPrinterText: without --json each input gets one line, failures even
// with --quiet, and a run of several inputs ends with a summary line.
func TestPrinterText(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		var out, errw bytes.Buffer
		u := New(&errw, &out, quiet, false, false)
		u.Event(job.Started{Kind: job.KindStarted, Inputs: 3})
		u.Event(job.FileDone{Kind: job.KindFileDone, File: "a.wav", Status: job.StatusDone, Seconds: 2, Elapsed: 1,
			Stems: []job.Stem{{Stem: "kick", Path: "out/a/kick.wav"}, {Stem: "snare", Path: "out/a/snare.wav"}}})
		u.Event(job.FileDone{Kind: job.KindFileDone, File: "b.wav", Status: job.StatusSkipped})
		u.Event(job.FileDone{Kind: job.KindFileDone, File: "d.wav", Status: job.StatusDone, Seconds: 2, Elapsed: 1,
			Stems: []job.Stem{{Stem: "kick", Path: "out/d/kick.wav"}, {Stem: job.ResidualStem, Path: "out/d/other.wav"}}})
		u.Event(job.FileFailed{Kind: job.KindFileFailed, File: "c\n.wav", Message: "truncated"})
		u.Summary(job.Summary{Inputs: 3, Done: 1, Skipped: 1, Failed: 1, Elapsed: 1}, 1)
		want := []string{
			`drumsplit: "a.wav": 2 stems in "out/a" (2.0 s of audio in 1.0 s)`,
			`drumsplit: "b.wav": skipped: its stem files exist`,
			`drumsplit: "d.wav": 1 stem and other in "out/d" (2.0 s of audio in 1.0 s)`,
			`drumsplit: "c\n.wav": truncated`,
			`drumsplit: 1 separated, 1 skipped, 1 failed of 3 inputs in 1.0 s`,
		}
		if quiet {
			want = []string{want[3], want[4]}
		}
		if got := strings.Split(strings.TrimSuffix(errw.String(), "\n"), "\n"); !slices.Equal(got, want) {
			t.Errorf("quiet %v: lines\n%s\nwant\n%s", quiet, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if out.Len() > 0 {
			t.Errorf("events without --json: %q", out.String())
		}
	}
}

// TestPrinterLoading: the loading line is printed at once, in text and as
// the first JSON event; a warning that names no file gets the model's
// while it loads and the input's while it is separated; the bar shows the
// speed as times real time.
func TestPrinterLoading(t *testing.T) {
	load := job.Loading{Kind: job.KindLoading, Model: "m.pt", ModelName: "tiny", Device: "auto"}
	run := func(u *Printer) {
		u.Event(load)
		u.LogRecord(slog.LevelWarn, "", "cuda is not available")
		u.Event(job.Started{Kind: job.KindStarted, Inputs: 1})
		u.Event(job.FileStarted{Kind: job.KindFileStarted, File: "a.wav", Index: 1, Total: 1, Seconds: 10})
		u.Event(job.Progress{Kind: job.KindProgress, File: "a.wav", Index: 1, Done: 5, Total: 10, Fraction: 0.5, Elapsed: 2, Speed: 2.5})
		u.LogRecord(slog.LevelWarn, "", "slow")
		u.LogRecord(slog.LevelWarn, "other.wav", "named")
		u.Event(job.FileDone{Kind: job.KindFileDone, File: "a.wav", Status: job.StatusDone})
	}

	var out, errw bytes.Buffer
	run(New(&errw, &out, false, false, true))
	text := errw.String()
	for _, want := range []string{
		"drumsplit: loading model \"m.pt\" (tiny) on auto …\n",
		`"m.pt": cuda is not available`,
		`"a.wav": slow`,
		`"other.wav": named`,
		"5.0/10.0 s  2.50×",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("stderr lacks %q:\n%s", want, text)
		}
	}
	if !strings.HasPrefix(text, "drumsplit: loading model") {
		t.Errorf("stderr does not start with the loading line:\n%s", text)
	}

	out.Reset()
	errw.Reset()
	run(New(&errw, &out, false, true, false))
	evs := events(t, out.String())
	var got []string
	for _, e := range evs {
		f, _ := e["file"].(string)
		got = append(got, e.kind()+":"+f)
	}
	want := []string{"loading:", "start:", "warning:m.pt", "file_start:a.wav", "progress:a.wav", "warning:a.wav", "warning:other.wav", "file_done:a.wav"}
	if !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if evs[0]["model"] != "m.pt" || evs[0]["device"] != "auto" || evs[4].num("speed") != 2.5 {
		t.Errorf("loading %v, progress %v", evs[0], evs[4])
	}
	if strings.Contains(errw.String(), "loading") {
		t.Errorf("--json printed the loading line on stderr too: %q", errw.String())
	}
}

// TestUIEventsWorkers: with two workers the progress of two files
// interleaves; each file's events are thinned out on their own (the last
// report of one does not silence the other), and the bar on a terminal
// shows both files in flight.
func TestUIEventsWorkers(t *testing.T) {
	var out, errw bytes.Buffer
	u := New(&errw, &out, false, true, true)
	u.Event(job.Started{Kind: job.KindStarted, Inputs: 2})
	for i, f := range []string{"a.wav", "b.wav"} {
		u.Event(job.FileStarted{Kind: job.KindFileStarted, File: f, Index: i + 1, Total: 2, Seconds: 10, Worker: i, Device: "cpu"})
	}
	u.Event(job.Progress{Kind: job.KindProgress, File: "a.wav", Index: 1, Done: 10, Total: 10, Fraction: 1, Worker: 0, Device: "cpu"})
	u.Event(job.Progress{Kind: job.KindProgress, File: "b.wav", Index: 2, Done: 5, Total: 10, Fraction: 0.5, Worker: 1, Device: "cpu"})
	u.Event(job.Progress{Kind: job.KindProgress, File: "b.wav", Index: 2, Done: 10, Total: 10, Fraction: 1, Worker: 1, Device: "cpu"})
	var got []string
	for _, e := range events(t, out.String()) {
		if e.kind() == job.KindProgress {
			got = append(got, fmt.Sprintf("%v:%v:%v", e["file"], e["worker"], e.num("fraction")))
		}
	}
	if want := []string{"a.wav:0:1", "b.wav:1:0.5", "b.wav:1:1"}; !slices.Equal(got, want) {
		t.Errorf("progress events %v, want %v", got, want)
	}

	// The bar, drawn where --json is off.
	var bar bytes.Buffer
	u = New(&bar, &out, false, false, true)
	u.Event(job.Started{Kind: job.KindStarted, Inputs: 3})
	for i, f := range []string{"a.wav", "b.wav"} {
		u.Event(job.FileStarted{Kind: job.KindFileStarted, File: f, Index: i + 1, Total: 3, Seconds: 10})
	}
	u.Event(job.Progress{Kind: job.KindProgress, File: "a.wav", Index: 1, Done: 4, Total: 10, Fraction: 0.4})
	u.Event(job.Progress{Kind: job.KindProgress, File: "b.wav", Index: 2, Done: 6, Total: 10, Fraction: 1})
	last := bar.String()[strings.LastIndex(bar.String(), "\r"):]
	if !strings.Contains(last, "[2 of 3] a.wav, b.wav") || !strings.Contains(last, "10.0/20.0 s") {
		t.Errorf("bar %q: want both files and their seconds together", last)
	}
}
