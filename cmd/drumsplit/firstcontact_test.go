package main

import (
	"path/filepath"
	"slices"
	"strconv"
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

// TestLoadingLine: a run that loads a model says so first, naming the
// model (text on stderr; a loading event before start with --json), and
// -q leaves the line out.
func TestLoadingLine(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "in.wav"), 3000, 44100, 5)
	id := modelPath(t, "identity.pt")
	r := ds(t, dir, nil, "in.wav", "-m", id, "--stems", "kick", "-o", "a")
	wantCode(t, r, exitOK)
	first, _, _ := strings.Cut(r.stderr, "\n")
	if want := "drumsplit: loading model " + strconv.Quote(id) + " (identity) on auto …"; first != want {
		t.Errorf("first line %q, want %q", first, want)
	}
	r = ds(t, dir, nil, "in.wav", "-m", id, "--stems", "kick", "-o", "b", "-q")
	wantCode(t, r, exitOK)
	if r.stderr != "" {
		t.Errorf("-q printed %q", r.stderr)
	}
	r = ds(t, dir, nil, "in.wav", "-m", id, "--stems", "kick", "-o", "c", "--json")
	wantCode(t, r, exitOK)
	evs := events(t, r.stdout)
	if evs[0].kind() != "loading" || evs[0].str("model") != id || evs[0].str("device") != "auto" || evs[1].kind() != "start" {
		t.Errorf("events start %v %v, want loading then start", evs[0], evs[1])
	}
	if ps := only(evs, "progress"); len(ps) == 0 || ps[len(ps)-1].num("speed") <= 0 {
		t.Errorf("progress events without speed: %v", ps)
	}
	if r.stderr != "" {
		t.Errorf("--json printed %q on stderr", r.stderr)
	}
}

// TestSampleRateFlag: --sample-rate takes keep or a rate in Hz within the
// resampler's range; anything else is a usage error before anything runs.
func TestSampleRateFlag(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{{"keep", 0, true}, {"KEEP", 0, true}, {"48000", 48000, true}, {"22050hz", 22050, true}, {"1000", 1000, true},
		{"768000", 768000, true}, {"999", 0, false}, {"768001", 0, false}, {"0", 0, false}, {"-44100", 0, false}, {"fast", 0, false}, {"", 0, false}} {
		got, err := parseSampleRate(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseSampleRate(%q) = %d, %v", tc.in, got, err)
		}
	}
	r := ds(t, t.TempDir(), []string{"DRUMSPLIT_LIB=/nonexistent"}, "separate", "-m", modelPath(t, "identity.pt"), "--sample-rate", "44", "in.wav")
	wantCode(t, r, exitUsage)
	wantOneLine(t, r, `--sample-rate "44": want keep or a rate in Hz from 1000 to 768000`)
}

// TestResidualNeedsStem: with --residual a --filename without {stem}
// would write one stem and the residual to the same file: refused.
func TestResidualNeedsStem(t *testing.T) {
	t.Parallel()
	r := ds(t, t.TempDir(), []string{"DRUMSPLIT_LIB=/nonexistent"}, "separate", "-m", modelPath(t, "identity.pt"),
		"--stems", "kick", "--residual", "--filename", "{track}.{ext}", "in.wav")
	wantCode(t, r, exitUsage)
	wantOneLine(t, r, `--filename "{track}.{ext}" has no {stem}`)
}
