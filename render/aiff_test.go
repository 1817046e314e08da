package render

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/audio"
)

// TestBJAPacificAIFF decodes a real kit sample with the audio package's
// decoder, which render uses for every format: BD_08.aiff is 31916 frames
// of 16-bit stereo at 44.1 kHz (soxi).
func TestBJAPacificAIFF(t *testing.T) {
	path := filepath.Join(DefaultKitsDir, "BJA_Pacific", "BD_08.aiff")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("hydrogen-drumkits not installed (%v)", err)
	}
	b, info, err := audio.DecodeFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Format != "aiff" || b.SampleRate != 44100 || len(b.Data) != 2 || b.Frames() != 31916 {
		t.Fatalf("%+v: %d Hz, %d channels, %d frames", info, b.SampleRate, len(b.Data), b.Frames())
	}
	var peak float64
	for _, ch := range b.Data {
		for _, v := range ch {
			peak = math.Max(peak, math.Abs(float64(v)))
		}
	}
	if peak < 0.1 || peak > 1 {
		t.Errorf("peak %v: not a loud kick", peak)
	}
	s, err := loadSample(path)
	if err != nil || s == nil {
		t.Fatalf("loadSample: %v", err)
	}
}

// TestKitAIFFSamples: every AIFF sample of the installed kits decodes. The
// audio package refuses truncated files where render's own decoder took
// what was there; no kit sample may be such a file.
func TestKitAIFFSamples(t *testing.T) {
	var n int
	filepath.WalkDir(DefaultKitsDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasPrefix(strings.ToLower(filepath.Ext(p)), ".aif") {
			return nil
		}
		n++
		if _, _, err := audio.DecodeFile(p); err != nil {
			t.Error(err)
		}
		return nil
	})
	if n == 0 {
		t.Skip("no AIFF kit samples installed (hydrogen-drumkits)")
	}
}
