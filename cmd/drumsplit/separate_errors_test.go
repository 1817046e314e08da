package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSeparateBadInputs runs inputs that must each fail with one line
// naming the file, leave no output behind and make the run exit 1, while
// the good input beside them is written; a WAV named .mp3 is not bad (the
// decoders go by content).
func TestSeparateBadInputs(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	good := writeInput(t, filepath.Join(dir, "good.wav"), 3000, 44100, 20)
	whole, err := os.ReadFile(filepath.Join(dir, "good.wav"))
	if err != nil {
		t.Fatal(err)
	}
	writeInput(t, filepath.Join(dir, "wav-named.mp3"), 3000, 44100, 21)

	lying := bytes.Clone(whole)
	binary.LittleEndian.PutUint16(lying[22:], 0) // fmt: zero channels
	silent := bytes.Clone(whole[:44])            // a valid header and no samples
	binary.LittleEndian.PutUint32(silent[4:], 36)
	binary.LittleEndian.PutUint32(silent[40:], 0)
	huge := bytes.Clone(whole) // data chunk claims 4 GB
	binary.LittleEndian.PutUint32(huge[40:], 0xfffffff0)
	bad := map[string][]byte{
		"truncated.wav":   whole[:len(whole)/2],
		"zero-length.wav": nil,
		"lying-fmt.wav":   lying,
		"lying-size.wav":  huge,
		"no-samples.wav":  silent,
		"noise.flac":      bytes.Repeat([]byte("not audio at all "), 100),
		"fake.mp3":        append([]byte("ID3\x03\x00\x00\x00\x00\x00\x10"), make([]byte, 300)...),
	}
	names := []string{"good.wav", "wav-named.mp3", "missing.wav"}
	for name, data := range bad {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	emptyDir := filepath.Join(dir, "empty-folder")
	if err := os.Mkdir(emptyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	names = append(names, "empty-folder")

	r := ds(t, dir, nil, append([]string{"separate", "-m", modelPath(t, "identity.pt"), "-o", "out", "--stems", "kick"}, names...)...)
	wantCode(t, r, 1)
	checkClean(t, r.stderr)
	lines := r.lines()
	failed := append([]string{"missing.wav", "empty-folder"}, mapKeys(bad)...)
	for _, name := range failed {
		n := 0
		for _, l := range lines {
			if strings.HasPrefix(l, "drumsplit: "+strconv.Quote(name)+": ") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d lines name it, want 1:\n%s", name, n, r.stderr)
		}
	}
	if !strings.Contains(lines[len(lines)-1], "2 separated") || !strings.Contains(lines[len(lines)-1], strconv.Itoa(len(failed))+" failed") {
		t.Errorf("last line %q is not a summary of 2 separated, %d failed", lines[len(lines)-1], len(failed))
	}
	got := filesUnder(t, filepath.Join(dir, "out"))
	if want := []string{"good/kick.wav", "wav-named/kick.wav"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("output files %v, want %v", got, want)
	}
	b, _ := decode(t, filepath.Join(dir, "out", "good", "kick.wav"))
	if d := maxDiff(t, b.Data, good); d > 1.5/(1<<23) {
		t.Errorf("good.wav's kick differs from it by %g", d)
	}

	// A single bad input: exactly one line on stderr, no summary.
	r = ds(t, dir, nil, "separate", "-m", modelPath(t, "identity.pt"), "-o", "out1", "truncated.wav")
	wantCode(t, r, 1)
	wantOneLine(t, r, "truncated.wav", "truncated")
	wantNoFiles(t, filepath.Join(dir, "out1"))
}

func mapKeys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestSeparateOutputErrors checks output folders that cannot be used: one
// line, exit 1, nothing written; the model is not even loaded (these run
// without the native library).
func TestSeparateOutputErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "in.wav"), 2000, 44100, 22)
	id := modelPath(t, "identity.pt")
	if err := os.WriteFile(filepath.Join(dir, "a-file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	noLib := []string{"DRUMSPLIT_LIB=" + filepath.Join(dir, "no-lib.so")}
	for _, out := range []string{"a-file", filepath.Join("a-file", "sub")} {
		r := ds(t, dir, noLib, "separate", "-m", id, "-o", out, "in.wav")
		wantCode(t, r, 1)
		wantOneLine(t, r, "output folder "+strconv.Quote(out))
	}
	if runtime.GOOS != "windows" && os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "read-only")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		for _, out := range []string{ro, filepath.Join(ro, "sub")} {
			r := ds(t, dir, noLib, "separate", "-m", id, "-o", out, "in.wav")
			wantCode(t, r, 1)
			wantOneLine(t, r, "output folder "+strconv.Quote(out), "permission denied")
			wantNoFiles(t, ro)
		}
	}
}

// TestSeparateModelErrors checks every way the model can be wrong. The
// metadata is read without libtorch, so the lines must be the same
// without the native library; a model that passes that check but fails to
// load in libtorch is one line too.
func TestSeparateModelErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "in.wav"), 2000, 44100, 23)
	id := modelPath(t, "identity.pt")
	// A TorchScript archive that is not a drumsplit model.
	notOurs, err := filepath.Abs(filepath.Join("..", "..", "torch", "testdata", "conv.pt"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(notOurs); err != nil {
		t.Fatal(err)
	}
	zipNoMeta := filepath.Join(dir, "plain.zip")
	writeZip(t, zipNoMeta, map[string][]byte{"a/readme.txt": []byte("hello")})
	corrupt := filepath.Join(dir, "corrupt.pt")
	rewriteZip(t, id, corrupt, func(name string, data []byte) []byte {
		if strings.HasSuffix(name, "data.pkl") || strings.HasSuffix(name, ".py") {
			return []byte("this is not a pickle")
		}
		return data
	})

	noLib := []string{"DRUMSPLIT_LIB=" + filepath.Join(dir, "no-lib.so")}
	for _, tc := range []struct {
		name  string
		model string
		code  int
		want  string
	}{
		{"missing", "nope.pt", 2, "no such file"},
		{"folder", dir, 1, "not a zip"},
		{"wav", "in.wav", 1, "not a zip"},
		{"zip", zipNoMeta, 1, "not a"},
		{"torchscript", notOurs, 1, "not a drumsplit model"},
	} {
		for _, env := range [][]string{nil, noLib} {
			if env == nil && dsLib == "" {
				continue
			}
			r := ds(t, dir, env, "separate", "-m", tc.model, "-o", "out", "in.wav")
			wantCode(t, r, tc.code)
			wantOneLine(t, r, tc.model, tc.want)
			wantNoFiles(t, filepath.Join(dir, "out"))
		}
	}

	// Without the library a good model fails with the library's line.
	r := ds(t, dir, noLib, "separate", "-m", id, "-o", "out", "in.wav")
	wantCode(t, r, 1)
	wantOneLine(t, r, "make lib")
	wantNoFiles(t, filepath.Join(dir, "out"))

	if dsLib == "" {
		return
	}
	r = ds(t, dir, nil, "separate", "-m", corrupt, "-o", "out", "in.wav")
	wantCode(t, r, 1)
	wantOneLine(t, r, "corrupt.pt")
	wantNoFiles(t, filepath.Join(dir, "out"))
}

// TestSeparateBundledModel checks the default model: $DRUMSPLIT_MODEL,
// then models/drumsplit_small.pt beside the executable's folder, and the
// line when there is none.
func TestSeparateBundledModel(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "in.wav"), 2000, 44100, 24)

	r := ds(t, dir, nil, "separate", "in.wav")
	wantCode(t, r, 2)
	wantOneLine(t, r, "no --model given and the bundled model was not found", "pass -m MODEL")
	wantNoFiles(t, filepath.Join(dir, "separated"))

	r = ds(t, dir, []string{"DRUMSPLIT_MODEL=" + filepath.Join(dir, "gone.pt")}, "separate", "in.wav")
	wantCode(t, r, 2)
	wantOneLine(t, r, "gone.pt", "no such file")

	needLib(t)
	r = ds(t, dir, []string{"DRUMSPLIT_MODEL=" + modelPath(t, "identity.pt")}, "separate", "--stems", "kick", "-o", "env", "in.wav")
	wantCode(t, r, 0)
	if got := filesUnder(t, filepath.Join(dir, "env")); len(got) != 1 {
		t.Errorf("DRUMSPLIT_MODEL run wrote %v", got)
	}

	// An installed layout: bin/drumsplit and models/drumsplit_small.pt.
	inst := filepath.Join(dir, "install")
	copyFile(t, dsExe, filepath.Join(inst, "bin", filepath.Base(dsExe)))
	if err := os.Chmod(filepath.Join(inst, "bin", filepath.Base(dsExe)), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, modelPath(t, "identity.pt"), filepath.Join(inst, "models", "drumsplit_small.pt"))
	cmd := exec.Command(filepath.Join(inst, "bin", filepath.Base(dsExe)), "separate", "--json", "--stems", "kick", "-o", "inst", "in.wav")
	cmd.Dir, cmd.Env = dir, dsEnv(nil)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("installed layout: %v\n%s", err, out)
	}
	if ev := startOf(t, result{stdout: string(out)}); !strings.HasSuffix(ev.str("model"), filepath.Join("models", "drumsplit_small.pt")) {
		t.Errorf("installed layout used model %q", ev.str("model"))
	}
}

// TestSeparateUsageErrors checks that command-line mistakes exit 2 with one
// line and write nothing. They need no native library: every flag is
// checked before anything is loaded.
func TestSeparateUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "in.wav"), 2000, 44100, 25)
	id := modelPath(t, "identity.pt")
	env := []string{"DRUMSPLIT_LIB=" + filepath.Join(dir, "no-lib.so")}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "no INPUT"},
		{[]string{"--format", "mp3", "in.wav"}, "--format"},
		{[]string{"--bit-depth", "8", "in.wav"}, "--bit-depth"},
		{[]string{"--bit-depth", "32", "in.wav"}, "--bit-depth"},
		{[]string{"--format", "flac", "--bit-depth", "32f", "in.wav"}, "WAV only"},
		{[]string{"--filename", "{track}/{instrument}.{ext}", "in.wav"}, "unknown variable {instrument}"},
		{[]string{"--filename", "../{track}/{stem}.{ext}", "in.wav"}, "would leave the output folder"},
		{[]string{"--filename", "{track}/../../{stem}.{ext}", "in.wav"}, "would leave the output folder"},
		{[]string{"--filename", "/tmp/{stem}.{ext}", "in.wav"}, "relative"},
		{[]string{"--filename", "{track}/{stem.{ext}", "in.wav"}, "unmatched"},
		{[]string{"--filename", "{track}.{ext}", "in.wav"}, "no {stem}"},
		{[]string{"--overlap", "0", "in.wav"}, "--overlap"},
		{[]string{"--overlap", "two", "in.wav"}, "overlap"},
		{[]string{"--batch", "-1", "in.wav"}, "--batch"},
		{[]string{"--threads", "0", "in.wav"}, "--threads"},
		{[]string{"--device", "tpu", "in.wav"}, "--device"},
		{[]string{"--device", "cuda:x", "in.wav"}, "--device"},
		{[]string{"--precision", "fp8", "in.wav"}, "--precision"},
		{[]string{"--stft", "numpy", "in.wav"}, "--stft"},
		{[]string{"--mode", "demucs", "in.wav"}, "--mode"},
		{[]string{"--stems", "kick,bass", "in.wav"}, "kick, snare, toms, hh, ride, crash"},
		{[]string{"--stems", ",", "in.wav"}, "--stems"},
		{[]string{"--overwrite", "--skip-existing", "in.wav"}, "--skip-existing"},
		{[]string{"--no-such-flag", "in.wav"}, "no-such-flag"},
	} {
		args := append([]string{"separate", "-m", id, "-o", "out"}, tc.args...)
		r := ds(t, dir, env, args...)
		if r.code != 2 {
			t.Errorf("%v: want exit 2, got %s", tc.args, r)
			continue
		}
		wantOneLine(t, r, tc.want)
		if r.stdout != "" {
			t.Errorf("%v: stdout %q", tc.args, r.stdout)
		}
	}
	// With --json the usage error is an event too.
	r := ds(t, dir, env, "separate", "--json", "-m", id, "--format", "mp3", "in.wav")
	wantCode(t, r, 2)
	wantOneLine(t, r, "--format")
	if evs := events(t, r.stdout); len(evs) != 1 || evs[0].kind() != "error" || !strings.Contains(evs[0].str("message"), "--format") {
		t.Errorf("--json usage error: events %v, want one error event", evs)
	}

	wantNoFiles(t, filepath.Join(dir, "out"))
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("a usage error created the output folder")
	}
}

// TestSeparateCollision: two inputs with the same name would write the
// same stem files; the run is refused before anything is separated, even
// with --overwrite (issue 17: it used to separate x/take.wav, then fail
// y/take.flac). Both are at the top of the folders given, so {dir} is the
// same for both and the line says to rename one instead.
func TestSeparateCollision(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "x", "take.wav"), 2000, 44100, 26)
	writeInput(t, filepath.Join(dir, "y", "take.flac"), 2000, 44100, 27)
	r := ds(t, dir, nil, "separate", "-m", modelPath(t, "identity.pt"), "--stems", "kick", "--overwrite", "x", "y")
	wantCode(t, r, 2)
	wantOneLine(t, r, `"x/take.wav" and "y/take.flac" would both write`, "rename one of them")
	wantNoFiles(t, filepath.Join(dir, "separated"))
}

// TestSeparateInterrupt sends SIGINT while a long input is separated: the
// run stops after the batch, exits 130, reports it, and leaves no stem or
// temporary file.
func TestSeparateInterrupt(t *testing.T) {
	needLib(t)
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT on Windows")
	}
	t.Parallel()
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "long.wav"), 30*44100, 44100, 28)
	writeInput(t, filepath.Join(dir, "next.wav"), 2000, 44100, 29)
	cmd := exec.Command(dsExe, "separate", "--json", "-m", modelPath(t, "tiny6.pt"), "-o", "out", "long.wav", "next.wav")
	cmd.Dir, cmd.Env = dir, dsEnv(nil)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var evs []string
	sc := bufio.NewScanner(stdout)
	signalled := false
	for sc.Scan() {
		evs = append(evs, sc.Text())
		if !signalled && strings.Contains(sc.Text(), `"event":"progress"`) {
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			signalled = true
		}
	}
	io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if !signalled {
		t.Fatalf("no progress event before the end (exit %d):\n%s\n%s", code, strings.Join(evs, "\n"), stderr.String())
	}
	if code != 130 {
		t.Fatalf("exit %d (%v), want 130\n%s", code, err, stderr.String())
	}
	last := evs[len(evs)-1]
	if !strings.Contains(last, `"event":"summary"`) || !strings.Contains(last, `"interrupted":true`) || strings.Contains(last, `"done":1`) {
		t.Errorf("last event %s: want an interrupted summary with nothing done", last)
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not say it was interrupted: %q", stderr.String())
	}
	checkClean(t, stderr.String())
	wantNoFiles(t, filepath.Join(dir, "out"))
	for _, e := range evs {
		if strings.Contains(e, "next.wav") {
			t.Errorf("the input after the interrupted one was started: %s", e)
		}
	}
}

// writeZip writes a zip file of the given entries.
func writeZip(t *testing.T, path string, files map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rewriteZip copies the zip src to dst, passing each entry through edit.
// Entries are stored uncompressed, as torch.jit.save writes them.
func rewriteZip(t *testing.T, src, dst string, edit func(name string, data []byte) []byte) {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store, Modified: time.Unix(0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(edit(f.Name, data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
