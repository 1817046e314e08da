package stft

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// TestPow2FFTMatchesGonum checks the power-of-two kernel against gonum's
// FFTPACK port, forwards and backwards, including spectra whose DC and
// Nyquist bins carry imaginary parts (which a c2r transform must ignore).
func TestPow2FFTMatchesGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192} {
		ones := make([]float64, n)
		halves := make([]float64, n)
		for i := range ones {
			ones[i], halves[i] = 1, 0.5
		}
		ours := newPow2FFT(ones, ones)
		ref := fourier.NewFFT(n)
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		got := make([]complex128, n/2+1)
		pack(ours, x, halves) // unpackForward expects half the input
		ours.passes()
		unpackForward(ours, got, 1, len(got))
		want := ref.Coefficients(nil, x)
		if e := relErrC(got, want); e > 1e-13 {
			t.Errorf("n=%d forward: relative error %.3g", n, e)
		}

		spec := make([]complex128, n/2+1)
		for i := range spec {
			spec[i] = complex(rng.NormFloat64(), rng.NormFloat64())
		}
		gotx := make([]float64, n)
		packInverse(ours, spec, 1)
		ours.firstPass()
		ours.passes()
		unpackInverse(ours, gotx, ones)
		wantx := ref.Sequence(nil, spec)
		if e := relErr(gotx, wantx); e > 1e-13 {
			t.Errorf("n=%d inverse: relative error %.3g", n, e)
		}
	}
}

func relErrC(got, want []complex128) float64 {
	var num, den float64
	for i := range want {
		d := cmplx.Abs(got[i] - want[i])
		num += d * d
		den += real(want[i])*real(want[i]) + imag(want[i])*imag(want[i])
	}
	return math.Sqrt(num / den)
}

func relErr(got, want []float64) float64 {
	var num, den float64
	for i := range want {
		d := got[i] - want[i]
		num += d * d
		den += want[i] * want[i]
	}
	return math.Sqrt(num / den)
}
