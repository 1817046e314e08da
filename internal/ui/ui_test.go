package ui

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestBar(t *testing.T) {
	for _, tc := range []struct {
		label              string
		done, total, speed float64
		eta                time.Duration
		width              int
		want               []string
	}{
		{"take1.wav", 13, 26, 6.5, 4 * time.Second, 80, []string{"take1.wav", " 50% ", "13.0/26.0 s  6.50×  00:02<00:04"}},
		{"take1.wav", 0, 26, 0, 0, 80, []string{"  0% ", "26.0 s  00:02<?"}},
		{"take1.wav", 26, 26, 13, 0, 80, []string{"100% ", "13.0×", "<00:00", strings.Repeat("█", 10)}},
		{"take1.wav", 3, -1, 1.5, 0, 80, []string{"take1.wav", "3.0 s  1.50×"}},
		{"take1.wav", 300, 600, 150, 0, 80, []string{"300.0/600.0 s  150×"}},
		{strings.Repeat("very-long-name-", 10) + ".wav", 1, 2, 0.5, time.Second, 60, []string{"…", " 50% ", "0.50×"}},
		{"x.wav", 1, 2, 0.5, time.Second, 30, []string{" 50% "}},
	} {
		got := Bar(tc.label, tc.done, tc.total, tc.speed, 2*time.Second, tc.eta, tc.width)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("Bar(%q, %g/%g) = %q, lacks %q", tc.label, tc.done, tc.total, got, w)
			}
		}
		if n := utf8.RuneCountInString(got); n > max(tc.width, 60) {
			t.Errorf("Bar width %d: %d columns: %q", tc.width, n, got)
		}
	}
	// The bar grows with the fraction, in eighths.
	prev := -1
	for i := 0; i <= 80; i++ {
		b := bar(float64(i)/80, 10)
		if utf8.RuneCountInString(b) != 10 {
			t.Fatalf("bar(%d/80) = %q: not 10 cells", i, b)
		}
		filled := 0
		for _, r := range b {
			switch r {
			case '█':
				filled += 8
			case ' ':
			default:
				filled += strings.IndexRune("▏▎▍▌▋▊▉", r)/len("▏") + 1
			}
		}
		if filled != i || filled < prev {
			t.Errorf("bar(%d/80) = %q fills %d eighths", i, b, filled)
		}
		prev = filled
	}
}

// TestShortLine: a message is one line without terminal escapes, and a
// long one is cut in its quoted names, never in its cause.
func TestShortLine(t *testing.T) {
	for in, want := range map[string]string{
		"one line":                    "one line",
		"  padded \n":                 "padded",
		"a\nforged line":              `a\nforged line`,
		"red \x1b[31mtext\x1b[0m":     `red \x1b[31mtext\x1b[0m`,
		`"short.wav": file too large`: `"short.wav": file too large`,
	} {
		if got := ShortLine(in); got != want {
			t.Errorf("ShortLine(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("very-long-folder/", 40) + "take.wav"
	msg := fmt.Sprintf("%q: create: file name too long (and %q)", long, "other "+long)
	got := ShortLine(msg)
	if n := utf8.RuneCountInString(got); n > MaxLine {
		t.Errorf("shortLine: %d characters: %q", n, got)
	}
	if !strings.HasSuffix(got, `take.wav")`) || !strings.Contains(got, `take.wav": create: file name too long (and "other `) {
		t.Errorf("shortLine lost the cause or the file's own name: %q", got)
	}
	// A cause longer than the limit is kept whole.
	cause := strings.Repeat("why ", 100)
	if got := ShortLine(cause); got != strings.TrimSpace(cause) {
		t.Errorf("shortLine cut an unquoted cause: %q", got)
	}
}

// recordLog collects log records.
type recordLog []string

func (r *recordLog) LogRecord(level slog.Level, file, msg string) {
	*r = append(*r, LogLine("drumsplit", level, file, msg))
}

// TestLogHandler: log records become one "drumsplit: …" line each.
func TestLogHandler(t *testing.T) {
	var got recordLog
	log := NewLogger(slog.LevelWarn, &got, nil)
	log.Warn("device cuda:0 is not available\nsecond line")
	log.With("b", 2).Error("failed", "a", "x", "error", errors.New("why"))
	log.Info("hidden")
	log.Warn("clipped", "file", "in\n.wav")
	want := []string{
		`drumsplit: warning: device cuda:0 is not available\nsecond line`,
		"drumsplit: error: failed (b=2 a=x error=why)",
		`drumsplit: warning: "in\n.wav": clipped`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestLogErrText: an error attribute is written by the command's errText,
// which adds what only the command knows.
func TestLogErrText(t *testing.T) {
	var got recordLog
	log := NewLogger(slog.LevelDebug, &got, func(err error) string { return err.Error() + " (pass --flag)" })
	log.WithGroup("g").Debug("open", "error", errors.New("no file"))
	if want := []string{"drumsplit: open (g.error=no file (pass --flag))"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestStatus: a line written while a status line is drawn clears it
// first; without a terminal nothing but the lines is written.
func TestStatus(t *testing.T) {
	var b strings.Builder
	s := NewStatus(&b, true)
	s.Draw(false, func(width int) string { return fmt.Sprintf("bar %d", width) }) // the first draw is never held back
	s.Println("a line")
	s.Println("another")
	s.Draw(true, func(int) string { return "bar 2" })
	s.Clear()
	s.Clear()
	if want := "\rbar 80\x1b[K\r\x1b[Ka line\nanother\n\rbar 2\x1b[K\r\x1b[K"; b.String() != want {
		t.Errorf("wrote %q, want %q", b.String(), want)
	}

	b.Reset()
	s = NewStatus(&b, false)
	s.Draw(true, func(int) string { return "bar" })
	s.Println("a line")
	s.Clear()
	if b.String() != "a line\n" {
		t.Errorf("without a terminal: wrote %q", b.String())
	}
}

// failWriter fails every write and counts them.
type failWriter struct{ n int }

func (w *failWriter) Write([]byte) (int, error) { w.n++; return 0, errors.New("broken pipe") }

// TestJSONLines: values are one line each; after a failed write nothing
// more is tried.
func TestJSONLines(t *testing.T) {
	var b strings.Builder
	j := NewJSONLines(&b)
	j.Encode(map[string]any{"event": "start", "text": "a\nb"})
	j.Encode(struct {
		N int `json:"n"`
	}{2})
	if want := "{\"event\":\"start\",\"text\":\"a\\nb\"}\n{\"n\":2}\n"; b.String() != want {
		t.Errorf("wrote %q, want %q", b.String(), want)
	}
	w := &failWriter{}
	j = NewJSONLines(w)
	j.Encode(1)
	j.Encode(2)
	if w.n != 1 {
		t.Errorf("%d writes after the first failed, want none", w.n-1)
	}
}
