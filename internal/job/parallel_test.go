package job

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/drumsplit/drumsplit/internal/tracks"
)

// devFake is a fake separator that names its device.
type devFake struct {
	*fakeSep
	dev string
}

func (d devFake) Device() string { return d.dev }

// TestRunParallel separates a folder with two workers that are made to
// hold a file each at the same time: the stem files are byte for byte
// those of one worker, each file's events name one worker and its device,
// are emitted from the calling goroutine one at a time, and come in the
// order start, progress..., done.
func TestRunParallel(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	for i := range 6 {
		writeInput(t, filepath.Join(in, fmt.Sprintf("t%d.wav", i)), 2500+300*i, float64(i+1))
	}
	items := tracks.Find([]string{in})

	one := options(t, filepath.Join(dir, "one"))
	if sum := Run(context.Background(), newFake(), items, one, nil); sum.Done != 6 {
		t.Fatalf("one worker: %+v", sum)
	}

	// Each worker's first block waits until the other worker has started
	// a file too, so both run at once.
	var started sync.WaitGroup
	started.Add(2)
	both := make(chan struct{})
	go func() { started.Wait(); close(both) }()
	seps := make([]Separator, 2)
	for w := range seps {
		f := newFake()
		var once sync.Once
		f.block = func(n int) {
			once.Do(func() {
				started.Done()
				select {
				case <-both:
				case <-time.After(30 * time.Second):
					t.Errorf("worker %d: the other worker never started a file", w)
				}
			})
		}
		seps[w] = devFake{f, fmt.Sprintf("cpu%d", w)}
	}
	two := options(t, filepath.Join(dir, "two"))
	var (
		mu       sync.Mutex
		inEmit   bool
		overlaps int
		rec      recorder
	)
	emit := func(ev Event) {
		mu.Lock()
		if inEmit {
			overlaps++
		}
		inEmit = true
		mu.Unlock()
		rec.emit(ev)
		mu.Lock()
		inEmit = false
		mu.Unlock()
	}
	sum := RunParallel(context.Background(), seps, items, two, emit)
	if sum.Done != 6 || sum.Failed != 0 || sum.Interrupted {
		t.Fatalf("two workers: %+v", sum)
	}
	if overlaps > 0 {
		t.Errorf("emit was called %d times while another call was running", overlaps)
	}

	a, b := files(t, one.Out), files(t, two.Out)
	if !slices.Equal(a, b) || len(a) != 18 {
		t.Fatalf("files of two workers %v, of one %v", b, a)
	}
	for _, f := range a {
		x, _ := os.ReadFile(filepath.Join(one.Out, f))
		y, _ := os.ReadFile(filepath.Join(two.Out, f))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between one and two workers", f)
		}
	}

	// Per file: one worker, its device, start first, done last.
	type state struct {
		worker int
		device string
		last   string
	}
	files := map[int]*state{}
	used := map[int]bool{}
	check := func(index, worker int, device, kind string) {
		s := files[index]
		switch {
		case kind == KindFileStarted && s != nil, kind != KindFileStarted && s == nil:
			t.Errorf("file %d: %s out of order", index, kind)
			return
		case s == nil:
			s = &state{worker: worker, device: device}
			files[index] = s
		case s.last == KindFileDone:
			t.Errorf("file %d: %s after its file_done", index, kind)
		}
		if s.worker != worker || s.device != device || device != fmt.Sprintf("cpu%d", worker) {
			t.Errorf("file %d: %s names worker %d (%s); the file is on worker %d (%s)", index, kind, worker, device, s.worker, s.device)
		}
		s.last = kind
		used[worker] = true
	}
	for _, ev := range rec.evs {
		switch ev := ev.(type) {
		case FileStarted:
			check(ev.Index, ev.Worker, ev.Device, ev.Kind)
		case Progress:
			check(ev.Index, ev.Worker, ev.Device, ev.Kind)
		case FileDone:
			check(ev.Index, ev.Worker, ev.Device, ev.Kind)
		}
	}
	if len(files) != 6 || !used[0] || !used[1] {
		t.Errorf("%d files seen; workers used %v", len(files), used)
	}
}

// TestRunParallelSameName gives two workers two inputs with the same track
// name at once: one is written, the other fails as with one worker, and no
// file is written twice.
func TestRunParallelSameName(t *testing.T) {
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "x", "song.wav"), 3000, 1)
	writeInput(t, filepath.Join(dir, "y", "song.wav"), 3000, 2)
	items := tracks.Find([]string{filepath.Join(dir, "x", "song.wav"), filepath.Join(dir, "y", "song.wav")})
	var rec recorder
	sum := RunParallel(context.Background(), []Separator{newFake(), newFake()}, items, options(t, dir), rec.emit)
	if sum.Done != 1 || sum.Failed != 1 {
		t.Fatalf("summary %+v, want 1 done and 1 failed", sum)
	}
	if f := rec.failures(); len(f) != 1 || !bytes.Contains([]byte(f[0].Message), []byte("already written")) {
		t.Errorf("failures %+v", f)
	}
}
