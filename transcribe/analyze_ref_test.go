package transcribe

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/drumsplit/drumsplit/stft"
)

// analyzeRef is the analysis one frame at a time, as it was before the
// batched kernels (commit bb6a255), the products rounded explicitly as in
// kernels.go so that no compiler fuses them: the reference analyze must
// equal bit for bit.
func analyzeRef(x []float32, rate int, d *detector, hop int, f *features, ta, tb int) error {
	nfft := d.nfft
	fb := d.fb
	fft, err := stft.NewFrameFFT(nfft)
	if err != nil {
		return err
	}
	L := len(x)
	pad := nfft / 2
	// Spectrum scale: a full-scale sine gives a peak bin of nfft/4 with
	// the periodic Hann window; dividing by it makes frame sizes compare.
	scale := float32(4 / float64(nfft))
	nb := fb.bands
	lag := d.lag
	spec := make([]complex64, fb.rows)
	edge := make([]float32, nfft)
	bands := make([]float32, nb)
	// The log band values of the last lag+1 frames: the flux of frame t
	// needs those of frame t−lag.
	logs := make([]float32, (lag+1)*nb)
	mag := make([]float32, fb.rows)
	binOct, weight := fb.binOct[:len(spec)], d.weight[:nb]
	bandLo, bandW := fb.lo[:nb], fb.w[:nb]
	// Every sum is taken in the same order as before frame-major
	// processing (bins ascending), so the values match those of a full
	// spectrogram bit for bit.
	for t := max(0, ta-lag); t < tb; t++ {
		start := t*hop - pad
		seg := edge
		if start >= 0 && start+nfft <= L {
			seg = x[start : start+nfft]
		} else {
			// Reflect without repeating the edge sample; padFrame makes
			// one reflection enough.
			for m := range seg {
				i := start + m
				if i < 0 {
					i = -i
				} else if i >= L {
					i = 2*(L-1) - i
				}
				seg[m] = x[i]
			}
		}
		if silent(seg) {
			// A frame of zeros (a true stem between hits) has a zero
			// spectrum: the same values without the FFT.
			clear(spec)
		} else {
			fft.Forward(spec, seg)
		}
		var oct [numOctaves]float32
		mag := mag[:len(spec)]
		for b, c := range spec {
			re, im := real(c)*scale, imag(c)*scale
			p := float32(re*re) + float32(im*im)
			if o := binOct[b]; o >= 0 {
				oct[o] += p
			}
			mag[b] = float32(math.Sqrt(float64(p)))
		}
		// The filterbank, band by band: a dot product over the band's
		// contiguous bins.
		for j, ws := range bandW {
			m := mag[bandLo[j]:]
			m = m[:len(ws)]
			var v float32
			for k, w := range ws {
				v += float32(w * m[k])
			}
			bands[j] = v
		}
		if t >= ta {
			copy(f.oct[t*numOctaves:(t+1)*numOctaves], oct[:])
		}
		cur := logs[(t%(lag+1))*nb : (t%(lag+1)+1)*nb]
		for j, v := range bands {
			cur[j] = log1p(v * d.mul)
		}
		if t < ta || t < lag {
			continue
		}
		// Reference: the frame lag frames back, max-filtered over three
		// bands (SuperFlux), so that vibrato and slowly sliding partials
		// give no flux.
		r := (t - lag) % (lag + 1)
		prev := logs[r*nb : (r+1)*nb]
		var fl float64
		for j, c := range cur {
			m := prev[j]
			if j > 0 && prev[j-1] > m {
				m = prev[j-1]
			}
			if j+1 < nb && prev[j+1] > m {
				m = prev[j+1]
			}
			if dv := c - m; dv > 0 {
				fl += float64(dv * weight[j])
			}
		}
		f.odf[t] = float32(fl)
	}
	return nil
}

// sameBits reports the first index where a and b differ in their bits (NaNs
// of any payload are equal), or −1.
func sameBits(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return i
		}
	}
	return -1
}

// testSignal returns n samples of a kind of signal the analysis must get
// right: drum-like hits (noise and sines, loud and very soft) with
// silent stretches between them, white noise, or hostile values.
func testSignal(kind string, n, sr int, rng *rand.Rand) []float32 {
	x := make([]float32, n)
	switch kind {
	case "hits":
		for t := 0; t < n; t += sr/7 + rng.IntN(sr/5) {
			amp := math.Pow(10, -rng.Float64()*5) // 0 to −100 dB
			freq := 0.0
			if rng.IntN(2) == 0 {
				freq = 40 + rng.Float64()*8000
			}
			tau := 0.005 + rng.Float64()*0.1
			for i := 0; t+i < n && i < int(tau*float64(sr)*6); i++ {
				v := rng.Float64()*2 - 1
				if freq > 0 {
					v = math.Sin(2 * math.Pi * freq * float64(i) / float64(sr))
				}
				x[t+i] += float32(amp * math.Exp(-float64(i)/(tau*float64(sr))) * v)
			}
		}
	case "noise":
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 0.3)
		}
	case "tiny":
		// Subnormal and near-underflow samples: the powers underflow.
		for i := range x {
			x[i] = float32(rng.NormFloat64()) * 1e-38
		}
	case "huge":
		// Samples near float32's limit: powers overflow to +Inf.
		for i := range x {
			x[i] = float32(rng.NormFloat64()) * 1e37
		}
	case "nan":
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 0.1)
		}
		for range 5 {
			x[rng.IntN(n)] = float32(math.NaN())
		}
		x[rng.IntN(n)] = float32(math.Inf(1))
	}
	return x
}

// monoRef is the mix of a stem as Transcribe made it before signal
// (commit bb6a255): one pass for two channels, channel by channel from 0
// for more.
func monoRef(data [][]float32) []float32 {
	if len(data) == 1 {
		return data[0]
	}
	out := make([]float32, len(data[0]))
	g := 1 / float32(len(data))
	if len(data) == 2 {
		l, r := data[0], data[1]
		for i := range out {
			out[i] = float32(l[i]*g) + float32(r[i]*g)
		}
		return out
	}
	for _, ch := range data {
		for i, v := range ch {
			out[i] += float32(v * g)
		}
	}
	return out
}

// channels returns k channels: x, then x scaled by 0.7 with another signal
// added, then another.
func channels(x []float32, k int, rng *rand.Rand) [][]float32 {
	ch := [][]float32{x}
	for c := 1; c < k; c++ {
		y := testSignal("noise", len(x), rate, rng)
		for i := range y {
			y[i] = y[i]*0.2 + x[i]*0.7
		}
		ch = append(ch, y)
	}
	return ch
}

// TestAnalyzeMatchesPerFrame: the batched analysis, mixing the channels
// where it reads them, gives every frame's detection function and octave
// powers bit for bit as the analysis one frame at a time of the mono mix,
// for every stem class, at several rates (lag 1 to 3), from one to three
// channels, whole or in parts of any length, on drum-like, noisy,
// underflowing, overflowing and NaN signals.
func TestAnalyzeMatchesPerFrame(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, sr := range []int{44100, 48000, 22050, 8000} {
		for _, kind := range []string{"hits", "noise", "tiny", "huge", "nan"} {
			secs := 3.0
			if kind != "hits" {
				secs = 0.5
			}
			x := testSignal(kind, int(secs*float64(sr)), sr, rng)
			ch := channels(x, 1+rng.IntN(3), rng)
			hop := hopFor(sr)
			for _, class := range []Piece{Kick, Snare, Tom, HatClosed, Ride, Crash} {
				d := newDetector(class, sr)
				xp := padFrame(monoRef(ch), d.nfft)
				want := newFeatures(len(xp), hop)
				if err := analyzeRef(xp, sr, d, hop, want, 0, len(want.odf)); err != nil {
					t.Fatal(err)
				}
				sig := padSignal(newSignal(ch), d.nfft)
				T := len(want.odf)
				// Whole, then in parts at random boundaries.
				for _, parts := range [][]int{{0, T}, {0, 1, 2, 17, T/2 + 3, T - 1, T}, {0, 5, T}} {
					got := newFeatures(sig.len(), hop)
					for i := 0; i+1 < len(parts); i++ {
						if err := analyze(sig, sr, d, hop, got, parts[i], parts[i+1]); err != nil {
							t.Fatal(err)
						}
					}
					name := fmt.Sprintf("%d Hz %s ×%d %s (lag %d) parts %v", sr, kind, len(ch), class, d.lag, parts)
					if i := sameBits(got.odf, want.odf); i >= 0 {
						t.Fatalf("%s: odf[%d] = %g, per frame %g", name, i, got.odf[i], want.odf[i])
					}
					if i := sameBits(got.oct, want.oct); i >= 0 {
						t.Fatalf("%s: oct[%d] = %g, per frame %g", name, i, got.oct[i], want.oct[i])
					}
				}
			}
		}
	}
}

// TestAnalyzeShortSignals: signals shorter than a frame, a batch or the
// lag (padded by padSignal) analyse as one frame at a time does.
func TestAnalyzeShortSignals(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, n := range []int{0, 1, 2, 100, 1024, 1025, 2048, 2049, 4000} {
		for k := 1; k <= 2; k++ {
			ch := channels(testSignal("noise", n, rate, rng), k, rng)
			for _, class := range []Piece{Kick, Snare} {
				d := newDetector(class, rate)
				xp := padFrame(monoRef(ch), d.nfft)
				sig := padSignal(newSignal(ch), d.nfft)
				hop := hopFor(rate)
				want, got := newFeatures(len(xp), hop), newFeatures(sig.len(), hop)
				if err := analyzeRef(xp, rate, d, hop, want, 0, len(want.odf)); err != nil {
					t.Fatal(err)
				}
				if err := analyze(sig, rate, d, hop, got, 0, len(got.odf)); err != nil {
					t.Fatal(err)
				}
				if sameBits(got.odf, want.odf) >= 0 || sameBits(got.oct, want.oct) >= 0 {
					t.Errorf("%d samples ×%d, %s: features differ from the per-frame analysis", n, k, class)
				}
			}
		}
	}
}

// TestSignalWindows: the windows of a stem's mix are those of the whole
// mix as Transcribe made it, for one to four channels, anywhere.
func TestSignalWindows(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	x := testSignal("hits", 20000, rate, rng)
	x[5] = float32(math.Copysign(0, -1))
	x[6] = math.Float32frombits(1) // subnormal: its half rounds
	for k := 1; k <= 4; k++ {
		ch := channels(x, k, rng)
		want := monoRef(ch)
		s := newSignal(ch)
		var buf []float32
		for range 300 {
			a := rng.IntN(len(x) + 1)
			b := a + rng.IntN(len(x)-a+1)
			if i := sameBits(s.window(a, b, &buf), want[a:b]); i >= 0 {
				t.Fatalf("%d channels, window %d…%d: sample %d differs", k, a, b, a+i)
			}
		}
		for _, i := range []int{0, 5, 6, len(x) - 1} {
			if math.Float32bits(s.at(i)) != math.Float32bits(want[i]) {
				t.Fatalf("%d channels: sample %d = %g, want %g", k, i, s.at(i), want[i])
			}
		}
		if i := sameBits(mono(ch), want); i >= 0 {
			t.Fatalf("%d channels: mono differs at %d", k, i)
		}
	}
}

// TestOctaveRanges: the octaves' bin ranges hold exactly the bins whose
// octave binOct gives, for every frame size and rate the detectors use.
func TestOctaveRanges(t *testing.T) {
	for _, sr := range []int{8000, 22050, 44100, 48000, 96000, 192000} {
		for _, class := range []Piece{Kick, Snare} {
			fb := newDetector(class, sr).fb
			for b, o := range fb.binOct {
				for k := range numOctaves {
					in := fb.octLo[k] <= b && b < fb.octLo[k+1]
					if in != (int(o) == k) {
						t.Fatalf("%d Hz, %d bins: bin %d of octave %d, ranges %v", sr, len(fb.binOct), b, o, fb.octLo)
					}
				}
			}
			for k := range numOctaves {
				if fb.octLo[k] < fb.octLo[k+1] && fb.octLo[k+1] > fb.rows {
					t.Fatalf("%d Hz: octave %d reaches bin %d, rows %d", sr, k, fb.octLo[k+1], fb.rows)
				}
			}
		}
	}
}
