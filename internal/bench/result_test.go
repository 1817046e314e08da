package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestDecode(t *testing.T) {
	run := `{"tool": "reference", "date": "2026-01-02T10:00:00Z", "machine": {"slug": "m"}, "results": [{"device": "cpu", "overlap": 2, "batch": 1, "median_s": 1.5}]}`
	f, err := Decode([]byte(run))
	if err != nil || len(f.Runs) != 1 || f.Runs[0].Tool != ToolReference || f.Runs[0].Results[0].Median != 1.5 {
		t.Fatalf("a bare run: %+v, %v", f, err)
	}
	for _, bad := range []string{`[]`, `{}`, `{"format": "drumsplit-bench", "format_version": 99, "runs": []}`, `not json`} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%s) succeeded", bad)
		}
	}
}

func TestFileRoundTrip(t *testing.T) {
	src := filepath.Join("testdata", "results", "linux-xeon-2c-2026-01-02.json")
	f, err := ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "out", "r.json")
	if err := f.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	g, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f, g) {
		t.Error("a results file changes through WriteFile and ReadFile")
	}
	var b bytes.Buffer
	if err := g.Write(&b); err != nil {
		t.Fatal(err)
	}
	if onDisk, _ := os.ReadFile(path); !bytes.Equal(b.Bytes(), onDisk) {
		t.Error("Write and WriteFile disagree")
	}
}

func TestAddAndName(t *testing.T) {
	day := time.Date(2026, 3, 4, 23, 30, 0, 0, time.UTC)
	mk := func(tool, model string, median float64, devices ...string) Run {
		r := Run{Tool: tool, Date: day, Machine: Machine{Slug: "linux-x-2c"}, Model: Model{Name: model}, Input: Input{SHA256: "s"}}
		for _, d := range devices {
			r.Results = append(r.Results, Result{Device: d, Median: median})
		}
		return r
	}
	f := NewFile()
	if _, err := f.DefaultName(); err == nil {
		t.Error("an empty file has a name")
	}
	f.Add(mk(ToolReference, "narrow", 1, "cpu"), mk(ToolDrumsplit, "narrow", 1, "cpu"))
	f.Add(mk(ToolDrumsplit, "narrow", 2, "cpu"))           // replaces
	f.Add(mk(ToolDrumsplit, "full", 3, "cpu"))             // another model: appended
	f.Add(mk(ToolDrumsplit, "narrow", 4, "cpu", "cuda:0")) // other devices: appended
	if len(f.Runs) != 4 || f.Runs[1].Results[0].Median != 2 || f.Runs[2].Model.Name != "full" {
		t.Errorf("runs after Add: %+v", f.Runs)
	}
	name, err := f.DefaultName()
	if err != nil || name != "linux-x-2c-2026-03-04.json" {
		t.Errorf("DefaultName = %q, %v", name, err)
	}
}

// TestDecodeVersions: version 1 files (no whole-process comparisons) are
// still read, and take the current version when written back; versions
// from the future are refused.
func TestDecodeVersions(t *testing.T) {
	v1, err := os.ReadFile(filepath.Join("testdata", "results", "linux-xeon-2c-2026-01-02.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(v1, []byte(`"format_version": 1`)) {
		t.Fatal("the fixture is no longer a version 1 file")
	}
	f, err := Decode(v1)
	if err != nil || len(f.Runs) != 2 || len(f.Processes) != 0 || f.Version != FormatVersion {
		t.Fatalf("version 1 file: %v, %d runs, %d comparisons, version %d", err, len(f.Runs), len(f.Processes), f.Version)
	}
	v2, err := os.ReadFile(filepath.Join("testdata", "process", "linux-xeon-2c-2026-01-04.json"))
	if err != nil {
		t.Fatal(err)
	}
	f, err = Decode(v2)
	if err != nil || len(f.Processes) != 3 || f.Processes[0].Drumsplit.Median != 17.2 || f.Processes[2].Reference.Error == "" {
		t.Fatalf("version 2 file: %v, %+v", err, f)
	}
	for _, v := range []string{"0", "3"} {
		if _, err := Decode([]byte(`{"format": "drumsplit-bench", "format_version": ` + v + `, "runs": []}`)); err == nil {
			t.Errorf("version %s accepted", v)
		}
	}
}

// TestAddProcesses: a comparison replaces one of the same machine, model,
// input and threads, and is appended otherwise; a file of comparisons
// alone is named after the first.
func TestAddProcesses(t *testing.T) {
	day := time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)
	mk := func(model string, threads int, median float64) Process {
		return Process{Date: day, Machine: Machine{Slug: "linux-x-2c"}, Model: Model{Name: model}, Input: Input{SHA256: "s"},
			Threads: threads, Drumsplit: ProcessSide{Median: median}}
	}
	f := NewFile()
	f.AddProcesses(mk("w16", 0, 1), mk("w64", 0, 2))
	f.AddProcesses(mk("w16", 0, 3)) // replaces
	f.AddProcesses(mk("w16", 2, 4)) // other threads: appended
	if len(f.Processes) != 3 || f.Processes[0].Drumsplit.Median != 3 || f.Processes[2].Threads != 2 {
		t.Errorf("comparisons after AddProcesses: %+v", f.Processes)
	}
	name, err := f.DefaultName()
	if err != nil || name != "linux-x-2c-2026-03-05.json" {
		t.Errorf("DefaultName = %q, %v", name, err)
	}
	// WriteResults merges comparisons into an existing file.
	dir := t.TempDir()
	if _, err := WriteResults(dir+"/", f); err != nil {
		t.Fatal(err)
	}
	g := NewFile()
	g.AddProcesses(mk("w128", 0, 5))
	path, err := WriteResults(dir+"/", g)
	if err != nil {
		t.Fatal(err)
	}
	h, err := ReadFile(path)
	if err != nil || len(h.Processes) != 4 {
		t.Errorf("merged file: %v, %d comparisons, want 4", err, len(h.Processes))
	}
}
