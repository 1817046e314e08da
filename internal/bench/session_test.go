package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteResults: a directory gets DIR/<machine>-<date>.json, an
// existing results file is merged into, and one that is not a results
// file is left alone with an error naming it.
func TestWriteResults(t *testing.T) {
	f, err := ReadFile(filepath.Join("testdata", "results", "linux-xeon-2c-2026-01-02.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path, err := WriteResults(dir+string(os.PathSeparator)+"new"+string(os.PathSeparator), f)
	if want := filepath.Join(dir, "new", "linux-xeon-2c-2026-01-02.json"); err != nil || path != want {
		t.Fatalf("WriteResults into a new folder = %q, %v; want %q", path, err, want)
	}
	// The same runs again replace themselves; the folder is found as one.
	if path, err = WriteResults(filepath.Join(dir, "new"), f); err != nil {
		t.Fatal(err)
	}
	g, err := ReadFile(path)
	if err != nil || len(g.Runs) != len(f.Runs) {
		t.Fatalf("merged twice: %v runs, %v; want %d", len(g.Runs), err, len(f.Runs))
	}
	// Another run is added to them.
	other := NewFile()
	other.Runs = []Run{f.Runs[0]}
	other.Runs[0].Model.Name = "another"
	if _, err := WriteResults(path, other); err != nil {
		t.Fatal(err)
	}
	if g, err = ReadFile(path); err != nil || len(g.Runs) != len(f.Runs)+1 {
		t.Fatalf("merged another run: %v runs, %v; want %d", len(g.Runs), err, len(f.Runs)+1)
	}

	bad := filepath.Join(dir, "notes.json")
	if err := os.WriteFile(bad, []byte("my notes"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteResults(bad, f); err == nil || !strings.Contains(err.Error(), `cannot merge into "`+bad+`"`) {
		t.Errorf("WriteResults over a file that is no results file: %v", err)
	}
	if b, _ := os.ReadFile(bad); string(b) != "my notes" {
		t.Errorf("the file was replaced: %q", b)
	}
}

// TestWriteTable: one row per grid point, failures with their message.
func TestWriteTable(t *testing.T) {
	run := &Run{ToolVersion: "drumsplit 1", Results: []Result{
		{Device: "cpu", Precision: "fp32", Overlap: 2, Batch: 4, Median: 1.5, RTF: 0.25},
		{Device: "cuda:0", Precision: "fp16", Overlap: 2, Batch: 64, Error: "out of memory"},
	}}
	var b strings.Builder
	if err := run.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "drumsplit 1 on ") || !strings.Contains(lines[2], "0.250") ||
		!strings.Contains(lines[3], "failed: out of memory") {
		t.Errorf("table:\n%s", b.String())
	}
	if got := ProgressLine(ToolReference, run.Results[1]); !strings.HasSuffix(got, "batch 64: failed: out of memory") {
		t.Errorf("ProgressLine = %q", got)
	}
}

// TestRunSessionInput: input problems are reported before anything is
// measured, naming what went wrong.
func TestRunSessionInput(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.wav")
	_, _, err := RunSession(context.Background(), Session{Config: Config{Runs: 1}, InputFile: missing})
	if err == nil || !strings.HasPrefix(err.Error(), "input: ") {
		t.Errorf("a missing input: %v", err)
	}
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = RunSession(context.Background(), Session{Config: Config{Runs: 1}, Seconds: 0.1, Kits: t.TempDir(),
		SaveInput: filepath.Join(notDir, "in.wav")})
	if err == nil || !strings.HasPrefix(err.Error(), "save input: ") {
		t.Errorf("an unwritable --save-input: %v", err)
	}
}
