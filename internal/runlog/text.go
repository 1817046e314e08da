package runlog

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
)

// WriteText writes the totals for the terminal: the runs and shards, the
// inputs, the audio and time with the speed, a line per worker, then what
// is missing or failed.
func (t *Totals) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d run%s in %d log%s", t.Runs, plural(t.Runs), t.Logs, plural(t.Logs))
	if len(t.Shards) > 0 {
		fmt.Fprintf(&b, "; shards %s", strings.Join(t.Shards, ", "))
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "inputs: %d: %d separated, %d skipped (stem files were there), %d failed\n", t.Files, t.Done, t.Skipped, t.Failed)
	fmt.Fprintf(&b, "audio: %.1f s separated in %.1f s of wall time (%s real time); workers busy %.1f s\n",
		t.Seconds, t.Wall, times(t.Speed), t.Busy)
	for _, wk := range t.Workers {
		name := "worker " + strconv.Itoa(wk.Worker)
		if wk.Shard != "" {
			name = "shard " + wk.Shard + " " + name
		}
		if wk.Device != "" {
			name += " (" + wk.Device + ")"
		}
		fmt.Fprintf(&b, "  %s: %d file%s, %.1f s of audio in %.1f s: %s real time\n",
			name, wk.Files, plural(wk.Files), wk.Seconds, wk.Elapsed, times(wk.Speed))
	}
	if len(t.Missing) > 0 {
		fmt.Fprintf(&b, "missing shards (no log): %s\n", strings.Join(t.Missing, ", "))
	}
	for _, s := range t.Unfinished {
		if s == "" {
			s = "the run"
		} else {
			s = "shard " + s
		}
		fmt.Fprintf(&b, "unfinished: %s: its last run was killed or interrupted (rerun it with --skip-existing)\n", s)
	}
	for _, f := range t.Failures {
		fmt.Fprintf(&b, "failed: %q: %s\n", f.File, oneLine(f.Message))
	}
	if t.Complete() {
		b.WriteString("complete: every input separated or skipped\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// oneLine makes a message read from a log safe to print on one line:
// control characters (a newline, a terminal escape) become spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// times is a speed as "12.3×", or "-" when unknown.
func times(v float64) string {
	if v <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f×", v)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
