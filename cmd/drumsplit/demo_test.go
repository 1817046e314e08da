package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestDemoFallback runs scripts/demo.sh (make demo) where no Hydrogen kits
// are installed, as on a Mac: it must fetch nothing, separate the bundled
// clip of a held-out kit with the bundled model and print the SDR table of
// every stem against the clip's true stems.
func TestDemoFallback(t *testing.T) {
	needLib(t)
	if testing.Short() {
		t.Skip("separates 5 s with the bundled model")
	}
	if runtime.GOOS == "windows" {
		t.Skip("scripts/demo.sh is a bash script")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	// Reading the script and the clip makes go test's cache see changes
	// to them (it tracks the files the test opens, not those bash does).
	script := filepath.Join(root, "scripts", "demo.sh")
	for _, p := range append([]string{script}, globT(t, filepath.Join(root, "testdata", "demo", "demo-groove", "*"))...) {
		if _, err := os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	noKits := filepath.Join(dir, "no-kits")
	if err := os.Mkdir(noKits, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", script, filepath.Dir(dsExe))
	cmd.Dir = dir
	cmd.Env = dsEnv([]string{"DRUMSPLIT_KITS=" + noKits,
		"DRUMSPLIT_MODEL=" + filepath.Join(root, "models", "drumsplit_small.pt")})
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo.sh: %v\n%s", err, out.String())
	}
	text := out.String()
	if !strings.Contains(text, "using the bundled 5 s clip") {
		t.Errorf("demo.sh did not say it fell back to the bundled clip:\n%s", text)
	}
	for _, stem := range []string{"kick", "snare", "toms", "hh", "ride", "crash"} {
		if _, err := os.Stat(filepath.Join(dir, "separated", "demo-groove", stem+".wav")); err != nil {
			t.Errorf("stem %s not written: %v", stem, err)
		}
	}
	for _, want := range []string{"demo-groove", "SDR mean", "1 track;"} {
		if !strings.Contains(text, want) {
			t.Errorf("SDR table lacks %q:\n%s", want, text)
		}
	}
}

func globT(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("%s: no files (%v)", pattern, err)
	}
	return m
}
