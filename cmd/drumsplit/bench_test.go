package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/internal/bench"
)

// TestBenchTiny runs a small grid on the tiny model and checks the results
// file it writes into a directory.
func TestBenchTiny(t *testing.T) {
	needLib(t)
	tiny := modelPath(t, "tiny6.pt")
	dir := t.TempDir()
	r := ds(t, dir, nil, "bench", "-m", tiny, "--device", "cpu", "--seconds", "1", "--overlap", "2",
		"--batch", "1,3", "--runs", "1", "--warmup", "1", "--threads", "1", "--save-input", "in.wav", "-o", "res/")
	wantCode(t, r, 0)
	files, _ := filepath.Glob(filepath.Join(dir, "res", "*.json"))
	if len(files) != 1 {
		t.Fatalf("results files %v, want one\n%s", files, r)
	}
	f, err := bench.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(f.Runs))
	}
	run := f.Runs[0]
	if want := run.Machine.Slug + "-" + run.Date.UTC().Format("2006-01-02") + ".json"; filepath.Base(files[0]) != want {
		t.Errorf("file %s, want %s", filepath.Base(files[0]), want)
	}
	if run.Tool != bench.ToolDrumsplit || run.Settings.Threads != 1 || run.Settings.Runs != 1 ||
		run.Model.Name == "" || run.Model.ChunkSize != 960 || run.Machine.CPU == "" || run.Machine.Libtorch == "" {
		t.Errorf("run header %+v", run)
	}
	if run.Input.Seconds != 1 || run.Input.Frames != 44100 || len(run.Input.SHA256) != 64 {
		t.Errorf("input %+v", run.Input)
	}
	if len(run.Results) != 2 {
		t.Fatalf("%d results, want 2 (batch 1 and 3)", len(run.Results))
	}
	for _, res := range run.Results {
		if res.Error != "" || res.Device != "cpu" || res.Precision != "fp32" || res.Overlap != 2 ||
			len(res.Times) != 1 || res.Median <= 0 || res.RTF <= 0 || res.Chunks <= 0 ||
			res.Computed != res.Chunks || res.ChunksPerSec <= 0 || res.DeviceBusy <= 0 || res.DeviceBusy > 1 ||
			res.PeakRSS <= 0 {
			t.Errorf("result %+v", res)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "in.wav")); err != nil || st.Size() < 44100*2*4 {
		t.Errorf("saved input: %v", err)
	}
}

// TestBenchProcess is the smoke test of the whole-process comparison: the
// real drumsplit binary separates as a user starts it, on the tiny model,
// against a fake reference (a shell script given MSST inference.py's flags
// that writes one file per stem), and the results file holds the
// comparison alone (--grid=false).
func TestBenchProcess(t *testing.T) {
	needLib(t)
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh for the fake reference")
	}
	dir := t.TempDir()
	b, err := os.ReadFile(modelPath(t, "tiny6.pt"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"tiny6.pt": b, "tiny6.ckpt": []byte("ckpt"), "tiny6.yaml": []byte("yaml")} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fake := `out=
while [ $# -gt 0 ]; do
	case $1 in
	--store_dir) out=$2; shift ;;
	--config_path|--start_check_point) [ -f "$2" ] || { echo "no $2" >&2; exit 1; }; shift ;;
	esac
	shift
done
mkdir -p "$out/input"
for s in kick snare toms hh ride crash; do echo x > "$out/input/$s.wav"; done
`
	if err := os.WriteFile(filepath.Join(dir, "fake-msst.sh"), []byte(fake), 0o644); err != nil {
		t.Fatal(err)
	}
	r := ds(t, dir, nil, "bench", "-m", "tiny6.pt", "--grid=false", "--seconds", "1", "--runs", "1",
		"--process", "tiny6.pt", "--process-reference", "sh fake-msst.sh", "-o", "res/")
	wantCode(t, r, 0)
	if !strings.Contains(r.stderr, "whole process, tiny6: drumsplit ") {
		t.Errorf("no progress line for the comparison:\n%s", r)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "res", "*.json"))
	if len(files) != 1 {
		t.Fatalf("results files %v, want one\n%s", files, r)
	}
	f, err := bench.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Runs) != 0 || len(f.Processes) != 1 {
		t.Fatalf("%d runs and %d comparisons, want 0 and 1", len(f.Runs), len(f.Processes))
	}
	p := f.Processes[0]
	if p.Model.Name != "tiny6" || p.Runs != 1 || p.Threads != 0 || p.Input.Seconds != 1 || len(p.Input.SHA256) != 64 {
		t.Errorf("comparison header %+v", p)
	}
	for name, s := range map[string]bench.ProcessSide{"drumsplit": p.Drumsplit, "reference": p.Reference} {
		if !s.OK() || s.Files != 6 || len(s.Times) != 1 || s.Median <= 0 {
			t.Errorf("%s: %+v", name, s)
		}
	}
	if c := p.Drumsplit.Command; len(c) < 2 || c[1] != "separate" || strings.Contains(strings.Join(c, " "), "--threads") {
		t.Errorf("drumsplit started as %q, want separate at its defaults", c)
	}
}

// TestBenchUsage checks that command line mistakes exit with 2 before any
// work.
func TestBenchUsage(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench"}, "--model"},
		{[]string{"bench", "-m", "x.pt", "--overlap", "0"}, "--overlap"},
		{[]string{"bench", "-m", "x.pt", "--batch", "a"}, "--batch"},
		{[]string{"bench", "-m", "x.pt", "--precision", "fp8"}, "--precision"},
		{[]string{"bench", "-m", "x.pt", "--runs", "0"}, "--runs"},
		{[]string{"bench", "-m", "x.pt", "--stft", "numpy"}, "--stft"},
		{[]string{"bench", "-m", "x.pt", "extra"}, "no arguments"},
		{[]string{"bench", "merge", "-o", "out.json"}, "files to merge"},
		{[]string{"bench", "-m", "x.pt", "--process", "x.pt"}, "--process-reference"},
		{[]string{"bench", "-m", "x.pt", "--grid=false"}, "--process"},
		{[]string{"bench", "-m", "x.pt", "--process-threads", "-1"}, "--process-threads"},
	} {
		r := ds(t, dir, nil, c.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: want exit 2 mentioning %q, got %s", c.args, c.want, r)
		}
	}
	r := ds(t, dir, nil, "bench", "-m", "missing.pt")
	if r.code != exitFailed || len(r.lines()) != 1 {
		t.Errorf("missing model: want one line and exit 1, got %s", r)
	}
}

// TestBenchMergeReport merges the package's fixture runs into a results
// directory and regenerates a markdown file from it, linking to a chart it
// does not draw (internal/cmd/benchreport does).
func TestBenchMergeReport(t *testing.T) {
	fixtures, err := filepath.Abs(filepath.Join("..", "..", "internal", "bench", "testdata", "results"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r := ds(t, dir, nil, "bench", "merge", "-o", "results/", filepath.Join(fixtures, "linux-xeon-2c-2026-01-02.json"))
	wantCode(t, r, 0)
	merged := filepath.Join(dir, "results", "linux-xeon-2c-2026-01-02.json")
	f, err := bench.ReadFile(merged)
	if err != nil || len(f.Runs) != 2 {
		t.Fatalf("merged file: %v, %v", f, err)
	}
	// Merging the same runs again replaces them.
	wantCode(t, ds(t, dir, nil, "bench", "merge", "-o", merged, filepath.Join(fixtures, "linux-xeon-2c-2026-01-02.json")), 0)
	if f, err = bench.ReadFile(merged); err != nil || len(f.Runs) != 2 {
		t.Fatalf("merged twice: %d runs, %v", len(f.Runs), err)
	}
	if err := os.WriteFile(filepath.Join(dir, "B.md"), []byte("# B\n\nprose\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = ds(t, dir, nil, "bench", "report", "--results", "results", "--markdown", "B.md", "--chart", "c/rtf.svg")
	wantCode(t, r, 0)
	md, err := os.ReadFile(filepath.Join(dir, "B.md"))
	if err != nil {
		t.Fatal(err)
	}
	if s := string(md); !strings.HasPrefix(s, "# B\n\nprose\n") || !strings.Contains(s, "](c/rtf.svg)") ||
		!strings.Contains(s, "| 0.80 |") {
		t.Errorf("B.md:\n%s", s)
	}
	if _, err := os.Stat(filepath.Join(dir, "c", "rtf.svg")); !os.IsNotExist(err) {
		t.Errorf("bench report drew the chart (%v): the binary has no plotting library", err)
	}
}
