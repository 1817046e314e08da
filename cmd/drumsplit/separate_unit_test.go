package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/internal/job"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// TestErrorLine: the input's name is not repeated after the line's own
// prefix, typed errors get what only the command knows.
func TestErrorLine(t *testing.T) {
	for _, tc := range []struct {
		err   error
		input string
		want  string
	}{
		{&audio.Error{Path: "in.wav", Msg: "truncated WAV data chunk"}, "in.wav", "truncated WAV data chunk"},
		{fmt.Errorf("reading input: %w", &audio.Error{Path: "in.wav", Err: errors.New("truncated FLAC stream")}), "in.wav", "truncated FLAC stream"},
		{&job.ExistsError{Paths: []string{"out/a.wav", "out/b.wav"}}, "in.wav", `"out/a.wav" exists (and 1 more): not replaced (pass --overwrite to replace, --skip-existing to keep)`},
		{errors.New("run forward: out of memory\nframe #0 ..."), "in.wav", `run forward: out of memory\nframe #0 ...`},
	} {
		if got := errorLine(tc.input, tc.err); got != tc.want {
			t.Errorf("errorLine(%q) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestSelectStems(t *testing.T) {
	stems := []string{"kick", "snare", "toms", "hh"}
	for flag, want := range map[string][]int{
		"":                {0, 1, 2, 3},
		"snare":           {1},
		"HH, kick":        {0, 3},
		"toms,toms,kick,": {0, 2},
	} {
		got, err := selectStems(flag, stems)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("selectStems(%q) = %v, %v; want %v", flag, got, err, want)
		}
	}
	for _, flag := range []string{"bass", ",", "kick,ride"} {
		if _, err := selectStems(flag, stems); !errors.As(err, new(usageError)) {
			t.Errorf("selectStems(%q): %v, want a usage error", flag, err)
		}
	}
}

// TestSeparateHelp compares `separate --help` with a golden file
// (go test -run TestSeparateHelp -update rewrites it).
func TestSeparateHelp(t *testing.T) {
	r := ds(t, t.TempDir(), nil, "separate", "--help")
	wantCode(t, r, 0)
	golden := filepath.Join("testdata", "separate-help.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(r.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestSeparateHelp -update)", err)
	}
	if r.stdout != string(want) {
		t.Errorf("separate --help differs from %s (go test -run TestSeparateHelp -update to accept):\n%s", golden, r.stdout)
	}
	for _, f := range []string{"--model", "-m", "--out", "-o", "--filename", "--format", "--bit-depth", "--overlap", "--batch",
		"--device", "--precision", "--stft", "--mode", "--threads", "--stems", "--overwrite", "--skip-existing", "--json",
		"--quiet", "-q", "--verbose", "-v", "Exit status", `"event":"summary"`} {
		if !strings.Contains(r.stdout, f) {
			t.Errorf("help lacks %s", f)
		}
	}
}
