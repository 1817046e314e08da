// Package runlog merges the event logs of `drumsplit separate --json` (the
// JSON lines of package job's events) into one account of a catalogue:
// what `drumsplit summary` prints for the shards of a run spread over
// machines (separate --shard), and for reruns of them.
//
// A log may hold several runs one after the other (a shard rerun with its
// output appended) and lines that are not JSON (standard error mixed in,
// as `kubectl logs` gives it); those are passed over.
package runlog

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/drumsplit/drumsplit/internal/job"
)

// Totals is the merged account of the runs read.
type Totals struct {
	Logs int `json:"logs"` // logs read
	Runs int `json:"runs"` // start events
	// Shards are the parts of the run seen ("I/N"), in order; empty for
	// runs without --shard. Missing are those of N not seen.
	Shards  []string `json:"shards"`
	Missing []string `json:"missing_shards"`
	// Unfinished are the shards ("" for a run without --shard) whose last
	// run has no summary (killed) or was interrupted.
	Unfinished []string `json:"unfinished"`

	// Files counts the inputs, each once however many runs met it: done
	// if a run separated it, else failed if its last run failed it, else
	// skipped (its stem files were there before).
	Files   int `json:"files"`
	Done    int `json:"done"`
	Skipped int `json:"skipped"`
	Failed  int `json:"failed"`
	// Seconds of audio separated (each input's last separation); Busy is
	// the time the workers spent on them; Wall is the elapsed time of the
	// longest shard (the sum of its runs; a run without a summary counts
	// its files' time), the time the whole took with the shards at once.
	Seconds float64 `json:"seconds"`
	Busy    float64 `json:"busy"`
	Wall    float64 `json:"wall"`
	// Speed is Seconds / Wall: times real time for the whole.
	Speed   float64  `json:"speed"`
	Workers []Worker `json:"workers"`
	// Failures are the inputs that failed, with the message of their last
	// failure, by file.
	Failures []Failure `json:"failures"`
}

// Worker is the account of one worker of one shard (its runs merged).
type Worker struct {
	Shard   string  `json:"shard,omitempty"`
	Worker  int     `json:"worker"`
	Device  string  `json:"device"`
	Files   int     `json:"files"`   // inputs it separated
	Seconds float64 `json:"seconds"` // audio
	Elapsed float64 `json:"elapsed"` // time spent on them
	Speed   float64 `json:"speed"`   // Seconds / Elapsed: times real time
}

// Failure is an input that failed.
type Failure struct {
	File    string `json:"file"`
	Message string `json:"message"`
}

// SyntaxError is a line of a log that starts like a JSON object but is
// none.
type SyntaxError struct {
	Log  string
	Line int
	Err  error
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%q line %d: not a JSON event: %v", e.Log, e.Line, e.Err)
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// ErrNoRun is the error of Merge when the logs hold no start event.
var ErrNoRun = errors.New("no separate --json run in the logs")

// Log is one log to merge.
type Log struct {
	Name string // for messages
	R    io.Reader
}

// fileState is what the logs say of one input.
type fileState struct {
	done    bool
	status  string // of the last event: job.StatusDone, job.StatusSkipped or "failed"
	seconds float64
	message string
}

// merger holds the state of one Merge.
type merger struct {
	t       Totals
	shards  map[string]bool    // every shard seen
	last    map[string]string  // shard → "finished", "interrupted" or "unfinished" of its last run
	wall    map[string]float64 // shard → the elapsed time of its runs
	counts  map[int]bool       // every N seen
	files   map[string]*fileState
	order   []string // files in order of first appearance
	workers map[string]*Worker
	wkOrder []string
	shard   string  // of the run being read
	inRun   bool    // a start event was read and no summary yet
	runBusy float64 // files' elapsed time of the run being read
}

// Merge reads the logs in order and merges their runs.
func Merge(logs []Log) (*Totals, error) {
	m := &merger{shards: map[string]bool{}, last: map[string]string{}, wall: map[string]float64{}, counts: map[int]bool{},
		files: map[string]*fileState{}, workers: map[string]*Worker{}}
	for _, l := range logs {
		m.t.Logs++
		if err := m.read(l); err != nil {
			return nil, err
		}
		m.endRun("unfinished") // a log ends its last run
	}
	if m.t.Runs == 0 {
		return nil, ErrNoRun
	}
	return m.totals(), nil
}

// read merges the events of one log.
func (m *merger) read(l Log) error {
	sc := bufio.NewScanner(l.R)
	sc.Buffer(nil, 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue // not an event: standard error, a shell's echo
		}
		var ev event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			return &SyntaxError{Log: l.Name, Line: n, Err: err}
		}
		m.event(&ev)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%q: %w", l.Name, err)
	}
	return nil
}

// event is the union of the fields of the events Merge reads.
type event struct {
	Event       string  `json:"event"`
	Shard       string  `json:"shard"`
	File        string  `json:"file"`
	Status      string  `json:"status"`
	Message     string  `json:"message"`
	Seconds     float64 `json:"seconds"`
	Elapsed     float64 `json:"elapsed"`
	Worker      int     `json:"worker"`
	Device      string  `json:"device"`
	Interrupted bool    `json:"interrupted"`
}

func (m *merger) event(ev *event) {
	switch ev.Event {
	case job.KindStarted:
		m.endRun("unfinished")
		m.t.Runs++
		m.inRun, m.shard, m.runBusy = true, ev.Shard, 0
		m.shards[ev.Shard] = true
		if _, n, ok := strings.Cut(ev.Shard, "/"); ok {
			if k, err := strconv.Atoi(n); err == nil && k > 0 && k <= 1<<16 {
				m.counts[k] = true
			}
		}
	case job.KindFileDone:
		f := m.file(ev.File)
		f.status = ev.Status
		if ev.Status == job.StatusDone {
			f.done, f.seconds = true, ev.Seconds
			w := m.worker(ev.Worker, ev.Device)
			w.Files++
			w.Seconds += ev.Seconds
			w.Elapsed += ev.Elapsed
			m.t.Busy += ev.Elapsed
			m.runBusy += ev.Elapsed
		}
	case job.KindFileFailed:
		if ev.File == "" {
			return // about the whole run: its summary (if any) tells
		}
		f := m.file(ev.File)
		f.status, f.message = "failed", ev.Message
	case job.KindSummary:
		if !m.inRun {
			return
		}
		m.wall[m.shard] += ev.Elapsed
		m.inRun = false
		if ev.Interrupted {
			m.last[m.shard] = "interrupted"
		} else {
			m.last[m.shard] = "finished"
		}
	}
}

// endRun ends the run being read, if its summary did not: the run was
// killed; the time its files took is the least it ran.
func (m *merger) endRun(status string) {
	if !m.inRun {
		return
	}
	m.inRun = false
	m.wall[m.shard] += m.runBusy
	m.last[m.shard] = status
}

func (m *merger) file(path string) *fileState {
	f := m.files[path]
	if f == nil {
		f = &fileState{}
		m.files[path] = f
		m.order = append(m.order, path)
	}
	return f
}

func (m *merger) worker(id int, device string) *Worker {
	key := fmt.Sprintf("%s\x00%d\x00%s", m.shard, id, device)
	w := m.workers[key]
	if w == nil {
		w = &Worker{Shard: m.shard, Worker: id, Device: device}
		m.workers[key] = w
		m.wkOrder = append(m.wkOrder, key)
	}
	return w
}

// totals finishes the account.
func (m *merger) totals() *Totals {
	t := m.t
	t.Shards, t.Missing, t.Unfinished, t.Workers, t.Failures = []string{}, []string{}, []string{}, []Worker{}, []Failure{}
	for _, s := range slices.SortedFunc(maps.Keys(m.shards), compareShards) {
		if s != "" {
			t.Shards = append(t.Shards, s)
		}
		t.Wall = max(t.Wall, m.wall[s])
		if m.last[s] != "finished" {
			t.Unfinished = append(t.Unfinished, s)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(m.counts)) {
		for i := range n {
			if s := fmt.Sprintf("%d/%d", i, n); !m.shards[s] {
				t.Missing = append(t.Missing, s)
			}
		}
	}
	for _, p := range m.order {
		f := m.files[p]
		t.Files++
		switch {
		case f.done:
			t.Done++
			t.Seconds += f.seconds
		case f.status == "failed":
			t.Failed++
			t.Failures = append(t.Failures, Failure{File: p, Message: f.message})
		default:
			t.Skipped++
		}
	}
	slices.SortFunc(t.Failures, func(a, b Failure) int { return strings.Compare(a.File, b.File) })
	for _, k := range m.wkOrder {
		w := *m.workers[k]
		w.Seconds, w.Elapsed, w.Speed = round3(w.Seconds), round3(w.Elapsed), ratio(w.Seconds, w.Elapsed)
		t.Workers = append(t.Workers, w)
	}
	slices.SortStableFunc(t.Workers, func(a, b Worker) int {
		if c := compareShards(a.Shard, b.Shard); c != 0 {
			return c
		}
		return a.Worker - b.Worker
	})
	t.Speed = ratio(t.Seconds, t.Wall)
	t.Seconds, t.Busy, t.Wall = round3(t.Seconds), round3(t.Busy), round3(t.Wall)
	return &t
}

// Complete reports whether the logs account for a whole catalogue: every
// shard seen, each one's last run finished, and no input failed.
func (t *Totals) Complete() bool {
	return len(t.Missing) == 0 && len(t.Unfinished) == 0 && t.Failed == 0
}

// compareShards orders "I/N" by N, then I; "" first.
func compareShards(a, b string) int {
	ai, an := shardNums(a)
	bi, bn := shardNums(b)
	if an != bn {
		return an - bn
	}
	if ai != bi {
		return ai - bi
	}
	return strings.Compare(a, b)
}

func shardNums(s string) (i, n int) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return -1, 0
	}
	i, _ = strconv.Atoi(a)
	n, _ = strconv.Atoi(b)
	return i, n
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return round3(a / b)
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
