package separator

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/audio"
)

// TestSeparateFile: the stems and the residual of a mono 48 kHz FLAC are
// written at 48 kHz, stereo, and add up to the input; a wrong stem name or
// a missing input fails before anything is written.
func TestSeparateFile(t *testing.T) {
	needLib(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "mono.flac")
	mono := stereoNoise(7000, 3)[:1]
	for i := range mono[0] {
		mono[0][i] *= 0.5
	}
	if _, err := audio.WriteFile(in, &audio.Buffer{SampleRate: 48000, Data: mono}, audio.Encoding{Format: "flac", BitDepth: 24}); err != nil {
		t.Fatal(err)
	}
	src, _, err := audio.DecodeFile(in)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "stems")
	paths, err := SeparateFile(context.Background(), in, out, FileOptions{Model: modelPath(t, "tiny6.pt"),
		Stems: []string{"snare", "Kick"}, Residual: true, Encoding: audio.Encoding{Format: "wav", BitDepth: 32}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(out, "kick.wav"), filepath.Join(out, "snare.wav"), filepath.Join(out, "other.wav")}
	if !slices.Equal(paths, want) {
		t.Fatalf("paths %v, want %v", paths, want)
	}
	sum := [][]float64{make([]float64, src.Frames()), make([]float64, src.Frames())}
	for _, p := range paths {
		b, info, err := audio.DecodeFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if info.SampleRate != 48000 || info.Channels != 2 || b.Frames() != src.Frames() {
			t.Fatalf("%s: %+v, want %d frames at 48000 Hz, stereo", p, info, src.Frames())
		}
		for ch := range sum {
			for i, v := range b.Data[ch] {
				sum[ch][i] += float64(v)
			}
		}
	}
	for ch := range sum {
		for i, v := range sum[ch] {
			if d := v - float64(src.Data[0][i]); d > 1e-6 || d < -1e-6 {
				t.Fatalf("channel %d frame %d: the files add up to %g, the input is %g", ch, i, v, src.Data[0][i])
			}
		}
	}

	empty := filepath.Join(dir, "none")
	if _, err := SeparateFile(context.Background(), in, empty, FileOptions{Model: modelPath(t, "tiny6.pt"), Stems: []string{"cowbell"}}); err == nil || !strings.Contains(err.Error(), `the model has no stem "cowbell"`) {
		t.Errorf("unknown stem: %v", err)
	}
	if _, err := SeparateFile(context.Background(), filepath.Join(dir, "missing.wav"), empty, FileOptions{Model: modelPath(t, "tiny6.pt")}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing input: %v", err)
	}
	if _, err := os.Stat(empty); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed call made %s: %v", empty, err)
	}
}

// TestSeparateFileNoModel: without a model and without the bundled one,
// the error says so (ErrNoModel).
func TestSeparateFileNoModel(t *testing.T) {
	t.Setenv("DRUMSPLIT_MODEL", "")
	_, err := SeparateFile(context.Background(), "in.wav", t.TempDir(), FileOptions{})
	if !errors.Is(err, ErrNoModel) {
		t.Errorf("got %v, want ErrNoModel", err)
	}
}
