package main

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/torch"
)

// buildBinary builds drumsplit into a temporary directory, away from any
// native library, and returns its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	exe := filepath.Join(t.TempDir(), "drumsplit")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	if out, err := exec.Command(gobin, "build", "-o", exe, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return exe
}

// runBinary runs exe with args and extra environment, returning stdout,
// stderr and the exit code.
func runBinary(t *testing.T, exe string, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

// TestBinaryNativeLibrary builds drumsplit once and runs it without and
// with its native library.
func TestBinaryNativeLibrary(t *testing.T) {
	exe := buildBinary(t)
	t.Run("without", func(t *testing.T) { testNoNativeLibrary(t, exe) })
	t.Run("with", func(t *testing.T) { testDevicesJSON(t, exe) })
}

// testNoNativeLibrary checks the binary without its native library: it
// starts, `devices` fails with one line of its own (no dynamic-loader
// message) and `version` and `--help` still work.
func testNoNativeLibrary(t *testing.T, exe string) {
	if runtime.GOOS == "linux" {
		f, err := elf.Open(exe)
		if err != nil {
			t.Fatal(err)
		}
		libs, _ := f.ImportedLibraries()
		f.Close()
		for _, l := range libs {
			if strings.Contains(l, "torch") || strings.Contains(l, "c10") {
				t.Errorf("drumsplit links %s; it must open the native library at run time", l)
			}
		}
	}
	for _, env := range [][]string{
		{"DRUMSPLIT_LIB=" + filepath.Join(t.TempDir(), "missing", "libdrumsplit_torch.so")},
		{"DRUMSPLIT_LIB="}, // nothing next to the temporary binary either
	} {
		stdout, stderr, code := runBinary(t, exe, env, "devices")
		lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
		t.Logf("%v: exit %d, stderr %q", env, code, stderr)
		if code != 1 || stdout != "" || len(lines) != 1 {
			t.Errorf("devices without the library: exit %d, stdout %q, stderr %q; want exit 1 and one line", code, stdout, stderr)
		}
		if !strings.Contains(stderr, "make lib") || strings.Contains(stderr, "shared object") {
			t.Errorf("devices error %q should say how to fix it and hide the loader's message", stderr)
		}

		stdout, _, code = runBinary(t, exe, env, "version")
		if code != 0 || !strings.Contains(stdout, "native library: not found") || !strings.Contains(stdout, "drumsplit ") {
			t.Errorf("version without the library: exit %d, %q", code, stdout)
		}
	}
	if stdout, _, code := runBinary(t, exe, []string{"DRUMSPLIT_LIB=/nonexistent"}, "--help"); code != 0 || !strings.Contains(stdout, "devices") {
		t.Errorf("--help: exit %d, %q", code, stdout)
	}
}

// testDevicesJSON runs `devices --json` with the library DRUMSPLIT_LIB
// names (make test sets it) or <repo>/bin's; without one it is skipped,
// unless DRUMSPLIT_REQUIRE_TORCH=1.
func testDevicesJSON(t *testing.T, exe string) {
	lib := os.Getenv("DRUMSPLIT_LIB")
	if lib == "" {
		if p, err := filepath.Abs(filepath.Join("..", "..", "bin", "libdrumsplit_torch.so")); err == nil {
			if _, err := os.Stat(p); err == nil {
				lib = p
			}
		}
	}
	if _, err := os.Stat(lib); lib == "" || err != nil {
		if os.Getenv("DRUMSPLIT_REQUIRE_TORCH") == "1" {
			t.Fatalf("native library %q required", lib)
		}
		t.Skip("native library not built (make lib)")
	}
	stdout, stderr, code := runBinary(t, exe, []string{"DRUMSPLIT_LIB=" + lib}, "devices", "--json")
	if code != 0 {
		t.Fatalf("devices --json: exit %d: %s", code, stderr)
	}
	var out struct {
		torch.DeviceReport
		AutoWorkers []string `json:"auto_workers"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("devices --json: %v\n%s", err, stdout)
	}
	if len(out.Devices) == 0 || out.Devices[0].Device != "cpu" || out.Auto == "" || out.AutoReason == "" || out.Libtorch == "" {
		t.Errorf("devices --json = %+v", out)
	}
	cuda := 0
	for _, d := range out.Devices {
		if d.Type == "cuda" {
			cuda++
		}
	}
	// What separate's --device auto runs on: every CUDA device when there
	// are several, else auto's one device.
	want := 1
	if cuda > 1 {
		want = cuda
	}
	if len(out.AutoWorkers) != want || cuda < 2 && out.AutoWorkers[0] != out.Auto {
		t.Errorf("devices --json: auto_workers %v with %d CUDA devices (auto %s)", out.AutoWorkers, cuda, out.Auto)
	}
	stdout, _, code = runBinary(t, exe, []string{"DRUMSPLIT_LIB=" + lib}, "version")
	if code != 0 || !strings.Contains(stdout, "libtorch: ") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
}
