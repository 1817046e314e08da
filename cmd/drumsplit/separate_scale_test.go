package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// scaleInputs writes n short inputs in subfolders of dir/in.
func scaleInputs(t *testing.T, dir string, n int) []string {
	t.Helper()
	var rels []string
	for i := range n {
		rel := fmt.Sprintf("set%d/take%02d.wav", i%3, i)
		writeInput(t, filepath.Join(dir, "in", filepath.FromSlash(rel)), 3000+500*i, 44100, uint64(20+i))
		rels = append(rels, rel)
	}
	return rels
}

// sameTree fails unless folders a and b hold the same files, byte for byte.
func sameTree(t *testing.T, a, b string) {
	t.Helper()
	fa, fb := filesUnder(t, a), filesUnder(t, b)
	if !slices.Equal(fa, fb) {
		t.Fatalf("%s holds %v\n%s holds %v", a, fa, b, fb)
	}
	for _, f := range fa {
		x, err := os.ReadFile(filepath.Join(a, f))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between %s and %s", f, a, b)
		}
	}
}

// TestSeparateShards runs a folder whole, then as 3 shards into one
// output folder: the shards' files are exactly the whole run's, byte for
// byte; the shards are disjoint and cover every input; a rerun of a shard
// with --skip-existing after it lost a file (a killed shard) writes only
// what is missing.
func TestSeparateShards(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	rels := scaleInputs(t, dir, 8)
	tiny := modelPath(t, "tiny6.pt")
	common := []string{"separate", "-m", tiny, "--json", "--threads", "1", "--stems", "kick,hh", "--filename", "{track}/{stem}.{ext}"}
	wantCode(t, ds(t, dir, nil, append(common, "-o", "whole", "in")...), 0)

	owner := map[string]int{}
	logs := filepath.Join(dir, "logs")
	if err := os.Mkdir(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		r := ds(t, dir, nil, append(common, "-o", "sharded", "--shard", fmt.Sprintf("%d/3", i), "in")...)
		wantCode(t, r, 0)
		if err := os.WriteFile(filepath.Join(logs, fmt.Sprintf("shard-%d.log", i)), []byte(r.stderr+r.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		evs := events(t, r.stdout)
		if s := startOf(t, r); s.str("shard") != fmt.Sprintf("%d/3", i) {
			t.Errorf("start event of shard %d: shard %q", i, s.str("shard"))
		}
		for _, e := range only(evs, "file_done") {
			rel, _ := filepath.Rel("in", e.str("file"))
			rel = filepath.ToSlash(rel)
			if prev, ok := owner[rel]; ok {
				t.Errorf("%s separated by shards %d and %d", rel, prev, i)
			}
			owner[rel] = i
		}
		if len(only(evs, "error")) > 0 {
			t.Errorf("shard %d: errors:\n%s", i, r.stdout)
		}
	}
	for _, rel := range rels {
		if _, ok := owner[rel]; !ok {
			t.Errorf("%s: in no shard", rel)
		}
	}
	sameTree(t, filepath.Join(dir, "whole"), filepath.Join(dir, "sharded"))

	// summary merges the shards' logs; without one of them it says which
	// is missing and fails.
	r := ds(t, dir, nil, "summary", "logs")
	wantCode(t, r, 0)
	for _, want := range []string{"3 runs in 3 logs; shards 0/3, 1/3, 2/3", "inputs: 8: 8 separated, 0 skipped", "complete"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stdout)
		}
	}
	r = ds(t, dir, nil, "summary", "--json", filepath.Join("logs", "shard-0.log"), filepath.Join("logs", "shard-2.log"))
	wantCode(t, r, 1)
	var sum struct {
		Missing  []string `json:"missing_shards"`
		Complete bool     `json:"complete"`
		Done     int      `json:"done"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatalf("summary --json: %v\n%s", err, r.stdout)
	}
	inTwo := 0
	for _, s := range owner {
		if s != 1 {
			inTwo++
		}
	}
	if !slices.Equal(sum.Missing, []string{"1/3"}) || sum.Complete || sum.Done != inTwo {
		t.Errorf("summary of shards 0 and 2: %+v; want 1/3 missing, %d done", sum, inTwo)
	}

	// A shard that was killed after its first input: its other inputs'
	// files are gone. The rerun skips the first and writes the rest.
	var mine []string
	for _, rel := range rels {
		if owner[rel] == 0 {
			mine = append(mine, rel)
		}
	}
	if len(mine) < 2 {
		t.Fatalf("shard 0/3 holds %d of 8 inputs; the rerun check needs 2", len(mine))
	}
	for _, rel := range mine[1:] {
		track := strings.TrimSuffix(filepath.Base(rel), ".wav")
		if err := os.RemoveAll(filepath.Join(dir, "sharded", track)); err != nil {
			t.Fatal(err)
		}
	}
	r = ds(t, dir, nil, append(common, "-o", "sharded", "--shard", "0/3", "--skip-existing", "in")...)
	wantCode(t, r, 0)
	var skipped, done int
	for _, e := range only(events(t, r.stdout), "file_done") {
		if e.str("status") == "skipped" {
			skipped++
		} else {
			done++
		}
	}
	if skipped != 1 || done != len(mine)-1 {
		t.Errorf("rerun of shard 0/3: %d skipped, %d done; want 1 and %d", skipped, done, len(mine)-1)
	}
	sameTree(t, filepath.Join(dir, "whole"), filepath.Join(dir, "sharded"))
}

// TestSeparateShardFlag: a wrong --shard is one line and exit 2, before
// anything is loaded.
func TestSeparateShardFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "a.wav"), 1000, 44100, 1)
	for _, c := range []struct{ val, says string }{
		{"3/3", "index I must be from 0 to 2"},
		{"0/0", "count N must be at least 1"},
		{"-1/2", "index I must be from 0 to 1"},
		{"1", "want I/N"},
		{"x/2", "whole numbers"},
	} {
		r := ds(t, dir, nil, "separate", "-m", "missing.pt", "--shard", c.val, "a.wav")
		wantCode(t, r, 2)
		wantOneLine(t, r, "--shard", fmt.Sprintf("%q", c.val), c.says)
	}
	r := ds(t, dir, nil, "separate", "-m", "missing.pt", "--device", "cpu,auto", "a.wav")
	wantCode(t, r, 2)
	wantOneLine(t, r, "--device", "list")
}

// TestSeparateTwoCPUWorkers separates a folder with --device cpu,cpu and
// with one CPU: the stems are byte for byte the same; the start event
// lists both workers and every file event names a worker and its device.
func TestSeparateTwoCPUWorkers(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	scaleInputs(t, dir, 5)
	tiny := modelPath(t, "tiny6.pt")
	common := []string{"separate", "-m", tiny, "--json", "--threads", "1", "--stems", "snare,toms", "in"}
	wantCode(t, ds(t, dir, nil, append(common, "-o", "one", "--device", "cpu")...), 0)
	r := ds(t, dir, nil, append(common, "-o", "two", "--device", "cpu,cpu")...)
	wantCode(t, r, 0)
	sameTree(t, filepath.Join(dir, "one"), filepath.Join(dir, "two"))

	start := startOf(t, r)
	if devs, _ := start["devices"].([]any); len(devs) != 2 || devs[0] != "cpu" || devs[1] != "cpu" {
		t.Errorf("start event devices %v, want [cpu cpu]", start["devices"])
	}
	worker := map[float64]float64{}
	for _, e := range events(t, r.stdout)[1:] {
		switch e.kind() {
		case "file_start", "progress", "file_done":
			w, ok := e["worker"].(float64)
			if !ok || (w != 0 && w != 1) || e.str("device") != "cpu" {
				t.Fatalf("%s event without a worker 0 or 1 on cpu: %v", e.kind(), e)
			}
			idx := e.num("index")
			if prev, ok := worker[idx]; ok && prev != w {
				t.Errorf("file %v: events of workers %v and %v", idx, prev, w)
			}
			worker[idx] = w
		}
	}
	if len(worker) != 5 {
		t.Errorf("file events for %d files, want 5", len(worker))
	}
}
