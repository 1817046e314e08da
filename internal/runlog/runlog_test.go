package runlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/internal/job"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// logOf writes events as separate --json does, one JSON object per line.
func logOf(t *testing.T, evs ...any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, ev := range evs {
		if s, ok := ev.(string); ok { // a line of standard error
			b.WriteString(s + "\n")
			continue
		}
		if err := enc.Encode(ev); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

func start(shard string) job.Started {
	return job.Started{Kind: job.KindStarted, Version: "test", Model: "m.pt", Stems: []string{"kick"}, Shard: shard}
}

func done(file string, worker int, device string, secs, elapsed float64) job.FileDone {
	return job.FileDone{Kind: job.KindFileDone, File: file, Status: job.StatusDone, Seconds: secs, Elapsed: elapsed,
		Worker: worker, Device: device, Stems: []job.Stem{}}
}

func skipped(file string) job.FileDone {
	return job.FileDone{Kind: job.KindFileDone, File: file, Status: job.StatusSkipped, Stems: []job.Stem{}}
}

func failed(file, msg string) job.FileFailed {
	return job.FileFailed{Kind: job.KindFileFailed, File: file, Message: msg}
}

func summary(elapsed float64, interrupted bool) job.Summary {
	return job.Summary{Kind: job.KindSummary, Elapsed: elapsed, Interrupted: interrupted}
}

// catalogue is three shards of a run on two GPUs each: shard 0 was
// killed and rerun (its log appended), shard 1 has a failed input and
// standard error mixed in, shard 2 skipped an input done before.
func catalogue(t *testing.T) []Log {
	shard0 := logOf(t,
		start("0/3"), done("in/a.wav", 0, "cuda:0", 200, 10), done("in/b.wav", 1, "cuda:1", 100, 5.5),
		// killed here
	) + logOf(t,
		start("0/3"), skipped("in/a.wav"), skipped("in/b.wav"), done("in/c.wav", 0, "cuda:0", 60, 3), summary(4.25, false))
	shard1 := logOf(t,
		"drumsplit: warning: \"in/d.wav\": 5 samples clipped",
		start("1/3"), done("in/d.wav", 1, "cuda:1", 300, 12), failed("in/e.wav", "cannot decode: bad\nheader\x1b[2J"),
		"drumsplit: \"in/e.wav\": cannot decode", summary(13, false))
	shard2 := logOf(t,
		start("2/3"), skipped("in/f.wav"), done("in/g.wav", 0, "cuda:0", 90.5, 4.5), summary(5, false))
	return []Log{{"shard-0.log", strings.NewReader(shard0)}, {"shard-1.log", strings.NewReader(shard1)}, {"shard-2.log", strings.NewReader(shard2)}}
}

// TestMergeGolden merges the logs of a sharded catalogue and compares the
// text and JSON output with the golden files.
func TestMergeGolden(t *testing.T) {
	tot, err := Merge(catalogue(t))
	if err != nil {
		t.Fatal(err)
	}
	if tot.Files != 7 || tot.Done != 5 || tot.Skipped != 1 || tot.Failed != 1 || tot.Runs != 4 {
		t.Errorf("totals %+v: want 7 inputs, 5 done, 1 skipped, 1 failed, 4 runs", tot)
	}
	// Shard 0 took longest: 15.5 s of files in the killed run, then 4.25 s.
	if tot.Seconds != 750.5 || tot.Wall != 19.75 || tot.Complete() {
		t.Errorf("seconds %v wall %v complete %v: want 750.5, 19.75, incomplete", tot.Seconds, tot.Wall, tot.Complete())
	}
	var text bytes.Buffer
	if err := tot.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	js, err := json.MarshalIndent(tot, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "catalogue.txt", text.Bytes())
	golden(t, "catalogue.json", append(js, '\n'))
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -run %s -update to accept):\n%s", p, t.Name(), got)
	}
}

// TestMergeMissing: a shard without a log, and one whose last run was
// interrupted, make the totals incomplete and are named.
func TestMergeMissing(t *testing.T) {
	logs := []Log{
		{"0", strings.NewReader(logOf(t, start("0/4"), done("x.wav", 0, "cpu", 10, 1), summary(1, false)))},
		{"2", strings.NewReader(logOf(t, start("2/4"), summary(0.1, true)))},
	}
	tot, err := Merge(logs)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(tot.Missing) != "[1/4 3/4]" || fmt.Sprint(tot.Unfinished) != "[2/4]" || tot.Complete() {
		t.Errorf("missing %v, unfinished %v, complete %v", tot.Missing, tot.Unfinished, tot.Complete())
	}
	whole, err := Merge([]Log{{"w", strings.NewReader(logOf(t, start(""), done("x.wav", 0, "cpu", 10, 2), summary(2.5, false)))}})
	if err != nil || !whole.Complete() || len(whole.Shards) != 0 || whole.Speed != 4 {
		t.Errorf("one unsharded run: %+v, %v", whole, err)
	}
}

func TestMergeErrors(t *testing.T) {
	_, err := Merge([]Log{{"bad.log", strings.NewReader(logOf(t, start("")) + "{\"event\": \n")}})
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 2 || !strings.Contains(err.Error(), `"bad.log" line 2`) {
		t.Errorf("a broken JSON line: %v", err)
	}
	if _, err := Merge([]Log{{"empty", strings.NewReader("just text\n")}}); !errors.Is(err, ErrNoRun) {
		t.Errorf("a log without a run: %v, want ErrNoRun", err)
	}
}
