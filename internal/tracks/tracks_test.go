package tracks

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ tpl, want string }{
		{"", "empty"},
		{"  ", "empty"},
		{"{track}/{instrument}.{ext}", "unknown variable {instrument}"},
		{"{Track}/{stem}", "unknown variable {Track}"},
		{"{track/{stem}", "unmatched {"},
		{"{track}}/{stem}", "unmatched }"},
		{"{track}/{stem}.{ext", "unmatched {"},
		{"stem}", "unmatched }"},
		{"{}", "unknown variable {}"},
		{"../{stem}", "leave the output folder"},
		{"{track}/../../{stem}", "leave the output folder"},
		{`{track}\..\{stem}`, "leave the output folder"},
		{"a/..", "leave the output folder"},
		{"/abs/{stem}", "relative"},
		{`\abs\{stem}`, "relative"},
		{"C:/x/{stem}", "relative"},
		{"c:{stem}", "relative"},
		{"{track}/", "ends in a folder"},
	} {
		_, err := Parse(tc.tpl)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error with %q", tc.tpl, err, tc.want)
		}
	}
}

func TestExpand(t *testing.T) {
	v := Vars{Track: "take 1", Stem: "kick", Ext: "wav", Model: "drumsep"}
	for _, tc := range []struct{ tpl, want string }{
		{DefaultTemplate, "take 1/kick.wav"},
		{"{model}/{track}-{stem}.{ext}", "drumsep/take 1-kick.wav"},
		{"stems/{stem}_{stem}.flac", "stems/kick_kick.flac"},
		{"./{track}//{stem}.{ext}", "take 1/kick.wav"},
		{"..{stem}", "..kick"}, // a name starting with dots, not a parent
		{"a/b/c/{stem}", "a/b/c/kick"},
	} {
		tpl, err := Parse(tc.tpl)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.tpl, err)
		}
		got, err := tpl.Expand(v)
		if want := filepath.FromSlash(tc.want); err != nil || got != want {
			t.Errorf("%q.Expand = %q, %v; want %q", tc.tpl, got, err, want)
		}
	}
}

// TestExpandHostileValues: values from file names and model metadata can
// neither add folders nor leave the output folder.
func TestExpandHostileValues(t *testing.T) {
	tpl, err := Parse(DefaultTemplate)
	if err != nil {
		t.Fatal(err)
	}
	for _, track := range []string{"..", ".", "", "../../etc/passwd", `..\..\x`, "a/b", "/abs", "x\x00y", "\n"} {
		got, err := tpl.Expand(Vars{Track: track, Stem: "kick", Ext: "wav"})
		if err != nil {
			t.Errorf("track %q: %v", track, err)
			continue
		}
		if !filepath.IsLocal(got) || len(strings.Split(filepath.ToSlash(got), "/")) != 2 {
			t.Errorf("track %q gives %q: not one folder inside the output folder", track, got)
		}
	}
	tpl, _ = Parse("{model}{stem}")
	if got, err := tpl.Expand(Vars{Model: "..", Stem: ""}); err != nil || got != "__" {
		t.Errorf("{model}{stem} with .. and empty = %q, %v; want __", got, err)
	}
}

func TestUses(t *testing.T) {
	tpl, err := Parse("{track}.{ext}")
	if err != nil {
		t.Fatal(err)
	}
	if !tpl.Uses("track") || !tpl.Uses("ext") || tpl.Uses("stem") || tpl.Uses("model") {
		t.Errorf("Uses wrong for %s", tpl)
	}
	if tpl.String() != "{track}.{ext}" {
		t.Errorf("String = %q", tpl)
	}
}

func TestTrackName(t *testing.T) {
	for in, want := range map[string]string{
		"a/b/drums.wav":             "drums",
		"take.2.flac":               "take.2",
		"NOEXT":                     "NOEXT",
		".hidden":                   ".hidden",
		"dir/song.WAV":              "song",
		filepath.Join("x", "y.mp3"): "y",
	} {
		if got := TrackName(in); got != want {
			t.Errorf("TrackName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsAudioName(t *testing.T) {
	for name, want := range map[string]bool{
		"a.wav": true, "a.WAV": true, "b.Flac": true, "c.mp3": true, "d.MP3": true,
		"e.ogg": false, "wav": false, "f.wav.txt": false, "g.aiff": false,
	} {
		if got := IsAudioName(name); got != want {
			t.Errorf("IsAudioName(%q) = %v", name, got)
		}
	}
}

// touch creates files (and their folders) under dir.
func touch(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// rel turns Find's items into "path" or "path: error" strings relative to dir.
func rel(t *testing.T, dir string, items []Item) []string {
	var out []string
	for _, it := range items {
		p, err := filepath.Rel(dir, it.Path)
		if err != nil {
			t.Fatal(err)
		}
		s := filepath.ToSlash(p)
		if it.Err != nil {
			s += ": " + it.Err.Error()
		}
		out = append(out, s)
	}
	return out
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	touch(t, dir,
		"music/b.wav", "music/a.FLAC", "music/sub/c.mp3", "music/sub/deeper/d.Wav",
		"music/notes.txt", "music/.hidden.wav", "music/.git/e.wav", "music/sub/._f.wav",
		"music/out/old/kick.wav", // the output folder
		"single.ogg",             // a file argument is taken whatever its name
		"empty/readme.md",
	)
	if runtime.GOOS != "windows" {
		if err := os.Symlink(filepath.Join(dir, "music", "b.wav"), filepath.Join(dir, "music", "sub", "link.wav")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(dir, "music"), filepath.Join(dir, "music", "sub", "loop")); err != nil {
			t.Fatal(err)
		}
	}
	j := func(p string) string { return filepath.Join(dir, filepath.FromSlash(p)) }
	items := Find([]string{j("music"), j("single.ogg"), j("missing.wav"), j("empty"), j("music/b.wav")}, j("music/out"))
	want := []string{
		"music/a.FLAC", "music/b.wav", "music/sub/c.mp3", "music/sub/deeper/d.Wav",
	}
	if runtime.GOOS != "windows" {
		want = append(want, "music/sub/link.wav")
		slices.Sort(want)
	}
	want = append(want,
		"single.ogg",
		"missing.wav: no such file or folder",
		"empty: "+ErrNoAudio.Error(),
		// music/b.wav again: listed once.
	)
	if got := rel(t, dir, items); !slices.Equal(got, want) {
		t.Errorf("Find =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !errors.Is(items[len(items)-1].Err, ErrNoAudio) {
		t.Errorf("empty folder: %v, want ErrNoAudio", items[len(items)-1].Err)
	}

	// The output folder named as an input is refused, not walked.
	items = Find([]string{j("music/out")}, j("music/out"))
	if len(items) != 1 || items[0].Err == nil {
		t.Errorf("Find(output folder) = %v, want one error", items)
	}
}

// TestFindUnreadable: an unreadable subfolder is reported, the rest found.
func TestFindUnreadable(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs Unix permissions and a non-root user")
	}
	dir := t.TempDir()
	touch(t, dir, "a.wav", "locked/b.wav")
	if err := os.Chmod(filepath.Join(dir, "locked"), 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(filepath.Join(dir, "locked"), 0o755)
	got := rel(t, dir, Find([]string{dir}))
	if len(got) != 2 || got[0] != "a.wav" || !strings.HasPrefix(got[1], "locked: ") {
		t.Errorf("Find = %v, want a.wav and an error for locked", got)
	}
}
