package job

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/internal/tracks"
)

func TestParseShard(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Shard
	}{{"0/1", Shard{0, 1}}, {"2/3", Shard{2, 3}}, {" 0 / 4 ", Shard{0, 4}}} {
		got, err := ParseShard(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
		if s, _ := ParseShard(got.String()); s != got {
			t.Errorf("%v: String %q does not parse back", got, got.String())
		}
	}
	for _, in := range []string{"", "3", "3/3", "4/3", "-1/3", "0/0", "0/-2", "a/3", "1/b", "1/2/3", "1.0/2"} {
		if s, err := ParseShard(in); err == nil {
			t.Errorf("ParseShard(%q) = %v, want an error", in, s)
		} else if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "strconv") {
			t.Errorf("ParseShard(%q): error %q is not one plain line", in, err)
		}
	}
}

// TestShardSelect splits a folder into 3 shards: they are disjoint, cover
// every item in its order, depend only on the paths under the folder (the
// same for a copy of the folder elsewhere), and adding files moves none of
// the others.
func TestShardSelect(t *testing.T) {
	dir := t.TempDir()
	var names []string
	for i := range 30 {
		names = append(names, fmt.Sprintf("album%d/%02d.wav", i%4, i))
	}
	mk := func(root string, names []string) []tracks.Item {
		for _, n := range names {
			p := filepath.Join(root, filepath.FromSlash(n))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return tracks.Find([]string{root})
	}
	rels := func(root string, items []tracks.Item) []string {
		var out []string
		for _, it := range items {
			r, _ := filepath.Rel(root, it.Path)
			out = append(out, filepath.ToSlash(r))
		}
		return out
	}
	a := filepath.Join(dir, "a")
	all := mk(a, names)
	if len(all) != 30 {
		t.Fatalf("found %d items, want 30", len(all))
	}
	shards := make([][]string, 3)
	seen := map[string]int{}
	for i := range shards {
		got := Shard{i, 3}.Select([]string{a}, all)
		shards[i] = rels(a, got)
		if len(got) == 0 {
			t.Errorf("shard %d/3 is empty (30 inputs)", i)
		}
		for _, r := range shards[i] {
			seen[r]++
		}
		// In the run's order.
		if !slices.IsSortedFunc(got, func(x, y tracks.Item) int { return strings.Compare(x.Path, y.Path) }) {
			t.Errorf("shard %d/3 not in the run's order: %v", i, shards[i])
		}
	}
	for _, n := range names {
		if seen[n] != 1 {
			t.Errorf("%s is in %d shards, want 1", n, seen[n])
		}
	}
	if len(seen) != len(names) {
		t.Errorf("shards hold %d inputs, want %d", len(seen), len(names))
	}

	// The same tree under another name, reached by a relative path, with
	// more files: every old file keeps its shard.
	b := filepath.Join(dir, "elsewhere", "b")
	more := append(slices.Clone(names), "album9/new.wav", "album0/00a.wav", "zz.wav")
	allB := mk(b, more)
	wd, _ := os.Getwd()
	if err := os.Chdir(filepath.Dir(b)); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	for i := range shards {
		got := rels(b, Shard{i, 3}.Select([]string{b}, allB))
		got = slices.DeleteFunc(got, func(r string) bool { return !slices.Contains(names, r) })
		if !slices.Equal(got, shards[i]) {
			t.Errorf("shard %d/3 of a copy with more files: %v, want %v", i, got, shards[i])
		}
		rel := Shard{i, 3}.Select([]string{"b"}, tracks.Find([]string{"b"}))
		gotRel := slices.DeleteFunc(rels("b", rel), func(r string) bool { return !slices.Contains(names, r) })
		if !slices.Equal(gotRel, shards[i]) {
			t.Errorf("shard %d/3 with the folder given as %q: %v, want %v", i, "b", gotRel, shards[i])
		}
	}
	if got := (Shard{}).Select([]string{a}, all); len(got) != len(all) {
		t.Errorf("the zero Shard selected %d of %d items", len(got), len(all))
	}
}

func TestShardKey(t *testing.T) {
	sep := string(filepath.Separator)
	for _, c := range []struct {
		args []string
		path string
		want string
	}{
		{[]string{"music"}, "music" + sep + "a" + sep + "x.wav", "a/x.wav"},
		{[]string{"music" + sep}, "music" + sep + "x.wav", "x.wav"},
		{[]string{"."}, "a" + sep + "x.wav", "a/x.wav"},
		{[]string{"other", "music"}, "music" + sep + "x.wav", "x.wav"},
		{[]string{"mus"}, "music" + sep + "x.wav", "x.wav"}, // not under "mus"
		{[]string{"in" + sep + "song.wav"}, "in" + sep + "song.wav", "song.wav"},
		{[]string{"missing"}, "missing", "missing"},
	} {
		if got := ShardKey(c.args, c.path); got != c.want {
			t.Errorf("ShardKey(%q, %q) = %q, want %q", c.args, c.path, got, c.want)
		}
	}
}
