package stft

import (
	"math/rand/v2"
	"testing"
)

// TestFrameFFTMatchesPlan: every frame FrameFFT transforms is bit for bit
// the frame Plan.Forward gives, for power-of-two and other lengths and for
// fewer bins than n_fft/2+1.
func TestFrameFFTMatchesPlan(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, nfft := range []int{8, 1024, 2048, 1000} {
		hop := nfft / 4
		x := make([]float32, 6*nfft+37)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		p, err := NewPlan(nfft, hop, Workers(1))
		if err != nil {
			t.Fatal(err)
		}
		bins, T := p.Bins(), p.Frames(len(x))
		want := make([]complex64, bins*T)
		if err := p.Forward(want, x); err != nil {
			t.Fatal(err)
		}
		p.Close()
		f, err := NewFrameFFT(nfft)
		if err != nil {
			t.Fatal(err)
		}
		for _, rows := range []int{bins, bins / 3} {
			got := make([]complex64, rows)
			// Interior frames only: Plan reflect-pads the edges.
			for tf := (nfft/2 + hop - 1) / hop; (tf*hop + nfft/2) <= len(x); tf++ {
				f.Forward(got, x[tf*hop-nfft/2:tf*hop+nfft/2])
				for k, v := range got {
					if w := want[k*T+tf]; v != w {
						t.Fatalf("n_fft %d, %d bins: frame %d bin %d: %v, Plan %v", nfft, rows, tf, k, v, w)
					}
				}
			}
		}
	}
	if _, err := NewFrameFFT(1); err == nil {
		t.Error("n_fft 1 accepted")
	}
}
