package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestVersionFlag: --version prints what `drumsplit version` prints (it
// was "flag provided but not defined"), and -v stays --verbose.
func TestVersionFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	want := ds(t, dir, nil, "version")
	wantCode(t, want, exitOK)
	r := ds(t, dir, nil, "--version")
	wantCode(t, r, exitOK)
	if r.stdout != want.stdout || !strings.HasPrefix(r.stdout, "drumsplit "+Version) {
		t.Errorf("--version printed %q, want %q", r.stdout, want.stdout)
	}
	if r := ds(t, dir, nil, "-v", "version"); r.code != exitOK || r.stdout != want.stdout {
		t.Errorf("-v version: %s", r)
	}
}

// TestImplicitSeparate: a file or folder as the first argument means
// separate; a command name wins over a file so named, and a word that is
// neither a command nor a path stays an unknown command.
func TestImplicitSeparate(t *testing.T) {
	cmds := []*cli.Command{{Name: "separate"}, {Name: "info"}}
	dir := t.TempDir()
	t.Chdir(dir)
	writeInput(t, "song.wav", 100, 44100, 3)
	writeInput(t, "info", 100, 44100, 3) // a file named like a command
	for _, tc := range []struct{ in, want []string }{
		{[]string{"ds", "song.wav", "-o", "x"}, []string{"ds", "separate", "song.wav", "-o", "x"}},
		{[]string{"ds", "-q", "song.wav"}, []string{"ds", "-q", "separate", "song.wav"}},
		{[]string{"ds", "."}, []string{"ds", "separate", "."}},
		{[]string{"ds", "missing.flac"}, []string{"ds", "separate", "missing.flac"}},
		{[]string{"ds", "sub/take"}, []string{"ds", "separate", "sub/take"}},
		{[]string{"ds", "info", "song.wav"}, []string{"ds", "info", "song.wav"}},
		{[]string{"ds", "separate", "song.wav"}, []string{"ds", "separate", "song.wav"}},
		{[]string{"ds", "seperate", "song.wav"}, []string{"ds", "seperate", "song.wav"}},
		{[]string{"ds", "help"}, []string{"ds", "help"}},
		{[]string{"ds", "--version"}, []string{"ds", "--version"}},
		{[]string{"ds"}, []string{"ds"}},
	} {
		if got := implicitSeparate(tc.in, cmds); !slices.Equal(got, tc.want) {
			t.Errorf("implicitSeparate(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestBareFileSeparates runs `drumsplit song.wav -m … -o out`: the stems
// are written as by separate.
func TestBareFileSeparates(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "song.wav"), 3000, 44100, 4)
	r := ds(t, dir, nil, "song.wav", "-m", modelPath(t, "identity.pt"), "-o", "out", "--stems", "kick")
	wantCode(t, r, exitOK)
	if got := filesUnder(t, filepath.Join(dir, "out")); !slices.Equal(got, []string{"song/kick.wav"}) {
		t.Errorf("files %v", got)
	}
	// A missing file is separate's error, not an unknown command.
	r = ds(t, dir, nil, "nosuch.wav", "-m", modelPath(t, "identity.pt"))
	if strings.Contains(r.stderr, "unknown command") || !strings.Contains(r.stderr, "nosuch.wav") {
		t.Errorf("missing file: %s", r)
	}
}
