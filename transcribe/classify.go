package transcribe

import (
	"math"
	"sort"

	"github.com/drumsplit/drumsplit/stft"
)

// hatFeatures are what tells hi-hat strokes apart.
type hatFeatures struct {
	decay    float64 // dB per 100 ms (negative); NaN when the next stroke comes too soon
	centroid float64 // spectral centroid of the first 23 ms, octaves above 1 kHz
}

// rmsDB is the RMS level of x[a:b] in dB (buf holds x's windows).
func rmsDB(x signal, a, b int, buf *[]float32) float64 {
	a, b = max(0, a), min(x.len(), b)
	if b <= a {
		return math.Inf(-1)
	}
	var s float64
	for _, v := range x.window(a, b, buf) {
		s += float64(v) * float64(v)
	}
	return 10 * math.Log10(s/float64(b-a)+1e-20)
}

// spectrometer computes Hann-windowed magnitude spectra of n samples (n a
// power of two, where stft's kernel is several times faster than gonum's
// FFTPACK), reusing its buffers (one per goroutine).
type spectrometer struct {
	fft   *stft.FrameFFT
	buf   []float32 // for the signal's windows
	frame []float32
	coef  []complex64
	mag   []float64
}

func newSpectrometer(n int) *spectrometer {
	fft, err := stft.NewFrameFFT(n)
	if err != nil {
		// n is a power of two of at least 2 ms of audio: a programming
		// error otherwise.
		panic(err)
	}
	return &spectrometer{fft: fft, frame: make([]float32, n),
		coef: make([]complex64, n/2+1), mag: make([]float64, n/2+1)}
}

// spectrum returns the magnitude spectrum of the n samples of x from s
// (zeros outside x), valid until the next call.
func (sp *spectrometer) spectrum(x signal, s int) []float64 {
	return sp.lowSpectrum(x, s, len(sp.mag))
}

// lowSpectrum returns bins 0…bins−1 of spectrum(x, s), computing no
// others.
func (sp *spectrometer) lowSpectrum(x signal, s, bins int) []float64 {
	clear(sp.frame)
	if a, b := max(s, 0), min(s+len(sp.frame), x.len()); a < b {
		copy(sp.frame[a-s:], x.window(a, b, &sp.buf))
	}
	coef, mag := sp.coef[:bins], sp.mag[:bins]
	sp.fft.Forward(coef, sp.frame)
	for i, v := range coef {
		mag[i] = math.Hypot(float64(real(v)), float64(imag(v)))
	}
	return mag
}

func hatFeaturesOf(ns []Note, x signal, rate int) []hatFeatures {
	ms := func(v float64) int { return int(v * float64(rate) / 1000) }
	n := nextPow2(ms(23))
	sp := newSpectrometer(n)
	out := make([]hatFeatures, len(ns))
	for i, note := range ns {
		s := int(math.Round(note.Time * float64(rate)))
		next := x.len()
		if i+1 < len(ns) {
			next = int(math.Round(ns[i+1].Time * float64(rate)))
		}
		peak := rmsDB(x, s, s+ms(10), &sp.buf)
		a, b := s+ms(30), min(s+ms(80), next-ms(3))
		if b-a < ms(8) {
			a, b = s+ms(12), next-ms(3)
		}
		f := hatFeatures{decay: math.NaN()}
		if b-a >= ms(5) {
			mid := float64(a+b)/2 - float64(s)
			f.decay = (rmsDB(x, a, b, &sp.buf) - peak) / (mid / float64(rate) * 10)
		}
		m := sp.spectrum(x, s)
		var num, den float64
		for k, v := range m {
			hz := float64(k) * float64(rate) / float64(n)
			if hz < 200 {
				continue
			}
			num += v * v * math.Log2(hz/1000)
			den += v * v
		}
		if den > 0 {
			f.centroid = num / den
		}
		out[i] = f
	}
	return out
}

// Hi-hat decay bounds in dB per 100 ms, measured on renders of the
// held-out kits (docs/TRANSCRIPTION.md): open strokes ring (about −2),
// closed strokes fall about −10, the pedal's chick falls fastest (−24 to
// −33).
const (
	openDecay  = -5.0
	pedalDecay = -17.0
)

// labelHats sets each hi-hat note's articulation from the decay rate of
// its first 80 ms (up to the next stroke): open strokes ring, the pedal's
// chick dies fastest. A stroke followed too soon to measure is closed.
func labelHats(ns []Note, x signal, rate int) {
	fs := hatFeaturesOf(ns, x, rate)
	for i := range ns {
		d := fs[i].decay
		switch {
		case math.IsNaN(d):
			ns[i].Piece = HatClosed
		case d > openDecay:
			ns[i].Piece = HatOpen
		case d < pedalDecay:
			ns[i].Piece = HatPedal
		default:
			ns[i].Piece = HatClosed
		}
		ns[i].hat = fs[i]
	}
}

// tomGap is the least pitch difference, in octaves, between two toms'
// clusters: toms of a kit are tuned a third to a fifth apart, one tom's
// hits vary by much less.
const tomGap = 0.2

// tomPitch is the frequency of the strongest spectral peak between 50 and
// 500 Hz in the 93 ms after a tom hit's first 5 ms, log2 Hz.
func tomPitch(sp *spectrometer, n int, x signal, s, rate int) float64 {
	binHz := float64(rate) / float64(n)
	// The bins the search and its interpolation read: the rest of the
	// 4096-sample spectrum was most of the labelling's time.
	m := sp.lowSpectrum(x, s+rate/200, min(n/2+1, int(500/binHz)+2))
	best, bv := 0, 0.0
	for k := int(50 / binHz); k <= int(500/binHz) && k+1 < len(m); k++ {
		if m[k] > bv {
			best, bv = k, m[k]
		}
	}
	if best == 0 {
		return math.NaN()
	}
	// Parabolic interpolation of the peak.
	f := float64(best)
	if a, b, c := m[best-1], m[best], m[best+1]; a+c-2*b != 0 {
		f += 0.5 * (a - c) / (a - 2*b + c)
	}
	return math.Log2(f * binHz)
}

// labelToms clusters the tom hits by pitch (gaps of more than tomGap
// octaves between sorted pitches separate toms, at most six) and ranks the
// clusters from high to low.
func labelToms(ns []Note, x signal, rate int) {
	if len(ns) == 0 {
		return
	}
	n := nextPow2(rate * 93 / 1000)
	sp := newSpectrometer(n)
	pitch := make([]float64, len(ns))
	idx := make([]int, 0, len(ns))
	for i, note := range ns {
		pitch[i] = tomPitch(sp, n, x, int(math.Round(note.Time*float64(rate))), rate)
		if !math.IsNaN(pitch[i]) {
			idx = append(idx, i)
		}
	}
	sort.Slice(idx, func(a, b int) bool { return pitch[idx[a]] > pitch[idx[b]] })
	// Cut at the largest gaps above tomGap, at most five cuts.
	type cut struct {
		at  int
		gap float64
	}
	var cuts []cut
	for k := 1; k < len(idx); k++ {
		if g := pitch[idx[k-1]] - pitch[idx[k]]; g > tomGap {
			cuts = append(cuts, cut{k, g})
		}
	}
	sort.Slice(cuts, func(a, b int) bool { return cuts[a].gap > cuts[b].gap })
	if len(cuts) > 5 {
		cuts = cuts[:5]
	}
	sort.Slice(cuts, func(a, b int) bool { return cuts[a].at < cuts[b].at })
	toms := len(cuts) + 1
	rank := make([]int, len(ns))
	r, c := 0, 0
	for k, i := range idx {
		if c < len(cuts) && cuts[c].at == k {
			r++
			c++
		}
		rank[i] = r
	}
	for i := range ns {
		ns[i].Toms = toms
		ns[i].Tom = rank[i]
		if math.IsNaN(pitch[i]) {
			// No pitch found: the middle tom.
			ns[i].Tom = toms / 2
		}
	}
}
