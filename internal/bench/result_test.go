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
