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
	// The same for the batched kernels: band j's weights are
	// flat[off[j]:off[j+1]], from bin lo32[j].
	lo32, off []int32
	flat      []float32
	// octave o covers bins octLo[o]…octLo[o+1]−1 (binOct is −1 below
	// octLo[0] and from octLo[numOctaves] on).
	octLo [numOctaves + 1]int
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
	fb.off = append(fb.off, 0)
	for j, ws := range fb.w {
		fb.lo32 = append(fb.lo32, int32(fb.lo[j]))
		fb.flat = append(fb.flat, ws...)
		fb.off = append(fb.off, int32(len(fb.flat)))
	}
	// The octaves rise with the bin: bins from octLo[o] on are in
	// octave o or above.
	for o := range fb.octLo {
		fb.octLo[o] = -1
	}
	for b := range fb.binOct {
		f := float64(b) * binHz
		o := int(math.Floor(math.Log2(f / 31.25)))
		if f < 31.25 || o >= numOctaves {
			o = -1
			if f >= 31.25 && fb.octLo[numOctaves] < 0 {
				fb.octLo[numOctaves] = b
			}
		}
		fb.binOct[b] = int8(o)
		if o >= 0 && fb.octLo[o] < 0 {
			fb.octLo[o] = b
		}
		if o >= 0 || b < fb.top {
			fb.rows = b + 1
		}
	}
	// Octaves without a bin (at low rates, or below the first bin's
	// octave) start where the next one does: no bins.
	if fb.octLo[numOctaves] < 0 {
		fb.octLo[numOctaves] = bins
	}
	for o := numOctaves - 1; o >= 0; o-- {
		if fb.octLo[o] < 0 {
			fb.octLo[o] = fb.octLo[o+1]
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
// octave powers into f, from x padded by padSignal. Frames are centred on
// multiples of hop with reflect padding at the ends (as torch.stft's
// center=True), so every stem's frame t describes the same instant
// whatever its frame size. Only the bins below the filterbank's top are
// computed; a frame's values depend only on the signal, so a stem can be
// analysed in parts, in parallel, with the same result. Frames are
// transformed one at a time and analysed lanes at a time (kernels.go):
// the values are those of one frame at a time, bit for bit.
func analyze(x signal, rate int, d *detector, hop int, f *features, ta, tb int) error {
	nfft := d.nfft
	fb := d.fb
	fft, err := stft.NewFrameFFT(nfft)
	if err != nil {
		return err
	}
	L := x.len()
	pad := nfft / 2
	// Spectrum scale: a full-scale sine gives a peak bin of nfft/4 with
	// the periodic Hann window; dividing by it makes frame sizes compare.
	scale := float32(4 / float64(nfft))
	nb, lag := fb.bands, d.lag
	rows := fb.rows
	// The kernels take whole blocks of 8 bins; the bins from rows on
	// stay zero and are read by no band or octave.
	stride := (rows + 7) &^ 7
	spec := make([]complex64, lanes*stride)
	pow := make([]float32, stride*lanes)
	mag := make([]float32, stride*lanes)
	bands := make([]float32, nb*lanes)
	// logs holds per band the log band values of the lag frames before
	// the batch, then those of its lanes frames: the flux of a frame
	// needs those of the frame lag back.
	w := lag + lanes
	logs := make([]float32, nb*w)
	edge := make([]float32, nfft)
	var buf []float32
	var oct [numOctaves][lanes]float32
	var odf [lanes]float32
	for t0 := max(0, ta-lag); t0 < tb; t0 += lanes {
		n := min(lanes, tb-t0)
		// The batch's samples within the signal, mixed once.
		wa := min(max(0, t0*hop-pad), L)
		wb := max(wa, min(L, (t0+n-1)*hop-pad+nfft))
		win := x.window(wa, wb, &buf)
		for l := range lanes {
			s := spec[l*stride : l*stride+rows]
			if l >= n {
				clear(s)
				continue
			}
			start := (t0+l)*hop - pad
			seg := edge
			if start >= 0 && start+nfft <= L {
				seg = win[start-wa : start-wa+nfft]
			} else {
				// Reflect without repeating the edge sample; padSignal
				// makes one reflection enough.
				for m := range seg {
					i := start + m
					if i < 0 {
						i = -i
					} else if i >= L {
						i = 2*(L-1) - i
					}
					seg[m] = x.at(i)
				}
			}
			if silent(seg) {
				// A frame of zeros (a true stem between hits) has a
				// zero spectrum: the same values without the FFT.
				clear(s)
			} else {
				fft.Forward(s, seg)
			}
		}
		powMag(pow, mag, spec, stride, stride, scale)
		for o := range oct {
			rowSum(&oct[o], pow, fb.octLo[o], fb.octLo[o+1])
		}
		bandDots(bands, mag, fb.lo32, fb.off, fb.flat)
		log1pRows(logs[lag:], w, bands, nb, d.mul)
		flux(&odf, logs, w, lag, nb, d.weight)
		for l := range n {
			t := t0 + l
			if t < ta {
				continue
			}
			for o := range oct {
				f.oct[t*numOctaves+o] = oct[o][l]
			}
			if t >= lag {
				f.odf[t] = odf[l]
			}
		}
		// The last lag frames are the next batch's references.
		for j := range nb {
			copy(logs[j*w:j*w+lag], logs[j*w+lanes:j*w+lanes+lag])
		}
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
