package calibrate

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/drumsplit/drumsplit/audio"
)

// writeNoise writes a mono WAV of secs seconds at rate: a 440 Hz tone at
// amp (0 for silence).
func writeNoise(t *testing.T, path string, rate int, secs, amp float64) {
	t.Helper()
	x := make([]float32, int(secs*float64(rate)))
	for i := range x {
		x[i] = float32(amp * math.Sin(2*math.Pi*440*float64(i)/float64(rate)))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := audio.WriteFile(path, &audio.Buffer{SampleRate: rate, Data: [][]float32{x}}, audio.Encoding{Format: "wav", BitDepth: 16}); err != nil {
		t.Fatal(err)
	}
}

// TestCollect: a render-style folder contributes its mixture only; other
// folders every audio file; silent chunks and files that are not audio
// are left out; the check chunks come from every fourth file; the chunks
// are the model's, resampled to its rate and stereo.
func TestCollect(t *testing.T) {
	dir := t.TempDir()
	const rate, chunk = 8000, 4000 // half-second chunks
	for i, name := range []string{"a", "b", "c", "d", "e"} {
		writeNoise(t, filepath.Join(dir, "tracks", name, "mixture.wav"), 16000, 2, 0.3+0.1*float64(i))
		writeNoise(t, filepath.Join(dir, "tracks", name, "kick.wav"), 16000, 2, 0.9) // a stem: not used
	}
	writeNoise(t, filepath.Join(dir, "loose", "quiet.wav"), 8000, 2, 0)     // silent: no chunk
	writeNoise(t, filepath.Join(dir, "loose", "loud.wav"), 8000, 1.75, 0.5) // three whole chunks
	os.WriteFile(filepath.Join(dir, "loose", "notes.txt"), []byte("not audio"), 0o644)
	writeNoise(t, filepath.Join(dir, ".hidden", "x.wav"), 8000, 2, 0.5)

	s, err := Collect(dir, Options{SampleRate: rate, Chunk: chunk})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range s.Files {
		rel, _ := filepath.Rel(dir, f)
		names = append(names, rel)
	}
	want := []string{"loose/loud.wav", "tracks/a/mixture.wav", "tracks/b/mixture.wav", "tracks/c/mixture.wav", "tracks/d/mixture.wav", "tracks/e/mixture.wav"}
	if len(names) != len(want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != filepath.FromSlash(want[i]) {
			t.Fatalf("files %v, want %v", names, want)
		}
	}
	// 3 + 5 × 4 chunks; the fourth file (tracks/c) is the check set.
	if len(s.Calibration) != 19 || len(s.Check) != 4 {
		t.Errorf("%d calibration and %d check chunks, want 19 and 4", len(s.Calibration), len(s.Check))
	}
	for _, c := range append(s.Calibration, s.Check...) {
		if len(c) != 2*chunk {
			t.Fatalf("chunk of %d samples, want %d", len(c), 2*chunk)
		}
		if rms(c) < silentRMS {
			t.Fatal("silent chunk kept")
		}
		for i := range chunk {
			if c[i] != c[chunk+i] {
				t.Fatal("mono not made stereo as two equal channels")
			}
		}
	}
	// tracks/c's level: 0.5 peak, its chunks' RMS 0.5/√2 after resampling.
	if r := rms(s.Check[1]); math.Abs(r-0.5/math.Sqrt2) > 0.01 {
		t.Errorf("check chunk RMS %.4f, want %.4f (tracks/c)", r, 0.5/math.Sqrt2)
	}

	// MaxChunks bounds both sets together, spread over the files.
	s, err = Collect(dir, Options{SampleRate: rate, Chunk: chunk, MaxChunks: 12})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Calibration) + len(s.Check); n < 10 || n > 14 || len(s.Check) == 0 {
		t.Errorf("MaxChunks 12: %d calibration + %d check chunks", len(s.Calibration), len(s.Check))
	}
}

// TestCollectErrors: a folder of silence, an empty folder, a file for a
// folder and a damaged audio file are errors.
func TestCollectErrors(t *testing.T) {
	dir := t.TempDir()
	o := Options{SampleRate: 8000, Chunk: 4000}
	writeNoise(t, filepath.Join(dir, "silent", "a.wav"), 8000, 3, 0)
	os.MkdirAll(filepath.Join(dir, "empty"), 0o755)
	for _, d := range []string{"silent", "empty"} {
		if _, err := Collect(filepath.Join(dir, d), o); !errors.Is(err, ErrNoAudio) {
			t.Errorf("%s: %v, want ErrNoAudio", d, err)
		}
	}
	if _, err := Collect(filepath.Join(dir, "silent", "a.wav"), o); err == nil {
		t.Error("a file for the folder: no error")
	}
	if _, err := Collect(filepath.Join(dir, "missing"), o); err == nil {
		t.Error("a missing folder: no error")
	}
	bad := filepath.Join(dir, "bad")
	writeNoise(t, filepath.Join(bad, "a.wav"), 8000, 3, 0.5)
	b, _ := os.ReadFile(filepath.Join(bad, "a.wav"))
	os.WriteFile(filepath.Join(bad, "b.wav"), b[:60], 0o644) // a header cut short
	if _, err := Collect(bad, o); err == nil {
		t.Error("a damaged WAV file: no error")
	}
	if _, err := Collect(bad, Options{}); err == nil {
		t.Error("zero options: no error")
	}
}

// TestWriteRaw: chunks are written as little-endian float32, one after
// another.
func TestWriteRaw(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.raw")
	if err := WriteRaw(p, [][]float32{{1, -2}, {0.5, 3}}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, -2, 0.5, 3}
	if len(b) != 4*len(want) {
		t.Fatalf("%d bytes, want %d", len(b), 4*len(want))
	}
	for i, w := range want {
		u := uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24
		if math.Float32frombits(u) != w {
			t.Errorf("value %d: %g, want %g", i, math.Float32frombits(u), w)
		}
	}
}
