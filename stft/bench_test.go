package stft

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The MDX23C DrumSep shapes: 4 stereo chunks of 130560 samples per batch,
// n_fft 2048, hop 512, dim_f 1024 (T = 256). scripts/bench_stft.py times
// torch on the same work for the side-by-side ratio.
const (
	benchBatch = 4
	benchChunk = 130560
	benchNFFT  = 2048
	benchHop   = 512
	benchDimF  = 1024
)

func benchSignal(n int) []float32 {
	rng := rand.New(rand.NewPCG(9, 10))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(0.3 * rng.NormFloat64())
	}
	return x
}

// BenchmarkMDXBatch runs one batch through the MDX layout forwards
// (SpecBatch: 8 mono STFTs) and backwards (AudioBatch with one stem:
// 8 mono iSTFTs), as the separator does around the network, on 1 and 2
// workers. Compare with `python3 scripts/bench_stft.py --threads N`.
func BenchmarkMDXBatch(b *testing.B) {
	for _, workers := range []int{1, 2} {
		p, err := NewPlan(benchNFFT, benchHop, Workers(workers))
		if err != nil {
			b.Fatal(err)
		}
		m, err := NewMDX(p, benchDimF)
		if err != nil {
			b.Fatal(err)
		}
		audio := benchSignal(benchBatch * 2 * benchChunk)
		size, frames := m.SpecLen(benchChunk)
		spec := make([]float32, benchBatch*size)
		out := make([]float32, benchBatch*2*p.InverseLen(frames))
		run := func(name string, f func() error) {
			b.Run(fmt.Sprintf("%s/workers=%d", name, workers), func(b *testing.B) {
				b.ReportAllocs()
				cpu0 := cpuNanos()
				for b.Loop() {
					if err := f(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N), "cpu-ns/op")
			})
		}
		fwd := func() error { return m.SpecBatch(spec, audio, benchBatch) }
		inv := func() error { return m.AudioBatch(out, spec, benchBatch, 1) }
		run("stft+istft", func() error {
			if err := fwd(); err != nil {
				return err
			}
			return inv()
		})
		run("stft", fwd)
		run("istft", inv)
		p.Close()
	}
}

// BenchmarkForward and BenchmarkInverse time one mono 130560-sample chunk
// through the general (complex64) API on one worker.
func BenchmarkForward(b *testing.B) {
	p, err := NewPlan(benchNFFT, benchHop, Workers(1))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	x := benchSignal(benchChunk)
	spec := make([]complex64, p.Bins()*p.Frames(benchChunk))
	b.ReportAllocs()
	cpu0 := cpuNanos()
	for b.Loop() {
		if err := p.Forward(spec, x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N), "cpu-ns/op")
}

func BenchmarkInverse(b *testing.B) {
	p, err := NewPlan(benchNFFT, benchHop, Workers(1))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	x := benchSignal(benchChunk)
	frames := p.Frames(benchChunk)
	spec := make([]complex64, p.Bins()*frames)
	if err := p.Forward(spec, x); err != nil {
		b.Fatal(err)
	}
	y := make([]float32, p.InverseLen(frames))
	b.ReportAllocs()
	cpu0 := cpuNanos()
	for b.Loop() {
		if err := p.Inverse(y, spec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkRealFFT compares the power-of-two kernel (with the assembly
// kernels where the build and CPU have them, and pow2go: its Go code
// alone) with gonum's FFTPACK port on one 2048-point frame, forwards and
// backwards, through the fused window/layout steps a worker runs.
func BenchmarkRealFFT(b *testing.B) {
	x := benchSignal(benchNFFT)
	win := HannPeriodic(make([]float64, benchNFFT))
	spec := make([]complex64, benchNFFT/2+1)
	acc := make([]float64, benchNFFT)
	for _, f := range []struct {
		name string
		fft  realFFT
		asm  bool
	}{
		{"pow2", newPow2FFT(win, win), haveAsm},
		{"pow2go", newPow2FFT(win, win), false},
		{"gonum", newGonumFFT(win, win), false},
	} {
		run := func(b *testing.B, op func()) {
			withAsm(f.asm, func() {
				cpu0 := cpuNanos()
				for b.Loop() {
					op()
				}
				b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N), "cpu-ns/op")
			})
		}
		b.Run(f.name+"/forward", func(b *testing.B) {
			run(b, func() { f.fft.forward(spec, 1, len(spec), x) })
		})
		b.Run(f.name+"/inverse", func(b *testing.B) {
			run(b, func() { f.fft.inverse(acc, spec, 1) })
		})
	}
}
