package job

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/internal/tracks"
)

// writeInputAt writes a 16-bit stereo WAV of n frames at rate.
func writeInputAt(t *testing.T, path string, n, rate int) {
	t.Helper()
	d := [][]float32{make([]float32, n), make([]float32, n)}
	for i := range n {
		d[0][i] = float32(0.5 * math.Sin(float64(i)*0.021))
		d[1][i] = float32(0.4 * math.Cos(float64(i)*0.017+1))
	}
	if _, err := audio.WriteFile(path, &audio.Buffer{SampleRate: rate, Data: d}, audio.Encoding{Format: "wav", BitDepth: 16}); err != nil {
		t.Fatal(err)
	}
}

// decodeAll decodes the files of paths.
func decodeAll(t *testing.T, paths ...string) []*audio.Buffer {
	t.Helper()
	var bs []*audio.Buffer
	for _, p := range paths {
		b, _, err := audio.DecodeFile(p)
		if err != nil {
			t.Fatal(err)
		}
		bs = append(bs, b)
	}
	return bs
}

// checkAddsUp fails unless the files add up to the input within float32
// rounding, at the input's rate and length.
func checkAddsUp(t *testing.T, input string, files ...string) {
	t.Helper()
	in := decodeAll(t, input)[0]
	bs := decodeAll(t, files...)
	for i, b := range bs {
		if b.SampleRate != in.SampleRate || b.Frames() != in.Frames() {
			t.Fatalf("%s: %d frames at %d Hz, want the input's %d at %d Hz", files[i], b.Frames(), b.SampleRate, in.Frames(), in.SampleRate)
		}
	}
	worst := 0.0
	for ch := range in.Data {
		for i, x := range in.Data[ch] {
			sum := 0.0
			for _, b := range bs {
				sum += float64(b.Data[ch][i])
			}
			worst = max(worst, math.Abs(sum-float64(x)))
		}
	}
	// float32 rounding of the residual, whose values are below 2.
	if worst > 2*0x1p-24 {
		t.Errorf("stems + residual differ from the input by up to %g", worst)
	}
}

// TestRunResidual: with Residual the selected stems and "other" add up to
// the input within float32 rounding at 32-bit float, at the input's rate
// (the default) also when the model runs at another rate, and the residual
// takes its name from the template.
func TestRunResidual(t *testing.T) {
	for _, rate := range []int{8000, 11025} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "a.wav")
			writeInputAt(t, in, 3001, rate)
			o := options(t, dir)
			o.Encoding.BitDepth = 32
			o.Stems = []int{0, 2}
			o.Residual = true
			tpl, err := tracks.Parse("{track}_{stem}.{ext}")
			if err != nil {
				t.Fatal(err)
			}
			o.Template = tpl
			var rec recorder
			if sum := Run(context.Background(), newFake(), tracks.Find([]string{in}), o, rec.emit); sum.Done != 1 {
				t.Fatalf("summary %+v, events %+v", sum, rec.evs)
			}
			if got := files(t, o.Out); !slices.Equal(got, []string{"a_hh.wav", "a_kick.wav", "a_other.wav"}) {
				t.Fatalf("files %v", got)
			}
			checkAddsUp(t, in, filepath.Join(o.Out, "a_kick.wav"), filepath.Join(o.Out, "a_hh.wav"), filepath.Join(o.Out, "a_other.wav"))
			var done FileDone
			for _, ev := range rec.evs {
				if d, ok := ev.(FileDone); ok {
					done = d
				}
			}
			if n := len(done.Stems); n != 3 || done.Stems[2].Stem != ResidualStem {
				t.Errorf("file_done stems %+v", done.Stems)
			}
		})
	}
}

// TestRunSampleRate: stems are written at the input's rate by default and
// at Options.SampleRate when set, whatever the model's rate.
func TestRunSampleRate(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "a.wav")
	writeInputAt(t, in, 2205, 11025)
	for _, tc := range []struct{ rate, want, frames int }{{0, 11025, 2205}, {8000, 8000, 1600}, {22050, 22050, 4410}} {
		o := options(t, dir)
		o.Stems = []int{1}
		o.SampleRate = tc.rate
		o.Existing = Overwrite
		if sum := Run(context.Background(), newFake(), tracks.Find([]string{in}), o, nil); sum.Done != 1 {
			t.Fatalf("rate %d: %+v", tc.rate, sum)
		}
		b, info, err := audio.DecodeFile(filepath.Join(o.Out, "a", "snare.wav"))
		if err != nil {
			t.Fatal(err)
		}
		if info.SampleRate != tc.want || b.Frames() != tc.frames {
			t.Errorf("SampleRate %d: %d frames at %d Hz, want %d at %d Hz", tc.rate, b.Frames(), info.SampleRate, tc.frames, tc.want)
		}
	}
}

// TestRunResidualSkip: with Skip, a missing residual is written so that it
// completes the stems already on disk, and a residual whose commit fails
// leaves none of the input's new files behind.
func TestRunResidualSkip(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "a.wav")
	writeInputAt(t, in, 2000, 8000)
	o := options(t, dir)
	o.Encoding.BitDepth = 32
	o.Stems = []int{0, 1}
	o.Residual = true
	o.Existing = Skip
	items := tracks.Find([]string{in})
	if sum := Run(context.Background(), newFake(), items, o, nil); sum.Done != 1 {
		t.Fatalf("first run: %+v", sum)
	}
	other := filepath.Join(o.Out, "a", "other.wav")
	snare := filepath.Join(o.Out, "a", "snare.wav")
	os.Remove(other)
	os.Remove(snare)
	if sum := Run(context.Background(), newFake(), items, o, nil); sum.Done != 1 {
		t.Fatalf("skip run: %+v", sum)
	}
	checkAddsUp(t, in, filepath.Join(o.Out, "a", "kick.wav"), snare, other)

	// All or nothing: the residual's writer fails at commit.
	os.Remove(other)
	os.Remove(snare)
	fsys := osFS
	create := fsys.create
	fsys.create = func(path string, rate, ch int, enc audio.Encoding) (stemWriter, error) {
		w, err := create(path, rate, ch, enc)
		if err == nil && filepath.Base(path) == "other.wav" {
			return failingWriter{w}, nil
		}
		return w, err
	}
	var rec recorder
	if sum := newRunner([]Separator{newFake()}, o, rec.emit, fsys).run(context.Background(), items); sum.Failed != 1 {
		t.Fatalf("failing residual: %+v", sum)
	}
	if f := rec.failures(); len(f) != 1 || !strings.Contains(f[0].Message, "no space left") {
		t.Errorf("failures %+v", f)
	}
	if got := files(t, filepath.Join(o.Out, "a")); !slices.Equal(got, []string{"kick.wav"}) {
		t.Errorf("files after the failed commit: %v", got)
	}
}

// TestPlanResidual: the residual is named by the template with {stem}
// "other", after the stems and before the MIDI file, and a model stem of
// that name is refused rather than overwritten.
func TestPlanResidual(t *testing.T) {
	o := options(t, t.TempDir())
	o.Residual, o.MIDI = true, true
	outs, err := Plan(tracks.Item{Path: "x/song.wav"}, []string{"kick", "snare"}, &o)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, out := range outs {
		got = append(got, fmt.Sprintf("%s:%d:%s", out.Stem, out.Index, filepath.Base(out.Path)))
	}
	if want := []string{"kick:0:kick.wav", "snare:1:snare.wav", "other:-2:other.wav", "drums:-1:drums.mid"}; !slices.Equal(got, want) {
		t.Errorf("plan %v, want %v", got, want)
	}
	if _, err := Plan(tracks.Item{Path: "song.wav"}, []string{"kick", "other"}, &o); err == nil || !strings.Contains(err.Error(), "residual") {
		t.Errorf("a model stem named other: %v", err)
	}
}
