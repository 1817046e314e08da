package bench

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// fakeTools writes a fake drumsplit and a fake reference as shell scripts
// into dir. Each logs its command line (the reference its OMP_NUM_THREADS
// too) to dir/log and writes `files` files into its output folder; the
// reference exits with refExit after printing "reference broke" when that
// is not 0.
func fakeTools(t *testing.T, dir string, files, refExit int) (drumsplit string, reference []string, log string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("shell scripts as fake tools")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	log = filepath.Join(dir, "log")
	write := func(name, outFlag, logLine, fail string) string {
		p := filepath.Join(dir, name)
		script := "#!/bin/sh\n" +
			"echo \"" + logLine + "\" >> '" + log + "'\n" +
			fail +
			"out=\nwhile [ $# -gt 0 ]; do if [ \"$1\" = " + outFlag + " ]; then out=$2; shift; fi; shift; done\n" +
			"mkdir -p \"$out/track\"\n" +
			"i=0; while [ $i -lt " + strconv.Itoa(files) + " ]; do echo x > \"$out/track/$i.wav\"; i=$((i+1)); done\n"
		if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	drumsplit = write("fake-drumsplit", "-o", "drumsplit $*", "")
	fail := ""
	if refExit != 0 {
		fail = "echo 'reference broke' >&2; exit " + strconv.Itoa(refExit) + "\n"
	}
	reference = []string{"sh", write("fake-reference", "--store_dir", "reference OMP=$OMP_NUM_THREADS $*", fail)}
	return drumsplit, reference, log
}

// processFixture lays out the tiny model with a checkpoint and config
// beside it (their contents matter only to the real reference) and an
// input file.
func processFixture(t *testing.T, dir string) (ProcessModel, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "models", "tiny6.pt"))
	if err != nil {
		t.Fatal(err)
	}
	m := ProcessModelFor(filepath.Join(dir, "tiny6.pt"))
	for p, data := range map[string][]byte{m.Model: b, m.Checkpoint: []byte("ckpt"), m.Config: []byte("yaml")} {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in := filepath.Join(dir, "groove.wav")
	if err := os.WriteFile(in, []byte("RIFF"), 0o644); err != nil {
		t.Fatal(err)
	}
	return m, in
}

// TestMeasureProcesses runs the comparison with fake tools: the command
// lines each gets, the turns they take, and what is recorded.
func TestMeasureProcesses(t *testing.T) {
	dir := t.TempDir()
	m, in := processFixture(t, dir)
	ds, ref, log := fakeTools(t, dir, 6, 0)
	var progressed []Process
	ps, err := MeasureProcesses(context.Background(), ProcessConfig{
		Models: []ProcessModel{m}, Input: in, InputInfo: Input{Seconds: 2, SHA256: "abc"},
		Drumsplit: ds, Reference: ref, Threads: 2, Runs: 3, Tool: "drumsplit test",
		Machine:  Machine{CPU: "test CPU", LogicalCPUs: 2, OS: "linux"},
		Progress: func(p Process) { progressed = append(progressed, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || len(progressed) != 1 {
		t.Fatalf("%d comparisons, %d progress calls; want 1 and 1", len(ps), len(progressed))
	}
	p := ps[0]
	if p.Model.Name != "tiny6" || p.Width != 4 || p.Threads != 2 || p.Runs != 3 || p.Input.SHA256 != "abc" ||
		p.Machine.CPU != "test CPU" || p.Machine.Slug == "" || p.Drumsplit.Tool != "drumsplit test" {
		t.Errorf("header %+v", p)
	}
	for name, s := range map[string]ProcessSide{"drumsplit": p.Drumsplit, "reference": p.Reference} {
		if !s.OK() || len(s.Times) != 3 || len(s.CPU) != 3 || s.Median <= 0 || s.Files != 6 {
			t.Errorf("%s: %+v", name, s)
		}
		if runtime.GOOS == "linux" && (len(s.PeakRSS) != 3 || s.MedianRSS <= 0) {
			t.Errorf("%s: peak RSS %v, median %d", name, s.PeakRSS, s.MedianRSS)
		}
	}
	if p.WallRatio() <= 0 || p.CPURatio() < 0 || runtime.GOOS == "linux" && p.RSSRatio() <= 0 {
		t.Errorf("ratios %g %g %g", p.WallRatio(), p.CPURatio(), p.RSSRatio())
	}

	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d processes started, want 6:\n%s", len(lines), b)
	}
	for i, l := range lines {
		// Interleaved: drumsplit, reference, drumsplit, …
		wantDS := i%2 == 0
		if strings.HasPrefix(l, "drumsplit ") != wantDS {
			t.Errorf("process %d: %q, want drumsplit: %v", i, l, wantDS)
		}
		if wantDS {
			if !strings.HasPrefix(l, "drumsplit separate -m "+m.Model+" ") || !strings.Contains(l, "groove.wav -o ") ||
				!strings.HasSuffix(l, " --overwrite --threads 2") {
				t.Errorf("drumsplit command %q", l)
			}
			continue
		}
		for _, want := range []string{"reference OMP=2 ", "--model_type mdx23c", "--config_path " + m.Config,
			"--start_check_point " + m.Checkpoint, "--input_folder ", "--store_dir "} {
			if !strings.Contains(l, want) {
				t.Errorf("reference command %q lacks %q", l, want)
			}
		}
	}
	if got := p.Reference.Command[0]; got != "OMP_NUM_THREADS=2" {
		t.Errorf("reference command recorded as %q…, want the environment first", got)
	}
	// Outputs and the input folder are cleaned up.
	if _, err := os.Stat(in); err != nil {
		t.Errorf("the input itself is gone: %v", err)
	}
}

// TestMeasureProcessesDefaults: without threads neither tool is told any.
func TestMeasureProcessesDefaults(t *testing.T) {
	dir := t.TempDir()
	m, in := processFixture(t, dir)
	ds, ref, log := fakeTools(t, dir, 6, 0)
	t.Setenv("OMP_NUM_THREADS", "")
	os.Unsetenv("OMP_NUM_THREADS")
	if _, err := MeasureProcesses(context.Background(), ProcessConfig{
		Models: []ProcessModel{m}, Input: in, Drumsplit: ds, Reference: ref, Runs: 1,
	}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(log)
	if s := string(b); strings.Contains(s, "--threads") || strings.Contains(s, "OMP=1") || strings.Contains(s, "OMP=2") {
		t.Errorf("threads given at defaults:\n%s", s)
	}
}

// TestMeasureProcessesFailures: a tool that fails, or writes fewer files
// than the model has stems, is recorded without stopping the comparison.
func TestMeasureProcessesFailures(t *testing.T) {
	for _, c := range []struct {
		name           string
		files, refExit int
		dsErr, refErr  string
	}{
		{"reference exits 1", 6, 1, "", "reference broke"},
		{"too few files", 2, 0, "wrote 2 files, want 6 stems", "wrote 2 files, want 6 stems"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			m, in := processFixture(t, dir)
			ds, ref, log := fakeTools(t, dir, c.files, c.refExit)
			ps, err := MeasureProcesses(context.Background(), ProcessConfig{
				Models: []ProcessModel{m}, Input: in, Drumsplit: ds, Reference: ref, Runs: 2,
			})
			if err != nil {
				t.Fatal(err)
			}
			p := ps[0]
			check := func(side string, s ProcessSide, want string) {
				if want == "" && !s.OK() || want != "" && (s.OK() || !strings.Contains(s.Error, want)) {
					t.Errorf("%s: error %q, want %q", side, s.Error, want)
				}
			}
			check("drumsplit", p.Drumsplit, c.dsErr)
			check("reference", p.Reference, c.refErr)
			if p.WallRatio() != 0 {
				t.Errorf("a ratio with a failed side: %g", p.WallRatio())
			}
			// A side that failed is not started again.
			b, _ := os.ReadFile(log)
			if n := strings.Count(string(b), "reference "); c.refErr != "" && n != 1 {
				t.Errorf("the failed reference started %d times, want 1", n)
			}
		})
	}
}

// TestMeasureProcessesSetup: missing files stop the comparison before
// anything runs.
func TestMeasureProcessesSetup(t *testing.T) {
	dir := t.TempDir()
	m, in := processFixture(t, dir)
	ds, ref, log := fakeTools(t, dir, 6, 0)
	os.Remove(m.Checkpoint)
	_, err := MeasureProcesses(context.Background(), ProcessConfig{
		Models: []ProcessModel{m}, Input: in, Drumsplit: ds, Reference: ref, Runs: 1,
	})
	if !errors.Is(err, ErrProcessSetup) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing checkpoint: %v", err)
	}
	if _, err := os.Stat(log); !os.IsNotExist(err) {
		t.Error("a tool ran despite the missing checkpoint")
	}
	if _, err := MeasureProcesses(context.Background(), ProcessConfig{Models: []ProcessModel{m}, Input: in,
		Drumsplit: ds, Reference: ref}); !errors.Is(err, ErrProcessSetup) {
		t.Errorf("0 runs: %v", err)
	}
}

func TestProcessModelFor(t *testing.T) {
	got := ProcessModelFor(filepath.Join("bench", "tmp", "drumsep6-w16.pt"))
	want := ProcessModel{Model: filepath.Join("bench", "tmp", "drumsep6-w16.pt"),
		Checkpoint: filepath.Join("bench", "tmp", "drumsep6-w16.ckpt"), Config: filepath.Join("bench", "tmp", "drumsep6-w16.yaml")}
	if got != want {
		t.Errorf("ProcessModelFor = %+v, want %+v", got, want)
	}
}
