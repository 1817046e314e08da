package transcribe

import (
	"math"

	"github.com/drumsplit/drumsplit/stft"
)

// A filterbank maps a spectrum's bins onto log-spaced triangular bands
// (SuperFlux: 24 per octave), each normalised to unit area so that a band's
// value does not depend on how many bins it spans. Bands that would cover
// the same bins (at low frequencies, where bins are wider than the bands)
// are merged.
type filterbank struct {
	bands int
	// per band, its first bin and the weights of its bins from there: a
	// band is a dot product over contiguous bins, summed in bin order.
	lo []int
	w  [][]float32
	// octave of each bin, for the coarse spectrum the leakage gate uses
	// (-1 outside 30 Hz…16 kHz)
	binOct []int8
	// centre frequency of each band, Hz
	centre []float64
	// rows is the number of low bins that have a band or an octave: the
	// bins above are never computed.
	rows int
	top  int // bins below top have a band
}

// numOctaves is the number of octave bands the leakage gate compares stems
// in: 31.25 Hz … 16 kHz.
const numOctaves = 9

func newFilterbank(nfft, rate int, perOctave float64, fmin, fmax float64) *filterbank {
	bins := nfft/2 + 1
	binHz := float64(rate) / float64(nfft)
	fmax = math.Min(fmax, float64(rate)/2)
	// Log-spaced frequencies, rounded to bins, duplicates dropped.
	var centres []int
	for f := fmin; f <= fmax; f *= math.Pow(2, 1/perOctave) {
		b := int(math.Round(f / binHz))
		if b >= bins {
			break
		}
		if len(centres) == 0 || b != centres[len(centres)-1] {
			centres = append(centres, b)
		}
	}
	fb := &filterbank{binOct: make([]int8, bins)}
	for i := 1; i+1 < len(centres); i++ {
		lo, mid, hi := centres[i-1], centres[i], centres[i+1]
		var ws []float64
		var sum float64
		for b := lo; b <= hi; b++ {
			var w float64
			switch {
			case b < mid:
				w = float64(b-lo) / float64(mid-lo)
			case b == mid:
				w = 1
			default:
				w = float64(hi-b) / float64(hi-mid)
			}
			ws = append(ws, w)
			sum += w
		}
		// The band's bins with a weight: the edges (weight 0) are
		// left out.
		first, last := -1, -1
		for j, w := range ws {
			if w > 0 {
				if first < 0 {
					first = j
				}
				last = j
			}
		}
		bw := make([]float32, last-first+1)
		for j := range bw {
			bw[j] = float32(ws[first+j] / sum)
		}
		fb.lo = append(fb.lo, lo+first)
		fb.w = append(fb.w, bw)
		fb.top = max(fb.top, lo+last+1)
		fb.centre = append(fb.centre, float64(mid)*binHz)
		fb.bands++
	}
	for b := range fb.binOct {
		f := float64(b) * binHz
		o := int(math.Floor(math.Log2(f / 31.25)))
		if f < 31.25 || o >= numOctaves {
			o = -1
		}
		fb.binOct[b] = int8(o)
		if o >= 0 || b < fb.top {
			fb.rows = b + 1
		}
	}
	return fb
}

// features are the frame-rate signals of one stem.
type features struct {
	odf []float32 // onset detection function, one value per frame
	// oct is the stem's power per octave band per frame (frame-major,
	// numOctaves per frame), scaled so that stems analysed with different
	// frame sizes compare.
	oct []float32
}

// padFrame returns x, or for a signal no longer than half a frame (which
// cannot be reflect-padded) x padded with silence.
func padFrame(x []float32, nfft int) []float32 {
	if len(x) <= nfft {
		y := make([]float32, nfft+1)
		copy(y, x)
		return y
	}
	return x
}

// newFeatures returns the features of a (padded) signal of n samples,
// to be filled by analyze.
func newFeatures(n, hop int) *features {
	T := n/hop + 1
	return &features{odf: make([]float32, T), oct: make([]float32, T*numOctaves)}
}

// analyze computes frames ta…tb−1 of a stem's onset detection function and
// octave powers into f, from x padded by padFrame. Frames are centred on
// multiples of hop with reflect padding at the ends (as torch.stft's
// center=True), so every stem's frame t describes the same instant
// whatever its frame size. Frames are transformed one at a time, in
// order, and only the bins below the filterbank's top are computed; a
// frame's values depend only on the signal, so a stem can be analysed in
// parts, in parallel, with the same result.
func analyze(x []float32, rate int, d *detector, hop int, f *features, ta, tb int) error {
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
			p := re*re + im*im
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
				v += w * m[k]
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

// silent reports whether every sample of x is zero.
func silent(x []float32) bool {
	for _, v := range x {
		if v != 0 {
			return false
		}
	}
	return true
}
