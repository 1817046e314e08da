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
		"g.aiff": true, "h.AIF": true, "i.aifc": true,
		"e.ogg": false, "wav": false, "f.wav.txt": false, "j.aiffx": false,
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

// symlink makes a link at dir/name to target (as written, so relative
// targets are relative to the link's folder), skipping on Windows, where
// links need privileges.
func symlink(t *testing.T, dir, target, name string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	if err := os.Symlink(filepath.FromSlash(target), filepath.Join(dir, filepath.FromSlash(name))); err != nil {
		t.Fatal(err)
	}
}

// TestFindLinkedFolderArgument: a link to a folder named as an argument is
// walked like the folder (issue 22.9: it said "no .wav … in this folder"
// unless written with a trailing slash).
func TestFindLinkedFolderArgument(t *testing.T) {
	dir := t.TempDir()
	touch(t, dir, "real/a.wav", "real/sub/b.flac")
	symlink(t, dir, "real", "linkdir")
	want := []string{"linkdir/a.wav", "linkdir/sub/b.flac"}
	if got := rel(t, dir, Find([]string{filepath.Join(dir, "linkdir")})); !slices.Equal(got, want) {
		t.Errorf("Find(linkdir) = %q, want %q", got, want)
	}
	// The link and its target named together: each file listed once.
	got := rel(t, dir, Find([]string{filepath.Join(dir, "linkdir"), filepath.Join(dir, "real")}))
	if !slices.Equal(got, want) {
		t.Errorf("Find(linkdir, real) = %q, want %q", got, want)
	}
	// A relative argument, as typed in a shell.
	t.Chdir(dir)
	if got := rel(t, dir, absItems(t, Find([]string{"linkdir"}))); !slices.Equal(got, want) {
		t.Errorf("Find(\"linkdir\") relative = %q, want %q", got, want)
	}
}

// absItems makes the paths of items absolute, for rel.
func absItems(t *testing.T, items []Item) []Item {
	t.Helper()
	for i := range items {
		abs, err := filepath.Abs(items[i].Path)
		if err != nil {
			t.Fatal(err)
		}
		items[i].Path = abs
	}
	return items
}

// TestFindLinkedFolders: links to folders inside a walked folder are
// followed; links that lead back up the tree, to each other or to
// themselves end the walk rather than loop, and a folder reached by two
// links is read once.
func TestFindLinkedFolders(t *testing.T) {
	dir := t.TempDir()
	touch(t, dir, "library/album1/k.wav", "library/album2/s.mp3",
		"music/own.wav", "music/deep/er/x.flac")
	symlink(t, dir, "../library/album1", "music/fav")     // followed
	symlink(t, dir, "../library/album1", "music/fav2")    // same album again: read once
	symlink(t, dir, "..", "music/up")                     // back up the tree
	symlink(t, dir, "../../..", "music/deep/er/top")      // the temporary folder above music
	symlink(t, dir, "../music", "library/album2/back")    // into the tree being walked
	symlink(t, dir, "ping", "music/pong")                 // two links to each other
	symlink(t, dir, "pong", "music/ping")                 //
	symlink(t, dir, "self.wav", "music/self.wav")         // a link to itself
	symlink(t, dir, "missing", "music/broken.wav")        // broken
	symlink(t, dir, "../library/album2", "music/.hidden") // hidden names are passed over
	got := rel(t, dir, Find([]string{filepath.Join(dir, "music")}))
	want := []string{
		"music/deep/er/top/library/album1/k.wav",
		"music/deep/er/top/library/album2/s.mp3",
		"music/deep/er/x.flac",
		"music/own.wav",
	}
	// Which path reaches a folder first depends on the walk's order
	// (depth first, by name): music/deep/er/top reaches library before
	// music/fav does. Every real file is listed exactly once.
	if !slices.Equal(got, want) {
		t.Errorf("Find =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestFindLinkedFile: a link to a file inside a folder is listed under its
// own name (which names its stems), once even when the folder is reached
// twice.
func TestFindLinkedFile(t *testing.T) {
	dir := t.TempDir()
	touch(t, dir, "takes/t1.wav", "other/t2.wav")
	symlink(t, dir, "../other/t2.wav", "takes/best.wav")
	symlink(t, dir, "../other", "takes/more.txt") // a folder, whatever its name
	want := []string{"takes/best.wav", "takes/more.txt/t2.wav", "takes/t1.wav"}
	if got := rel(t, dir, Find([]string{filepath.Join(dir, "takes")})); !slices.Equal(got, want) {
		t.Errorf("Find = %q, want %q", got, want)
	}
}

// TestFindLinkToOutputFolder: a link to the output folder is passed over
// like the folder itself.
func TestFindLinkToOutputFolder(t *testing.T) {
	dir := t.TempDir()
	touch(t, dir, "in/a.wav", "out/a/kick.wav")
	symlink(t, dir, "../out", "in/stems")
	want := []string{"in/a.wav"}
	if got := rel(t, dir, Find([]string{filepath.Join(dir, "in")}, filepath.Join(dir, "out"))); !slices.Equal(got, want) {
		t.Errorf("Find = %q, want %q", got, want)
	}
}

// TestMessagesOneLine: an error never prints a user's name as it is, so a
// newline in a file name or template cannot forge a line of output (issue
// 22.11). Item errors leave the path out (the caller names it, quoted);
// template errors quote or escape it.
func TestMessagesOneLine(t *testing.T) {
	for _, tpl := range []string{"{a\nb}", "{track\n}/{stem}", "x\n/../{stem}", "/\n{stem}", "{track}/\n/"} {
		_, err := Parse(tpl)
		if err == nil || strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("Parse(%q) = %q, want a one-line error", tpl, err)
		}
	}
	if runtime.GOOS == "windows" {
		return
	}
	dir := t.TempDir()
	touch(t, dir, "bad\nname/readme.md", "ok\nfolder/a.wav")
	if os.Geteuid() != 0 {
		if err := os.Chmod(filepath.Join(dir, "ok\nfolder"), 0); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(filepath.Join(dir, "ok\nfolder"), 0o755)
	}
	symlink(t, dir, "nowhere\nat all", "broken\nlink")
	items := Find([]string{
		filepath.Join(dir, "bad\nname"), filepath.Join(dir, "missing\nfile.wav"),
		filepath.Join(dir, "broken\nlink"), filepath.Join(dir, "ok\nfolder"),
	})
	if len(items) != 4 {
		t.Fatalf("Find = %v, want 4 items", items)
	}
	for _, it := range items {
		if it.Err == nil && os.Geteuid() == 0 && strings.Contains(it.Path, "ok\nfolder") {
			continue // root reads any folder
		}
		if it.Err == nil || strings.ContainsAny(it.Err.Error(), "\r\n") {
			t.Errorf("Find: %q: %v, want a one-line error", it.Path, it.Err)
		}
	}
}
