package job

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/internal/tracks"
	"github.com/drumsplit/drumsplit/model"
)

// TestRunBatchClash: same-named files in different subfolders are refused
// before anything is separated or written (the second used to fail after
// the first was separated, or with Skip to be skipped as done), naming both
// inputs and {dir}; with {dir} in the template they are separated apart.
func TestRunBatchClash(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib")
	for i, p := range []string{"a/song.wav", "b/song.wav", "c/other.wav"} {
		writeInput(t, filepath.Join(lib, p), 100, float64(i+1))
	}
	info := &model.Info{Name: "m", Stems: []string{"kick", "snare"}, SampleRate: 8000}
	b := Batch{Options: options(t, dir), Inputs: []string{lib}, ModelPath: filepath.Join(dir, "missing.pt"), Info: info}
	for _, existing := range []Existing{Refuse, Skip, Overwrite} {
		b.Existing = existing
		n := 0
		_, err := RunBatch(context.Background(), b, func(Event) { n++ })
		var ce *ClashError
		if !errors.As(err, &ce) || n != 0 {
			t.Fatalf("existing=%d: %v, %d events; want a *ClashError before any event", existing, err, n)
		}
		a, bb := filepath.Join(lib, "a", "song.wav"), filepath.Join(lib, "b", "song.wav")
		want := strconv.Quote(a) + " and " + strconv.Quote(bb) + " would both write " +
			strconv.Quote(filepath.Join(b.Out, "song", "kick.wav")) + ` with --filename "{track}/{stem}.{ext}": ` +
			`nothing was separated; add {dir} (the input's folder) to --filename, e.g. --filename "{dir}/{track}/{stem}.{ext}"`
		if err.Error() != want {
			t.Errorf("message\n%s\nwant\n%s", err, want)
		}
		if len(ce.Clashes) != 2 || !slices.Equal(ce.Clashes[1].Inputs, []string{a, bb}) {
			t.Errorf("clashes %+v", ce.Clashes)
		}
		if _, err := os.Stat(b.Out); !os.IsNotExist(err) {
			t.Errorf("the output folder was made: %v", err)
		}
	}

	// {dir} keeps them apart: the run gets as far as loading the model
	// (missing here), past the clash check and the output folder.
	tpl, err := tracks.Parse("{dir}/{track}/{stem}.{ext}")
	if err != nil {
		t.Fatal(err)
	}
	b.Template = tpl
	if _, err := RunBatch(context.Background(), b, func(Event) {}); err == nil || errors.As(err, new(*ClashError)) {
		t.Errorf("with {dir}: %v, want the missing model's error", err)
	}
	if err := CheckClashes(tracks.Find([]string{lib}), info.Stems, &b.Options); err != nil {
		t.Errorf("with {dir}: %v", err)
	}
}

// TestCheckClashesMessages: three inputs, more clashes than the one named,
// and files named directly (where {dir} cannot help).
func TestCheckClashesMessages(t *testing.T) {
	o := options(t, "/x")
	stems := []string{"kick"}
	items := []tracks.Item{
		{Path: "a/s.wav", Dir: "a"}, {Path: "b/s.wav", Dir: "b"}, {Path: "c/s.flac", Dir: "c"},
		{Path: "a/t.wav", Dir: "a"}, {Path: "b/t.wav", Dir: "b"},
		{Path: "missing.wav", Err: errors.New("no such file")}, {Path: "u.wav"},
	}
	err := CheckClashes(items, stems, &o)
	want := `"a/s.wav", "b/s.wav" and "c/s.flac" would all write "` + filepath.Join("/x", "out", "s", "kick.wav") +
		`" with --filename "{track}/{stem}.{ext}" (and 2 more inputs clash): nothing was separated; add {dir}`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got  %v\nwant %s…", err, want)
	}
	err = CheckClashes([]tracks.Item{{Path: "x/s.wav"}, {Path: "y/s.wav"}}, stems, &o)
	if err == nil || !strings.HasSuffix(err.Error(), "; rename one of them, or separate them in runs with different -o folders") {
		t.Errorf("files named directly: %v", err)
	}
	if err := CheckClashes(items[3:], stems, &o); err == nil {
		t.Error("a/t.wav and b/t.wav: no clash")
	}
	if err := CheckClashes(items[5:], stems, &o); err != nil {
		t.Errorf("no clash: %v", err)
	}
}

// TestRunBatchClashShards: two same-named inputs are refused by every
// shard of the run, also one that holds only one of them or neither (each
// shard used to check only its own inputs, so that shards holding one
// each raced for the same stem files).
func TestRunBatchClashShards(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib")
	paths := []string{"a/song.wav", "b/song.wav", "c/x.wav", "d/y.wav", "e/z.wav"}
	for i, p := range paths {
		writeInput(t, filepath.Join(lib, p), 100, float64(i+1))
	}
	info := &model.Info{Name: "m", Stems: []string{"kick"}, SampleRate: 8000}
	const n = 4
	split := false // the clashing pair falls in different shards
	for i := range n {
		b := Batch{Options: options(t, dir), Inputs: []string{lib}, ModelPath: filepath.Join(dir, "missing.pt"), Info: info}
		b.Shard = Shard{Index: i, Count: n}
		own := b.Shard.Select(b.Inputs, tracks.Find(b.Inputs, b.Out))
		song := 0
		for _, it := range own {
			if filepath.Base(it.Path) == "song.wav" {
				song++
			}
		}
		split = split || song == 1
		if len(own) == 0 {
			continue // nothing to separate: no check, no model
		}
		_, err := RunBatch(context.Background(), b, func(Event) {})
		if !errors.As(err, new(*ClashError)) {
			t.Errorf("shard %d/%d (%d inputs, %d named song): %v, want a *ClashError", i, n, len(own), song, err)
		}
	}
	if !split {
		t.Fatal("the test's paths put both song.wav in one shard: pick others")
	}
}
