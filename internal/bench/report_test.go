package bench

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func loadFixtures(t *testing.T) []Entry {
	t.Helper()
	entries, err := LoadDir(filepath.Join("testdata", "results"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Fatalf("%d runs in testdata/results, want 3", len(entries))
	}
	return entries
}

func TestRows(t *testing.T) {
	rows := Rows(loadFixtures(t))
	type want struct {
		platform, prec string
		overlap, batch int
		ratio          float64 // NaN: none
		ds, ref        bool
	}
	wants := []want{
		{"Linux · Intel(R) Xeon(R) Processor (2 CPUs)", "fp32", 2, 1, 1.6 / 2.0, true, true},
		{"Linux · Intel(R) Xeon(R) Processor (2 CPUs)", "fp32", 4, 1, 3.2 / 4.1, true, true},
		{"Linux · Intel(R) Xeon(R) Processor (2 CPUs)", "fp32", 4, 8, math.NaN(), true, true}, // drumsplit failed
		{"Linux · NVIDIA H200", "fp32", 4, 4, math.NaN(), true, false},
		{"Linux · NVIDIA H200", "fp16", 4, 4, math.NaN(), true, false},
	}
	if len(rows) != len(wants) {
		t.Fatalf("%d rows, want %d", len(rows), len(wants))
	}
	for i, w := range wants {
		r := rows[i]
		ratio := r.Ratio()
		if r.Platform != w.platform || r.Precision != w.prec || r.Overlap != w.overlap || r.Batch != w.batch ||
			(r.Drumsplit != nil) != w.ds || (r.Reference != nil) != w.ref ||
			math.IsNaN(ratio) != math.IsNaN(w.ratio) || !math.IsNaN(w.ratio) && math.Abs(ratio-w.ratio) > 1e-12 {
			t.Errorf("row %d: %s %s o%d b%d ratio %g ds %v ref %v; want %+v", i, r.Platform, r.Precision, r.Overlap,
				r.Batch, ratio, r.Drumsplit != nil, r.Reference != nil, w)
		}
	}
}

// TestRowsPairing checks that results pair only within a file, for the same
// input and thread count.
func TestRowsPairing(t *testing.T) {
	var ds, ref Entry
	for _, e := range loadFixtures(t) {
		if e.Run.Machine.Slug != "linux-xeon-2c" {
			continue
		}
		if e.Run.Tool == ToolDrumsplit {
			ds = e
		} else {
			ref = e
		}
	}
	for name, mod := range map[string]func(e *Entry){
		"other file":    func(e *Entry) { e.File = 9 },
		"other input":   func(e *Entry) { e.Run.Input.SHA256 = "cccc" },
		"other threads": func(e *Entry) { e.Run.Settings.Threads = 1 },
	} {
		r := ref
		r.Run.Results = append([]Result(nil), ref.Run.Results...)
		mod(&r)
		rows := Rows([]Entry{ds, r})
		paired := 0
		for _, row := range rows {
			if row.Drumsplit != nil && row.Reference != nil {
				paired++
			}
		}
		if paired != 0 || len(rows) != 6 {
			t.Errorf("%s: %d rows, %d paired; want 6 rows, none paired", name, len(rows), paired)
		}
	}
}

func TestMarkdownGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, loadFixtures(t), "bench/rtf.svg"); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "report.golden.md")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./bench -update writes it)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("markdown differs from %s (go test ./bench -update rewrites it):\n%s", golden, b.String())
	}
}

func TestMarkdownEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, nil, ""); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "No results yet") {
		t.Errorf("empty report: %q", b.String())
	}
}

func TestUpdateMarkdown(t *testing.T) {
	sec := []byte("TABLE\n")
	// No markers: appended after the text.
	got := string(UpdateMarkdown([]byte("# B\n\nintro"), sec))
	want := "# B\n\nintro\n\n" + BeginMarker + "\n\nTABLE\n\n" + EndMarker + "\n"
	if got != want {
		t.Errorf("append:\n%q\nwant\n%q", got, want)
	}
	// Markers: only the inside is replaced, twice in a row the same.
	doc := "# B\n\n" + BeginMarker + "\nold\n" + EndMarker + "\n\n## After\n"
	once := UpdateMarkdown([]byte(doc), sec)
	twice := UpdateMarkdown(once, sec)
	want = "# B\n\n" + BeginMarker + "\n\nTABLE\n\n" + EndMarker + "\n\n## After\n"
	if string(once) != want || !bytes.Equal(once, twice) {
		t.Errorf("replace:\n%q\nwant\n%q\nsecond pass:\n%q", once, want, twice)
	}
}

func TestChartSeries(t *testing.T) {
	entries := loadFixtures(t)
	series := ChartSeries(entries)
	labels := map[string]map[int]float64{}
	for _, s := range series {
		labels[s.Label] = s.Points
	}
	want := map[string]map[int]float64{
		"drumsplit cpu×2 fp32, linux-xeon-2c, fixture-narrow":  {2: 0.16, 4: 0.32},
		"reference cpu×2 fp32, linux-xeon-2c, fixture-narrow":  {2: 0.2, 4: 0.41},
		"drumsplit cuda fp32, linux-nvidia-h200, fixture-full": {4: 0.00967},
		"drumsplit cuda fp16, linux-nvidia-h200, fixture-full": {4: 0.003868},
	}
	if len(labels) != len(want) {
		t.Errorf("series %v, want %v", labels, want)
	}
	for l, pts := range want {
		got, ok := labels[l]
		if !ok {
			t.Errorf("no series %q", l)
			continue
		}
		for o, v := range pts {
			if math.Abs(got[o]-v) > 1e-12 {
				t.Errorf("%s overlap %d: %g, want %g (the best batch)", l, o, got[o], v)
			}
		}
	}
}

func TestWriteReport(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "BENCHMARKS.md")
	if err := os.WriteFile(md, []byte("# Benchmarks\n\nHow to run.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	chart := filepath.Join(dir, "bench", "rtf.svg")
	// Without a ChartFunc the chart is linked, not drawn.
	if err := WriteReport(filepath.Join("testdata", "results"), md, chart, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(chart); !os.IsNotExist(err) {
		t.Errorf("chart drawn without a ChartFunc: %v", err)
	}
	var drawn []Entry
	draw := func(w io.Writer, entries []Entry) error {
		drawn = entries
		_, err := io.WriteString(w, "<svg/>")
		return err
	}
	if err := WriteReport(filepath.Join("testdata", "results"), md, chart, draw); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.HasPrefix(s, "# Benchmarks\n\nHow to run.\n") || !strings.Contains(s, "](bench/rtf.svg)") ||
		!strings.Contains(s, BeginMarker) || !strings.Contains(s, "| fixture-narrow") && !strings.Contains(s, "fixture-narrow (") {
		t.Errorf("BENCHMARKS.md:\n%s", s)
	}
	if strings.Count(s, BeginMarker) != 1 {
		t.Errorf("BENCHMARKS.md has %d generated sections, want 1", strings.Count(s, BeginMarker))
	}
	if c, err := os.ReadFile(chart); err != nil || string(c) != "<svg/>" || len(drawn) != 3 {
		t.Errorf("chart %q, %v, drawn from %d runs; want <svg/> from 3", c, err, len(drawn))
	}
	// A ChartFunc's error is the report's, and leaves no partial chart.
	boom := errors.New("boom")
	err = WriteReport(filepath.Join("testdata", "results"), md, chart, func(w io.Writer, _ []Entry) error {
		io.WriteString(w, "<sv")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("WriteReport with a failing chart = %v, want boom", err)
	}
	if c, _ := os.ReadFile(chart); string(c) != "<svg/>" {
		t.Errorf("failed chart replaced the old one: %q", c)
	}
}

// TestProcessMarkdownGolden renders the whole-process section of a results
// file with three comparisons: sorted by width, a failed reference shown as
// such, thread counts and environment in their column.
func TestProcessMarkdownGolden(t *testing.T) {
	entries, procs, err := LoadResults(filepath.Join("testdata", "process"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 || len(procs) != 3 {
		t.Fatalf("%d runs and %d comparisons in testdata/process, want 0 and 3", len(entries), len(procs))
	}
	var b bytes.Buffer
	if err := ProcessMarkdown(&b, procs); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "process.golden.md")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("markdown differs from %s (go test ./internal/bench -update rewrites it):\n%s", golden, b.String())
	}
}

// TestProcessMarkdownEmpty: no comparisons yet says how to get some.
func TestProcessMarkdownEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := ProcessMarkdown(&b, nil); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); !strings.HasPrefix(s, "### Whole process\n") || !strings.Contains(s, "make bench") {
		t.Errorf("empty section:\n%s", s)
	}
}

// TestWriteReportProcesses: the report holds the grid's sections and the
// whole-process section, in that order, from the same results directory.
func TestWriteReportProcesses(t *testing.T) {
	dir := t.TempDir()
	res := filepath.Join(dir, "results")
	for _, src := range []string{filepath.Join("testdata", "results", "linux-xeon-2c-2026-01-02.json"),
		filepath.Join("testdata", "process", "linux-xeon-2c-2026-01-04.json")} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(res, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(res, filepath.Base(src)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	md := filepath.Join(dir, "BENCHMARKS.md")
	if err := WriteReport(res, md, "", nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	matrix, whole, end := strings.Index(s, "### Matrix"), strings.Index(s, "### Whole process"), strings.Index(s, EndMarker)
	if matrix < 0 || whole < matrix || end < whole || !strings.Contains(s[whole:], "drumsep6-w128-random") {
		t.Errorf("BENCHMARKS.md:\n%s", s)
	}
}
