package job

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/internal/tracks"
	"github.com/drumsplit/drumsplit/separator"
)

// fakeSep is a Separator without a model: stem s is the input times
// gains[s], delivered in blocks of 1000 frames with a progress report
// after each.
type fakeSep struct {
	stems []string
	rate  int
	err   error       // returned after the first block, if set
	block func(n int) // called before each block is written (n: blocks so far)
}

func newFake() *fakeSep { return &fakeSep{stems: []string{"kick", "snare", "hh"}, rate: 8000} }

func (f *fakeSep) Stems() []string { return f.stems }
func (f *fakeSep) SampleRate() int { return f.rate }

func (f *fakeSep) Separate(ctx context.Context, src separator.Source, dst separator.Sink, progress func(separator.Progress)) error {
	buf := [][]float32{make([]float32, 1000), make([]float32, 1000)}
	var done int64
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		k, err := src.Read(buf)
		if k > 0 {
			if f.block != nil {
				f.block(n)
			}
			out := make([][][]float32, len(f.stems))
			for s := range out {
				out[s] = make([][]float32, 2)
				for ch := range 2 {
					out[s][ch] = make([]float32, k)
					for i := range k {
						out[s][ch][i] = buf[ch][i] * gain(s)
					}
				}
			}
			if err := dst.Write(out); err != nil {
				return err
			}
			done += int64(k)
			if progress != nil {
				progress(separator.Progress{SamplesDone: done, SamplesTotal: src.Frames()})
			}
			if f.err != nil {
				return f.err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func gain(stem int) float32 { return 0.25 * float32(stem+1) }

// writeInput writes a 16-bit stereo WAV of n frames at rate 8000 whose
// samples depend on seed.
func writeInput(t *testing.T, path string, n int, seed float64) {
	t.Helper()
	d := [][]float32{make([]float32, n), make([]float32, n)}
	for i := range n {
		d[0][i] = float32(0.5 * math.Sin(float64(i)*0.01*seed))
		d[1][i] = float32(0.5 * math.Cos(float64(i)*0.013*seed))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := audio.WriteFile(path, &audio.Buffer{SampleRate: 8000, Data: d}, audio.Encoding{Format: "wav", BitDepth: 16}); err != nil {
		t.Fatal(err)
	}
}

// options returns Options writing 16-bit WAV to dir/out/{track}/{stem}.wav.
func options(t *testing.T, dir string) Options {
	t.Helper()
	tpl, err := tracks.Parse(tracks.DefaultTemplate)
	if err != nil {
		t.Fatal(err)
	}
	return Options{Out: filepath.Join(dir, "out"), Template: tpl, Encoding: audio.Encoding{Format: "wav", BitDepth: 16}}
}

// recorder collects the events of a run.
type recorder struct{ evs []Event }

func (r *recorder) emit(ev Event) { r.evs = append(r.evs, ev) }

// kinds lists the events' "event" fields, as --json writes them.
func (r *recorder) kinds(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, ev := range r.evs {
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		var m struct{ Event string }
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m.Event)
	}
	return out
}

func (r *recorder) failures() []FileFailed {
	var out []FileFailed
	for _, ev := range r.evs {
		if f, ok := ev.(FileFailed); ok {
			out = append(out, f)
		}
	}
	return out
}

// files lists the files under dir, relative, with "/" separators.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(out)
	return out
}

// TestRun separates two inputs and a missing one: the stems are the fake's,
// the events come in order and marshal to the documented JSON.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "a.wav"), 2500, 1)
	writeInput(t, filepath.Join(dir, "b.wav"), 1200, 2)
	items := tracks.Find([]string{filepath.Join(dir, "a.wav"), filepath.Join(dir, "gone.wav"), filepath.Join(dir, "b.wav")})
	o := options(t, dir)
	o.Stems = []int{0, 2}
	var rec recorder
	sum := Run(context.Background(), newFake(), items, o, rec.emit)

	if sum.Done != 2 || sum.Failed != 1 || sum.Inputs != 3 || sum.Interrupted {
		t.Errorf("summary %+v", sum)
	}
	want := []string{"file_start", "progress", "progress", "progress", "file_done", "error", "file_start", "progress", "progress", "file_done", "summary"}
	if got := rec.kinds(t); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if got := files(t, o.Out); !slices.Equal(got, []string{"a/hh.wav", "a/kick.wav", "b/hh.wav", "b/kick.wav"}) {
		t.Errorf("files %v", got)
	}
	in, _, err := audio.DecodeFile(filepath.Join(dir, "a.wav"))
	if err != nil {
		t.Fatal(err)
	}
	hh, _, err := audio.DecodeFile(filepath.Join(o.Out, "a", "hh.wav"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range in.Data[0] {
		if d := math.Abs(float64(hh.Data[1][i] - 0.75*in.Data[1][i])); d > 1e-4 {
			t.Fatalf("hh frame %d differs from 0.75 × the input by %g", i, d)
		}
	}
	done := rec.evs[4].(FileDone)
	b, _ := json.Marshal(done)
	for _, part := range []string{`"event":"file_done"`, `"status":"done"`, `"stems":[{"stem":"kick","path":`, `"seconds":0.313`} {
		if !strings.Contains(string(b), part) {
			t.Errorf("file_done %s lacks %s", b, part)
		}
	}
	if f := rec.failures(); len(f) != 1 || f[0].Index != 2 || !strings.Contains(f[0].Message, "no such file") {
		t.Errorf("failures %+v", f)
	}
}

// TestRunExisting checks the three policies for stem files that exist.
func TestRunExisting(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "a.wav")
	writeInput(t, in, 1500, 1)
	o := options(t, dir)
	o.Stems = []int{0, 1}
	kick := filepath.Join(o.Out, "a", "kick.wav")
	writeInput(t, kick, 10, 3) // an old kick only
	items := tracks.Find([]string{in})

	var rec recorder
	if sum := Run(context.Background(), newFake(), items, o, rec.emit); sum.Failed != 1 {
		t.Fatalf("refuse: %+v", sum)
	}
	var ee *ExistsError
	if f := rec.failures(); len(f) != 1 || !errors.As(f[0].Err, &ee) || ee.Paths[0] != kick {
		t.Errorf("refuse: failures %+v", f)
	}
	if got := files(t, o.Out); !slices.Equal(got, []string{"a/kick.wav"}) {
		t.Errorf("refuse wrote %v", got)
	}

	o.Existing = Skip
	rec = recorder{}
	if sum := Run(context.Background(), newFake(), items, o, rec.emit); sum.Done != 1 {
		t.Fatalf("skip: %+v", sum)
	}
	if b, _, _ := audio.DecodeFile(kick); b == nil || b.Frames() != 10 {
		t.Errorf("skip replaced the existing kick")
	}
	rec = recorder{}
	if sum := Run(context.Background(), newFake(), items, o, rec.emit); sum.Skipped != 1 {
		t.Fatalf("skip, all exist: %+v", sum)
	}

	o.Existing = Overwrite
	if sum := Run(context.Background(), newFake(), items, o, nil); sum.Done != 1 {
		t.Fatalf("overwrite: %+v", sum)
	}
	if b, _, _ := audio.DecodeFile(kick); b == nil || b.Frames() != 1500 {
		t.Errorf("overwrite kept the old kick")
	}
	if got := files(t, o.Out); !slices.Equal(got, []string{"a/kick.wav", "a/snare.wav"}) {
		t.Errorf("overwrite left %v", got)
	}
}

// TestRunFailureIsolation: a separator error fails its input alone and
// leaves none of its files (nor the folder made for it).
func TestRunFailureIsolation(t *testing.T) {
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "a.wav"), 2500, 1)
	writeInput(t, filepath.Join(dir, "b.wav"), 2500, 2)
	o := options(t, dir)
	sep := newFake()
	var rec recorder
	n := 0
	Run(context.Background(), sep, tracks.Find([]string{filepath.Join(dir, "a.wav"), filepath.Join(dir, "b.wav")}), o, func(ev Event) {
		if _, ok := ev.(FileStarted); ok {
			n++
			if n == 1 {
				sep.err = errors.New("device lost")
			} else {
				sep.err = nil
			}
		}
		rec.emit(ev)
	})
	if f := rec.failures(); len(f) != 1 || f[0].Message != "device lost" || f[0].Index != 1 {
		t.Errorf("failures %+v", f)
	}
	if got := files(t, o.Out); !slices.Equal(got, []string{"b/hh.wav", "b/kick.wav", "b/snare.wav"}) {
		t.Errorf("files %v", got)
	}
	if _, err := os.Stat(filepath.Join(o.Out, "a")); err == nil {
		t.Error("the failed input's folder is left behind")
	}
}

// TestRunInterrupt cancels the run in the middle of the first input: it
// fails with ErrInterrupted, the second is not started, nothing is written.
func TestRunInterrupt(t *testing.T) {
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "a.wav"), 5000, 1)
	writeInput(t, filepath.Join(dir, "b.wav"), 5000, 2)
	o := options(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sep := newFake()
	sep.block = func(n int) {
		if n == 2 {
			cancel()
		}
	}
	var rec recorder
	sum := Run(ctx, sep, tracks.Find([]string{filepath.Join(dir, "a.wav"), filepath.Join(dir, "b.wav")}), o, rec.emit)
	if !sum.Interrupted || sum.Failed != 1 || sum.Done != 0 {
		t.Errorf("summary %+v", sum)
	}
	if f := rec.failures(); len(f) != 1 || !errors.Is(f[0].Err, ErrInterrupted) {
		t.Errorf("failures %+v", f)
	}
	if got := files(t, o.Out); len(got) != 0 {
		t.Errorf("files %v", got)
	}
}

// TestRunFIFO: a FIFO given as an input fails as not a regular file instead
// of waiting for a writer for ever.
func TestRunFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "take.wav")
	if err := mkfifo(fifo); err != nil {
		t.Skip("mkfifo:", err)
	}
	var rec recorder
	done := make(chan Summary)
	go func() {
		done <- Run(context.Background(), newFake(), []tracks.Item{{Path: fifo}}, options(t, dir), rec.emit)
	}()
	select {
	case sum := <-done:
		if f := rec.failures(); sum.Failed != 1 || len(f) != 1 || !errors.Is(f[0].Err, audio.ErrNotRegular) {
			t.Errorf("summary %+v, failures %+v", sum, f)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run hangs on a FIFO")
	}
}

// TestRunWarningsNameTheFile: the warnings a file causes (channels dropped,
// samples clipped) are events that name the input, not anonymous log lines.
func TestRunWarningsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "four.wav")
	n := 4000
	d := make([][]float32, 4)
	for ch := range d {
		d[ch] = make([]float32, n)
		for i := range n {
			d[ch][i] = float32(1.5 * math.Sin(float64(i*(ch+1))*0.01))
		}
	}
	if _, err := audio.WriteFile(in, &audio.Buffer{SampleRate: 8000, Data: d}, audio.Encoding{Format: "wav", BitDepth: 32}); err != nil {
		t.Fatal(err)
	}
	var rec recorder
	sum := Run(context.Background(), newFake(), []tracks.Item{{Path: in}}, options(t, dir), rec.emit)
	if sum.Done != 1 {
		t.Fatalf("summary %+v, failures %+v", sum, rec.failures())
	}
	var channels, clipped int
	for _, ev := range rec.evs {
		w, ok := ev.(Warning)
		if !ok {
			continue
		}
		if w.File != in {
			t.Errorf("warning %+v does not name the input", w)
		}
		switch {
		case strings.Contains(w.Message, "4-channel input"):
			channels++
		case strings.Contains(w.Message, "samples clipped"):
			clipped++
		}
	}
	// The fake's third stem has gain 0.75 of channels peaking at 1.5:
	// it clips in 16 bits.
	if channels != 1 || clipped == 0 {
		t.Errorf("%d channel warnings (want 1), %d clipping warnings (want some)", channels, clipped)
	}
}
