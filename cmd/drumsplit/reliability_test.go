package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
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

	"github.com/mewkiz/pkg/errutil"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/internal/ui"
)

// TestHostileNumbers: absurd numbers are usage errors (exit 2, one line)
// before anything is allocated or started, never an out-of-memory crash or
// minutes of thread creation.
func TestHostileNumbers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "in.wav"), 2000, 44100, 40)
	id := modelPath(t, "identity.pt")
	noLib := []string{"DRUMSPLIT_LIB=" + filepath.Join(dir, "no-lib.so")}
	huge := strconv.Itoa(100000)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"separate", "-m", id, "--batch", huge, "in.wav"}, "--batch 100000: must be at most 64"},
		{[]string{"separate", "-m", id, "--overlap", huge, "in.wav"}, "--overlap 100000: must be at most 64"},
		{[]string{"separate", "-m", id, "--threads", huge, "in.wav"}, fmt.Sprintf("at most %d (4 per usable CPU", 4*runtime.NumCPU())},
		{[]string{"bench", "-m", id, "--batch", "1," + huge}, "--batch 100000"},
		{[]string{"bench", "-m", id, "--overlap", huge}, "--overlap 100000"},
		{[]string{"bench", "-m", id, "--threads", huge}, "--threads 100000"},
	} {
		r := ds(t, dir, noLib, tc.args...)
		if r.code != exitUsage {
			t.Errorf("%v: want exit 2, got %s", tc.args, r)
			continue
		}
		wantOneLine(t, r, tc.want)
	}
	wantNoFiles(t, filepath.Join(dir, "separated"))
}

// TestUnknownCommand: a mistyped command is a usage error with a hint.
func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	r := ds(t, t.TempDir(), nil, "sepparate", "in.wav")
	wantCode(t, r, exitUsage)
	wantOneLine(t, r, `unknown command "sepparate"`, `did you mean "separate"?`)
}

// TestFIFOs: a FIFO named as the model or given to info is refused
// before it is opened (opening it would wait for a writer for ever).
func TestFIFOs(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no FIFOs")
	}
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "model.pt")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	writeInput(t, filepath.Join(dir, "in.wav"), 2000, 44100, 41)
	for _, args := range [][]string{{"separate", "-m", fifo, "in.wav"}, {"info", fifo}} {
		r := dsBounded(t, dir, args...)
		wantCode(t, r, exitFailed)
		wantOneLine(t, r, strconv.Quote(fifo), "not a regular file")
	}
}

// dsBounded is ds for a command that might hang: after a minute it is
// killed and the test fails.
func dsBounded(t *testing.T, dir string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, dsExe, args...)
	cmd.Dir, cmd.Env = dir, dsEnv(nil)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%v hangs", args)
	}
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSignalsCleanUp stops a run with SIGHUP, SIGQUIT and a closed pipe on
// standard output (`separate --json … | head -1`): each is handled as
// Ctrl-C is, the input's temporary files are removed, and the exit code is
// 128 + the signal's number.
func TestSignalsCleanUp(t *testing.T) {
	needLib(t)
	if runtime.GOOS == "windows" {
		t.Skip("no such signals on Windows")
	}
	t.Parallel()
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "long.wav"), 30*44100, 44100, 42)
	for _, tc := range []struct {
		name string
		sig  syscall.Signal // 0: close standard output after the first progress event
		code int
	}{
		{"SIGHUP", syscall.SIGHUP, 129},
		{"SIGQUIT", syscall.SIGQUIT, 131},
		{"SIGPIPE", 0, 141},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "out-"+tc.name)
			cmd := exec.Command(dsExe, "separate", "--json", "-m", modelPath(t, "tiny6.pt"), "-o", out, "long.wav")
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
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if strings.Contains(sc.Text(), `"event":"progress"`) {
					break
				}
			}
			if tc.sig != 0 {
				if err := cmd.Process.Signal(tc.sig); err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, stdout)
			} else {
				stdout.Close() // as head does after its line
			}
			cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != tc.code {
				t.Fatalf("exit %d (%v), want %d\n%s", code, cmd.ProcessState, tc.code, stderr.String())
			}
			checkClean(t, stderr.String())
			wantNoFiles(t, out)
		})
	}
}

// TestNamesStayOnOneLine: a file name with a line break cannot split an
// error line (or forge one), in text and in --json.
func TestNamesStayOnOneLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := "gone\ndrumsplit: forged.wav: all good"
	noLib := []string{"DRUMSPLIT_LIB=" + filepath.Join(dir, "no-lib.so")}
	r := ds(t, dir, noLib, "separate", "-m", modelPath(t, "identity.pt"), name)
	wantCode(t, r, exitFailed)
	wantOneLine(t, r, strconv.Quote(name)+": no such file")

	r = ds(t, dir, noLib, "separate", "--json", "-m", modelPath(t, "identity.pt"), name)
	wantCode(t, r, exitFailed)
	wantOneLine(t, r, strconv.Quote(name))
	if evs := only(events(t, r.stdout), "error"); len(evs) != 1 || evs[0].str("file") != name {
		t.Errorf("error events %v", evs)
	}
}

// TestLongNamesKeepTheCause: an error about a very long path keeps its
// cause whole and shortens the path in the middle instead.
func TestLongNamesKeepTheCause(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	track := strings.Repeat("long-name-", 20) // 200 characters
	writeInput(t, filepath.Join(dir, track+".wav"), 2000, 44100, 43)
	r := ds(t, dir, nil, "separate", "-m", modelPath(t, "identity.pt"), "--stems", "kick",
		"--filename", "{track}/{track}{track}.{ext}", track+".wav")
	wantCode(t, r, exitFailed)
	wantOneLine(t, r, "file name too long", "…")
	if n := len([]rune(r.lines()[0])); n > ui.MaxLine+40 {
		t.Errorf("line of %d characters: %q", n, r.lines()[0])
	}
}

// TestErrorLineFLAC: the FLAC encoder's errors carry colour codes and its
// source location; the line shows neither.
func TestErrorLineFLAC(t *testing.T) {
	enc := func() error { return errutil.Err(fmt.Errorf("write: %w", syscall.ENOSPC)) }()
	err := &audio.Error{Path: "out/kick.flac", Msg: "encode", Err: enc}
	got := errorLine("in.wav", err)
	if strings.Contains(got, "\x1b") || strings.Contains(got, ".go:") || !strings.Contains(got, "no space left on device") {
		t.Errorf("errorLine = %q", got)
	}
}

// TestRenderErrorsOnce: each track that fails to render is one line, not
// two.
func TestRenderErrorsOnce(t *testing.T) {
	needKits(t)
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a-file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := ds(t, dir, nil, "render", "--out", filepath.Join("a-file", "data"), "--tracks", "2", "--seconds", "1", "--jobs", "1")
	wantCode(t, r, exitFailed)
	count := map[string]int{}
	for _, l := range r.lines() {
		count[l]++
		if count[l] > 1 {
			t.Errorf("printed twice: %q", l)
		}
	}
	if n := strings.Count(r.stderr, "not a directory"); n != 2 {
		t.Errorf("want one line per failed track, got:\n%s", r.stderr)
	}
}
