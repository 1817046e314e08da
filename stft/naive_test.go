package stft

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveSTFT is torch.stft written straight from its definition, in float64
// with a direct DFT: reflect-pad ⌊n/2⌋ samples at each end, frame every
// hop, multiply by the periodic Hann window, keep bins 0..n/2. Result
// [bin][frame].
func naiveSTFT(x []float64, n, hop int) [][]complex128 {
	pad := n / 2
	xp := make([]float64, 0, len(x)+2*pad)
	for k := pad; k >= 1; k-- {
		xp = append(xp, x[k])
	}
	xp = append(xp, x...)
	for k := 0; k < pad; k++ {
		xp = append(xp, x[len(x)-2-k])
	}
	frames := 1 + (len(xp)-n)/hop
	bins := n/2 + 1
	cos, sin, win := trig(n)
	out := make([][]complex128, bins)
	for k := range out {
		out[k] = make([]complex128, frames)
		for t := range frames {
			var s complex128
			for m := range n {
				v := xp[t*hop+m] * win[m]
				s += complex(v*cos[k*m%n], -v*sin[k*m%n])
			}
			out[k][t] = s
		}
	}
	return out
}

// trig returns cos(2πj/n), sin(2πj/n) and the periodic Hann window.
func trig(n int) (cos, sin, win []float64) {
	cos, sin, win = make([]float64, n), make([]float64, n), make([]float64, n)
	for j := range n {
		sin[j], cos[j] = math.Sincos(2 * math.Pi * float64(j) / float64(n))
		win[j] = 0.5 - 0.5*cos[j]
	}
	return cos, sin, win
}

// naiveISTFT is torch.istft (center=True, onesided) from its definition:
// irfft each frame (imaginary parts of DC and even-n Nyquist ignored),
// window, overlap-add, divide by the overlap-added squared window, trim
// ⌊n/2⌋ at the start and keep length samples, zeros past the last frame.
// It returns an error where torch would (envelope < 1e-11).
func naiveISTFT(spec [][]complex128, n, hop, length int) ([]float64, error) {
	frames := len(spec[0])
	total := (frames-1)*hop + n
	num := make([]float64, total)
	env := make([]float64, total)
	cos, sin, win := trig(n)
	for t := range frames {
		for m := range n {
			var s float64
			for k := 0; k <= n/2; k++ {
				v := spec[k][t]
				term := real(v)*cos[k*m%n] - imag(v)*sin[k*m%n]
				if k == 0 || 2*k == n {
					s += real(v) * cos[k*m%n] // imaginary part ignored
				} else {
					s += 2 * term
				}
			}
			w := win[m]
			num[t*hop+m] += s / float64(n) * w
			env[t*hop+m] += w * w
		}
	}
	out := make([]float64, length)
	for i := range out {
		p := i + n/2
		if p >= total {
			break
		}
		if env[p] < 1e-11 {
			return nil, ErrNOLA
		}
		out[i] = num[p] / env[p]
	}
	return out, nil
}

// TestAgainstNaive checks the fast paths against the textbook definition on
// many small geometries: both FFT kernels, every envelope region (the
// interior, the partial-overlap ends, signals shorter than one overlap),
// lengths around the default and past the last frame.
func TestAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, nfft := range []int{2, 3, 4, 5, 8, 12, 16, 31, 32, 64} {
		for _, hop := range []int{1, 2, 3, nfft / 3, nfft / 2, nfft - 1, nfft} {
			if hop < 1 || hop > nfft {
				continue
			}
			for _, n := range []int{nfft/2 + 1, nfft, 3*nfft + 1, 5*nfft + hop} {
				name := fmt.Sprintf("n_fft=%d/hop=%d/len=%d", nfft, hop, n)
				checkNaive(t, name, rng, nfft, hop, n)
			}
		}
	}
}

func checkNaive(t *testing.T, name string, rng *rand.Rand, nfft, hop, n int) {
	p, err := NewPlan(nfft, hop, Workers(2))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer p.Close()
	x := make([]float32, n)
	x64 := make([]float64, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
		x64[i] = float64(x[i])
	}
	want := naiveSTFT(x64, nfft, hop)
	frames := p.Frames(n)
	if frames != len(want[0]) {
		t.Fatalf("%s: %d frames, definition gives %d", name, frames, len(want[0]))
	}
	spec := make([]complex64, p.Bins()*frames)
	if err := p.Forward(spec, x); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var num, den float64
	for k := range want {
		for f, w := range want[k] {
			d := complex128(spec[k*frames+f]) - w
			num += real(d)*real(d) + imag(d)*imag(d)
			den += real(w)*real(w) + imag(w)*imag(w)
		}
	}
	if math.Sqrt(num/den) > 1e-7 {
		t.Errorf("%s: forward relative error %.3g", name, math.Sqrt(num/den))
	}

	// Inverse of a spectrogram that is not an STFT (Hermitian parts in the
	// DC/Nyquist bins too), in complex64 like the API.
	rs := make([]complex64, len(spec))
	rs128 := make([][]complex128, p.Bins())
	for k := range rs128 {
		rs128[k] = make([]complex128, frames)
		for f := range frames {
			v := complex64(complex(rng.NormFloat64(), rng.NormFloat64()))
			rs[k*frames+f] = v
			rs128[k][f] = complex128(v)
		}
	}
	def := p.InverseLen(frames)
	for _, length := range []int{0, 1, max(def-hop, 0), def, def + 1, def + nfft + 3} {
		wantY, wantErr := naiveISTFT(rs128, nfft, hop, length)
		y := make([]float32, length)
		err := p.Inverse(y, rs)
		if (err != nil) != (wantErr != nil) || (err != nil && !errors.Is(err, ErrNOLA)) {
			t.Errorf("%s, length %d: error %v, definition: %v", name, length, err, wantErr)
			continue
		}
		if err != nil {
			continue
		}
		for i := range wantY {
			// Division by a small envelope scales float32-rounded input
			// differences, so compare relative to each sample's size too.
			if d := math.Abs(float64(y[i]) - wantY[i]); d > 1e-6*(1+math.Abs(wantY[i])) {
				t.Errorf("%s, length %d: y[%d] = %v, definition gives %v", name, length, i, y[i], wantY[i])
				break
			}
		}
	}
}
