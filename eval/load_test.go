package eval

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/drumsplit/drumsplit/audio"
)

// TestLoadStereo: a mono file comes as two equal channels at its rate.
func TestLoadStereo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.wav")
	x := make([]float32, 1000)
	for i := range x {
		x[i] = float32(0.5 * math.Sin(float64(i)/10))
	}
	if _, err := audio.WriteFile(path, &audio.Buffer{SampleRate: 8000, Data: [][]float32{x}}, audio.Encoding{Format: "wav", BitDepth: 32}); err != nil {
		t.Fatal(err)
	}
	data, rate, err := LoadStereo(path)
	if err != nil || rate != 8000 || len(data) != 2 || !slices.Equal(data[0], x) || !slices.Equal(data[1], x) {
		t.Errorf("LoadStereo = %d channels at %d, %v", len(data), rate, err)
	}
	if _, _, err := LoadStereo(filepath.Join(t.TempDir(), "missing.wav")); err == nil {
		t.Error("a missing file loaded")
	}
}

// TestTranscribe: strokes on a kick and a hi-hat stem come back as onsets
// of their class, the hats labelled with their articulation.
func TestTranscribe(t *testing.T) {
	const rate = 44100
	kick, hh := make([]float32, 2*rate), make([]float32, 2*rate)
	for _, at := range []float64{0.25, 0.75, 1.25} {
		s := int(at * rate)
		for i := 0; i < rate/10; i++ {
			e := math.Exp(-float64(i) / (0.03 * rate))
			kick[s+i] += float32(0.8 * e * math.Sin(2*math.Pi*60*float64(i)/rate))
			hh[s+i] += float32(0.3 * e * math.Sin(float64(i)*float64(i)*0.37)) // noise-like
		}
	}
	onsets, err := Transcribe(map[string][][]float32{"kick": {kick, kick}, "hh": {hh, hh}}, rate)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, o := range onsets {
		count[o.Class]++
		if o.Strength <= 0 || (o.Class == "hh") != (o.Label != "") {
			t.Errorf("onset %+v", o)
		}
	}
	if count["kick"] != 3 || count["hh"] != 3 {
		t.Errorf("onsets per class %v, want 3 kicks and 3 hats", count)
	}
}
