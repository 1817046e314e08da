package bench

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/render"
)

// Defaults of the rendered benchmark input.
const (
	DefaultSeconds = 51.7 // the length of the input MSST's published timings used
	DefaultSeed    = 1
	// DefaultKit is the kit the input is played on; any kit would do for
	// speed, and a held-out kit keeps benchmark files out of training data.
	DefaultKit = "The Black Pearl 1.0"
)

// Audio is a stereo input with its description.
type Audio struct {
	Data [][]float32 // [2][frames]
	Info Input
}

// RenderInput renders the default benchmark input: a groove of the given
// length generated from seed and played on DefaultKit (or, when it is not
// installed, the first kit of kitsDir). With no Hydrogen kits at all it
// falls back to SyntheticInput; the Input's Source says which it is.
func RenderInput(kitsDir string, seconds float64, seed uint64) (*Audio, error) {
	if !(seconds > 0) {
		return nil, fmt.Errorf("input length %g s: must be positive", seconds)
	}
	k, err := findKit(kitsDir)
	if err != nil {
		a := SyntheticInput(seconds, seed)
		a.Info.Note = err.Error() // why there was no kit, for the record
		return a, nil
	}
	rng := render.NewRand(seed)
	g, err := render.Generate(render.GrooveOptions{Seconds: seconds, AllStems: true}, rng)
	if err != nil {
		return nil, err
	}
	tr, err := render.Render(g, k, render.NewCache(), render.Options{}, rng)
	if err != nil {
		return nil, err
	}
	a := &Audio{Data: tr.Mixture, Info: Input{
		Source: "render", Kit: k.Name, Style: g.Style, Seed: seed,
		Frames: len(tr.Mixture[0]), SampleRate: render.SampleRate,
	}}
	a.finish()
	return a, nil
}

// findKit returns DefaultKit from dir, else the first drum kit there.
func findKit(dir string) (*render.Kit, error) {
	if k, err := render.LoadKit(filepath.Join(dir, DefaultKit)); err == nil {
		return k, nil
	}
	kits, err := render.FindKits(dir)
	if len(kits) == 0 {
		if err == nil {
			err = errors.New("no kits")
		}
		return nil, fmt.Errorf("no Hydrogen drum kit under %s: %v", dir, err)
	}
	sel, _, err := render.Select(kits, nil, nil)
	if err != nil || len(sel) == 0 {
		return nil, fmt.Errorf("no usable Hydrogen drum kit under %s", dir)
	}
	return sel[0], nil
}

// SyntheticInput returns a drum-like signal made without samples, for
// machines without the Hydrogen kits: at 120 BPM, a decaying 55 Hz kick on
// every beat, a noise snare on beats 2 and 4 and short noise hats on the
// eighths, from a fixed noise generator. The network's cost does not depend
// on what it hears, so timings compare with a rendered input's.
func SyntheticInput(seconds float64, seed uint64) *Audio {
	const sr = render.SampleRate
	n := int(math.Round(seconds * sr))
	l, r := make([]float32, n), make([]float32, n)
	rng := render.NewRand(seed)
	eighth := sr / 4 // 120 BPM
	for i := 0; i < n; i++ {
		k := i / eighth
		t := float64(i%eighth) / sr
		var v, pan float64
		if k%2 == 0 { // beat: kick
			v += 0.6 * math.Exp(-t*18) * math.Sin(2*math.Pi*55*t*(1+math.Exp(-t*40)))
		}
		if k%4 == 2 { // beats 2 and 4: snare
			v += 0.35 * math.Exp(-t*25) * (rng.Float64()*2 - 1)
		}
		hat := 0.12 * math.Exp(-t*90) * (rng.Float64()*2 - 1)
		v += hat
		pan = 0.3 * hat
		l[i], r[i] = float32(v*(1-pan)), float32(v*(1+pan))
	}
	a := &Audio{Data: [][]float32{l, r}, Info: Input{Source: "synthetic", Seed: seed, Frames: n, SampleRate: sr}}
	a.finish()
	return a
}

// LoadInput decodes an audio file, converts it to stereo at sampleRate and
// keeps at most seconds of it (all of it for seconds ≤ 0).
func LoadInput(path string, sampleRate int, seconds float64) (*Audio, error) {
	r, err := audio.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	rr, err := audio.ResampleReader(audio.Stereo(r), sampleRate)
	if err != nil {
		return nil, err
	}
	buf, err := audio.ReadAll(rr)
	if err != nil {
		return nil, err
	}
	if buf.NumChannels() != 2 || buf.Frames() == 0 {
		return nil, fmt.Errorf("%s: no stereo audio", path)
	}
	data := buf.Data
	if seconds > 0 {
		if n := int(math.Round(seconds * float64(sampleRate))); n < len(data[0]) {
			data = [][]float32{data[0][:n], data[1][:n]}
		}
	}
	a := &Audio{Data: data, Info: Input{Source: "file", Path: filepath.Base(path),
		Frames: len(data[0]), SampleRate: sampleRate}}
	a.finish()
	return a, nil
}

func (a *Audio) finish() {
	a.Info.Frames = len(a.Data[0])
	a.Info.Seconds = float64(a.Info.Frames) / float64(a.Info.SampleRate)
	a.Info.SHA256 = SamplesSHA256(a.Data)
}

// SamplesSHA256 hashes planar samples as little-endian float32, channel
// after channel (the Input.SHA256 convention).
func SamplesSHA256(data [][]float32) string {
	h := sha256.New()
	buf := make([]byte, 4*4096)
	for _, ch := range data {
		for i := 0; i < len(ch); i += 4096 {
			part := ch[i:min(i+4096, len(ch))]
			for j, v := range part {
				binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(v))
			}
			h.Write(buf[:4*len(part)])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Save writes the input as a 32-bit float WAV file, which the reference
// reads back bit for bit.
func (a *Audio) Save(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	_, err := audio.WriteFile(path, &audio.Buffer{SampleRate: a.Info.SampleRate, Data: a.Data},
		audio.Encoding{Format: "wav", BitDepth: 32})
	return err
}
