package stft

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// FuzzRoundTrip runs forward and inverse on any length, any n_fft in 2..65
// and any hop in 1..n_fft, on 1 to 4 workers. Nothing may panic; a signal
// too short for the reflect padding must give ErrTooShort; the inverse must
// give ErrNOLA exactly when the window envelope (computed here from its
// definition) drops under 1e-11 in the output, and otherwise return x
// (within float32 rounding) wherever the envelope is well conditioned
// (≥ 0.1 of its peak), and finite values everywhere.
//
//	go test -run='^$' -fuzz=FuzzRoundTrip -fuzztime=10m -parallel 1 ./stft/
func FuzzRoundTrip(f *testing.F) {
	f.Add(uint8(14), uint8(3), uint16(100), uint8(0), uint64(1))
	f.Add(uint8(0), uint8(0), uint16(2), uint8(1), uint64(2))
	f.Add(uint8(62), uint8(61), uint16(31), uint8(2), uint64(3))
	f.Add(uint8(30), uint8(7), uint16(4000), uint8(3), uint64(4))
	f.Add(uint8(5), uint8(6), uint16(9), uint8(1), uint64(5))
	f.Fuzz(func(t *testing.T, nfftB, hopB uint8, lenB uint16, workersB uint8, seed uint64) {
		nfft := 2 + int(nfftB)%64
		hop := 1 + int(hopB)%nfft
		n := int(lenB) % 5000
		workers := 1 + int(workersB)%4
		p, err := NewPlan(nfft, hop, Workers(workers))
		if err != nil {
			t.Fatalf("NewPlan(%d, %d): %v", nfft, hop, err)
		}
		defer p.Close()

		rng := rand.New(rand.NewPCG(seed, 99))
		x := make([]float32, n)
		var peakX float64
		for i := range x {
			x[i] = float32(rng.NormFloat64())
			peakX = max(peakX, math.Abs(float64(x[i])))
		}
		frames := p.Frames(n)
		if n <= nfft/2 {
			if frames != 0 {
				t.Fatalf("Frames(%d) = %d for n_fft %d, want 0", n, frames, nfft)
			}
			if err := p.Forward(make([]complex64, p.Bins()), x); !errors.Is(err, ErrTooShort) {
				t.Fatalf("n_fft %d, %d samples: %v, want ErrTooShort", nfft, n, err)
			}
			return
		}
		spec := make([]complex64, p.Bins()*frames)
		if err := p.Forward(spec, x); err != nil {
			t.Fatalf("forward: %v", err)
		}
		for i, v := range spec {
			if math.IsNaN(float64(real(v))) || math.IsInf(float64(real(v)), 0) ||
				math.IsNaN(float64(imag(v))) || math.IsInf(float64(imag(v)), 0) {
				t.Fatalf("spec[%d] = %v", i, v)
			}
		}

		// The envelope from its definition, over the padded positions.
		win := HannPeriodic(make([]float64, nfft))
		env := make([]float64, (frames-1)*hop+nfft)
		for t := range frames {
			for m, w := range win {
				env[t*hop+m] += w * w
			}
		}
		var peakEnv float64
		nola := false
		for i := range n {
			if p := i + nfft/2; p < len(env) {
				peakEnv = max(peakEnv, env[p])
				nola = nola || env[p] < 1e-11
			}
		}

		y := make([]float32, n)
		err = p.Inverse(y, spec)
		if nola {
			if !errors.Is(err, ErrNOLA) {
				t.Fatalf("n_fft %d hop %d len %d: envelope < 1e-11 but inverse returned %v", nfft, hop, n, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("n_fft %d hop %d len %d: inverse: %v", nfft, hop, n, err)
		}
		for i, v := range y {
			p := i + nfft/2
			if p >= len(env) {
				if v != 0 {
					t.Fatalf("y[%d] = %v past the last frame, want 0", i, v)
				}
				continue
			}
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("y[%d] = %v", i, v)
			}
			if env[p] >= 0.1*peakEnv {
				if d := math.Abs(float64(v - x[i])); d > 1e-5*peakX {
					t.Fatalf("n_fft %d hop %d len %d: y[%d] = %v, x = %v (|diff| %.3g)", nfft, hop, n, i, v, x[i], d)
				}
			}
		}
	})
}
