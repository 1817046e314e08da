package stft_test

import (
	"fmt"
	"math"

	"github.com/drumsplit/drumsplit/stft"
)

// A 1 kHz tone through torch.stft's defaults and back.
func Example() {
	const sr, nfft, hop = 44100, 2048, 512
	p, err := stft.NewPlan(nfft, hop)
	if err != nil {
		panic(err)
	}
	defer p.Close()

	x := make([]float32, 4*sr/10)
	for i := range x {
		x[i] = float32(math.Sin(2 * math.Pi * 1000 * float64(i) / sr))
	}
	frames := p.Frames(len(x))
	spec := make([]complex64, p.Bins()*frames) // [bin][frame], like torch
	if err := p.Forward(spec, x); err != nil {
		panic(err)
	}

	// The loudest bin of the middle frame: 1000 Hz / (44100 Hz / 2048) ≈ 46.4.
	t, best := frames/2, 0
	for k := range p.Bins() {
		if abs(spec[k*frames+t]) > abs(spec[best*frames+t]) {
			best = k
		}
	}
	fmt.Printf("%d frames of %d bins; peak at bin %d (%.0f Hz)\n", frames, p.Bins(), best, float64(best)*sr/nfft)

	y := make([]float32, p.InverseLen(frames))
	if err := p.Inverse(y, spec); err != nil {
		panic(err)
	}
	var maxErr float64
	for i := range y {
		maxErr = math.Max(maxErr, math.Abs(float64(y[i]-x[i])))
	}
	fmt.Printf("inverse: %d samples, max error below 1e-6: %v\n", len(y), maxErr < 1e-6)
	// Output:
	// 35 frames of 1025 bins; peak at bin 46 (991 Hz)
	// inverse: 17408 samples, max error below 1e-6: true
}

func abs(c complex64) float64 { return math.Hypot(float64(real(c)), float64(imag(c))) }

// The MDX23C layout around a model: a batch of stereo chunks to
// [B, 4, dim_f, T] and the model's [B, S, 4, dim_f, T] output back to audio.
func ExampleMDX() {
	p, err := stft.NewPlan(2048, 512)
	if err != nil {
		panic(err)
	}
	defer p.Close()
	m, err := stft.NewMDX(p, 1024)
	if err != nil {
		panic(err)
	}
	const batch, chunk, stems = 2, 130560, 6
	audio := make([]float32, batch*2*chunk) // [B, 2, chunk]
	size, frames := m.SpecLen(chunk)
	spec := make([]float32, batch*size) // [B, 4, 1024, T]
	if err := m.SpecBatch(spec, audio, batch); err != nil {
		panic(err)
	}
	fmt.Printf("spectrogram [%d, 4, %d, %d]\n", batch, m.DimF(), frames)

	out := make([]float32, batch*stems*size) // what the model would return
	stemsAudio := make([]float32, batch*stems*2*p.InverseLen(frames))
	if err := m.AudioBatch(stemsAudio, out, batch, stems); err != nil {
		panic(err)
	}
	fmt.Printf("stems [%d, %d, 2, %d]\n", batch, stems, p.InverseLen(frames))
	// Output:
	// spectrogram [2, 4, 1024, 256]
	// stems [2, 6, 2, 130560]
}
