package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/audio"
)

// The binary under test, built once by TestMain, and the native library
// it runs with ("" when none is built).
var (
	dsExe string
	dsLib string
)

// modelsDir holds the committed tiny models (make fixtures).
var modelsDir = filepath.Join("..", "..", "testdata", "models")

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "drumsplit-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	dsExe = filepath.Join(dir, "bin", "drumsplit")
	if runtime.GOOS == "windows" {
		dsExe += ".exe"
	}
	if out, err := exec.Command("go", "build", "-o", dsExe, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	dsLib = os.Getenv("DRUMSPLIT_LIB")
	if dsLib == "" {
		if p, err := filepath.Abs(filepath.Join("..", "..", "bin", "libdrumsplit_torch.so")); err == nil {
			dsLib = p
		}
	}
	if _, err := os.Stat(dsLib); err != nil {
		dsLib = ""
	}
	if abs, err := filepath.Abs(modelsDir); err == nil {
		modelsDir = abs
	}
	return m.Run()
}

// needLib skips a test that runs models when the native library is not
// built, or fails it with DRUMSPLIT_REQUIRE_TORCH=1 (as `make test` sets).
func needLib(t *testing.T) {
	t.Helper()
	if dsLib != "" {
		return
	}
	if os.Getenv("DRUMSPLIT_REQUIRE_TORCH") == "1" {
		t.Fatal("native library required (DRUMSPLIT_REQUIRE_TORCH=1) but not built: make lib")
	}
	t.Skip("native library not built (make lib)")
}

// modelPath returns a committed model, skipping when the fixtures are not
// generated.
func modelPath(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(modelsDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("model fixture %s missing (make fixtures): %v", name, err)
	}
	return p
}

// result is what one run of the binary produced.
type result struct {
	stdout, stderr string
	code           int
}

// lines returns the non-empty lines of stderr but the "loading model"
// line a run that loads a model starts with (TestLoadingLine checks it).
func (r result) lines() []string {
	var out []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(l, "drumsplit: loading model ") {
			continue
		}
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// ds runs the binary in dir with args; env adds to (or overrides) the
// environment, which has DRUMSPLIT_LIB set to the built library and
// DRUMSPLIT_MODEL unset.
func ds(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(dsExe, args...)
	cmd.Dir = dir
	cmd.Env = dsEnv(env)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return r
}

func dsEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DRUMSPLIT_MODEL=") && !strings.HasPrefix(kv, "DRUMSPLIT_LIB=") {
			env = append(env, kv)
		}
	}
	env = append(env, "DRUMSPLIT_LIB="+dsLib)
	return append(env, extra...)
}

// wantCode fails the test unless the run exited with code.
func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("want exit %d, got %s", code, r)
	}
}

// wantOneLine checks that stderr is exactly one line holding every part.
func wantOneLine(t *testing.T, r result, parts ...string) {
	t.Helper()
	lines := r.lines()
	if len(lines) != 1 {
		t.Fatalf("want one line on stderr, got %d:\n%s", len(lines), r.stderr)
	}
	for _, p := range parts {
		if !strings.Contains(lines[0], p) {
			t.Errorf("stderr %q lacks %q", lines[0], p)
		}
	}
	checkClean(t, lines[0])
}

// checkClean fails on text that looks like a Go panic or a libtorch dump.
func checkClean(t *testing.T, s string) {
	t.Helper()
	for _, bad := range []string{"goroutine ", "panic:", "Traceback", "Exception raised from", "frame #", "[recovered]"} {
		if strings.Contains(s, bad) {
			t.Errorf("output contains %q:\n%s", bad, s)
		}
	}
}

// filesUnder lists the files (anything not a folder) under dir, relative
// to dir with "/" separators; a missing dir has none.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wantNoFiles fails if anything but folders exists under dir (no stem
// file, no temporary file).
func wantNoFiles(t *testing.T, dir string) {
	t.Helper()
	if f := filesUnder(t, dir); len(f) > 0 {
		t.Errorf("%s should hold no files, has %v", dir, f)
	}
}

// testAudio returns deterministic stereo test audio: two tones and a little
// noise per channel, different in each, peaking near amp.
func testAudio(frames, rate int, amp float64, seed uint64) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 7))
	d := make([][]float32, 2)
	for ch := range d {
		d[ch] = make([]float32, frames)
		f1, f2 := 110.0*float64(ch+1)+float64(seed), 2500.0+300*float64(ch)
		for i := range d[ch] {
			x := float64(i) / float64(rate)
			v := 0.6*math.Sin(2*math.Pi*f1*x) + 0.3*math.Sin(2*math.Pi*f2*x+float64(ch)) + 0.1*(2*rng.Float64()-1)
			d[ch][i] = float32(amp * v)
		}
	}
	return d
}

// writeAudio writes planar samples to path in the given encoding.
func writeAudio(t *testing.T, path string, data [][]float32, rate int, enc audio.Encoding) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := audio.WriteFile(path, &audio.Buffer{SampleRate: rate, Data: data}, enc); err != nil {
		t.Fatal(err)
	}
}

var wav16 = audio.Encoding{Format: "wav", BitDepth: 16}

// writeInput writes a 16-bit stereo WAV of test audio and returns the
// samples as the decoder will deliver them.
func writeInput(t *testing.T, path string, frames, rate int, seed uint64) [][]float32 {
	t.Helper()
	writeAudio(t, path, testAudio(frames, rate, 0.5, seed), rate, wav16)
	b, _ := decode(t, path)
	return b.Data
}

// decode reads a whole audio file.
func decode(t *testing.T, path string) (*audio.Buffer, audio.Info) {
	t.Helper()
	b, info, err := audio.DecodeFile(path)
	if err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	return b, info
}

// maxDiff is the largest absolute difference of two planar signals of the
// same shape; a shape mismatch fails the test.
func maxDiff(t *testing.T, a, b [][]float32) float64 {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("channels: %d vs %d", len(a), len(b))
	}
	m := 0.0
	for ch := range a {
		if len(a[ch]) != len(b[ch]) {
			t.Fatalf("channel %d: %d vs %d frames", ch, len(a[ch]), len(b[ch]))
		}
		for i := range a[ch] {
			m = math.Max(m, math.Abs(float64(a[ch][i])-float64(b[ch][i])))
		}
	}
	return m
}

// event is one parsed --json line.
type event map[string]any

func (e event) kind() string { s, _ := e["event"].(string); return s }

func (e event) str(k string) string { s, _ := e[k].(string); return s }

func (e event) num(k string) float64 { f, _ := e[k].(float64); return f }

// events parses stdout as JSON lines, failing on any line that is not one
// JSON object with an "event" field.
func events(t *testing.T, stdout string) []event {
	t.Helper()
	var evs []event
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("stdout line %q is not JSON: %v", sc.Text(), err)
		}
		if e.kind() == "" {
			t.Fatalf("stdout line %q has no event field", sc.Text())
		}
		evs = append(evs, e)
	}
	return evs
}

// only returns the events of one kind.
func only(evs []event, kind string) []event {
	var out []event
	for _, e := range evs {
		if e.kind() == kind {
			out = append(out, e)
		}
	}
	return out
}

// startOf returns the start event of a --json run.
func startOf(t *testing.T, r result) event {
	t.Helper()
	evs := events(t, r.stdout)
	if len(evs) > 0 && evs[0].kind() == "loading" {
		evs = evs[1:] // the model is loaded before start says how it runs
	}
	if len(evs) == 0 || evs[0].kind() != "start" {
		t.Fatalf("first event is not start (after loading):\n%s", r.stdout)
	}
	return evs[0]
}

// copyFile copies src to dst.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// stemNames are the stems of the committed 6-stem models.
var stemNames = []string{"kick", "snare", "toms", "hh", "ride", "crash"}
