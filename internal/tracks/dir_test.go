package tracks

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFindDir: Find gives each file found in a folder its folder relative
// to that argument, "" at the top and for files named themselves.
func TestFindDir(t *testing.T) {
	dir := t.TempDir()
	touch(t, dir, "lib/top.wav", "lib/a/song.wav", "lib/b/song.wav", "lib/b/live/set1/song.flac", "single.wav")
	t.Chdir(dir)
	var got []string
	for _, it := range Find([]string{"lib", "single.wav", "lib/a/song.wav"}) {
		got = append(got, filepath.ToSlash(it.Path)+" dir="+it.Dir)
	}
	want := []string{
		"lib/a/song.wav dir=a",
		"lib/b/live/set1/song.flac dir=b/live/set1",
		"lib/b/song.wav dir=b",
		"lib/top.wav dir=",
		"single.wav dir=",
		// lib/a/song.wav named again: listed once, as found first.
	}
	if !slices.Equal(got, want) {
		t.Errorf("Find =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A folder named with a trailing separator or through "./" gives the
	// same Dir.
	for _, arg := range []string{"lib/", "./lib", filepath.Join(dir, "lib")} {
		items := Find([]string{arg})
		if len(items) != 4 || items[1].Dir != "b/live/set1" {
			t.Errorf("Find(%q) = %+v", arg, items)
		}
	}
}

func TestExpandDir(t *testing.T) {
	for _, tc := range []struct{ tpl, dir, want string }{
		{"{dir}/{track}/{stem}.{ext}", "", "song/kick.wav"},
		{"{dir}/{track}/{stem}.{ext}", "a", "a/song/kick.wav"},
		{"{dir}/{track}/{stem}.{ext}", "b/live/set1", "b/live/set1/song/kick.wav"},
		{"out/{dir}/{stem}.{ext}", "", "out/kick.wav"},
		{"{model}/{dir}/{track}.{stem}.{ext}", "x", "m/x/song.kick.wav"},
		// Values Find never gives still cannot add escapes.
		{"{dir}/{track}/{stem}.{ext}", "../..", "_/_/song/kick.wav"},
		{"{dir}/{track}/{stem}.{ext}", "/abs//x/./", "abs/x/song/kick.wav"},
		{"{dir}/{track}/{stem}.{ext}", "a\nb", "a_b/song/kick.wav"},
	} {
		tpl, err := Parse(tc.tpl)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.tpl, err)
		}
		got, err := tpl.Expand(Vars{Track: "song", Stem: "kick", Ext: "wav", Model: "m", Dir: tc.dir})
		if want := filepath.FromSlash(tc.want); err != nil || got != want {
			t.Errorf("%q with dir %q = %q, %v; want %q", tc.tpl, tc.dir, got, err, want)
		}
	}
	for _, bad := range []string{"{dir}-{track}/{stem}.{ext}", "{track}/{dir}", "x{dir}/{stem}", "{dir}{stem}", "{track}/{dir}.{ext}"} {
		if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), "{dir} must be folders of its own") {
			t.Errorf("Parse(%q) = %v, want the {dir} placement error", bad, err)
		}
	}
	if _, err := Parse(`{dir}\{track}\{stem}.{ext}`); err != nil {
		t.Errorf("{dir} between backslashes: %v", err)
	}
}
