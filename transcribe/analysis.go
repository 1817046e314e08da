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
	// per bin, the bands it contributes to and with what weight
	binBand [][]bandWeight
	// octave of each bin, for the coarse spectrum the leakage gate uses
	// (-1 outside 30 Hz…16 kHz)
	binOct []int8
	// centre frequency of each band, Hz
	centre []float64
}

type bandWeight struct {
	band int32
	w    float32
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
	fb := &filterbank{binBand: make([][]bandWeight, bins), binOct: make([]int8, bins)}
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
		for j, w := range ws {
			if w > 0 {
				fb.binBand[lo+j] = append(fb.binBand[lo+j], bandWeight{int32(fb.bands), float32(w / sum)})
			}
		}
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
// multiples of hop (as torch.stft's center=True), so every stem's frame t
// describes the same instant whatever its frame size. The spectrogram is
// computed in blocks of frames so that memory stays small for long
// tracks; a frame's values depend only on the signal, so a stem can be
// analysed in parts, in parallel, with the same result.
func analyze(x []float32, rate int, d *detector, hop int, f *features, ta, tb int) error {
	nfft := d.nfft
	fb := d.fb
	plan, err := stft.NewPlan(nfft, hop, stft.Workers(1))
	if err != nil {
		return err
	}
	defer plan.Close()
	L := len(x)
	margin := (nfft/2+hop-1)/hop + 1
	const block = 512
	bins := nfft/2 + 1
	// Spectrum scale: a full-scale sine gives a peak bin of nfft/4 with
	// the periodic Hann window; dividing by it makes frame sizes compare.
	scale := float32(4 / float64(nfft))
	nb := fb.bands
	lag := d.lag
	// Band-major work arrays, so that the inner loops run over frames
	// in contiguous memory: the band values of the block, the log band
	// values of the lag frames before it and of the block (width
	// lag+block), each frame's flux, the octave powers and the magnitude
	// of one bin. Every sum is taken in the same order as frame by frame
	// (bins ascending, bands ascending), so the values do not change.
	bb := make([]float32, nb*block)
	W := lag + block
	logs := make([]float32, nb*W)
	flux := make([]float64, block)
	ob := make([]float32, numOctaves*block)
	mag := make([]float32, block)
	spec := make([]complex64, bins*(block+2*margin+1))
	// The flux of frame t needs the log bands of frame t−lag: start lag
	// frames early.
	for t0 := max(0, ta-lag); t0 < tb; t0 += block {
		t1 := min(tb, t0+block)
		f0 := max(0, t0-margin)
		s0 := f0 * hop
		s1 := min(L, (t1-1+margin)*hop+1)
		seg := x[s0:s1]
		tc := plan.Frames(len(seg))
		dst := spec[:bins*tc]
		if err := plan.Forward(dst, seg); err != nil {
			return err
		}
		n := t1 - t0
		clear(bb)
		clear(ob)
		for b := 0; b < bins; b++ {
			bw := fb.binBand[b]
			o := fb.binOct[b]
			if len(bw) == 0 && o < 0 {
				continue // above the bands and octaves: unused
			}
			row := dst[b*tc+(t0-f0) : b*tc+(t0-f0)+n]
			var orow []float32
			if o >= 0 {
				orow = ob[int(o)*block : int(o)*block+n]
			}
			mg := mag[:n]
			for k, c := range row {
				re, im := real(c)*scale, imag(c)*scale
				p := re*re + im*im
				if o >= 0 {
					orow[k] += p
				}
				mg[k] = float32(math.Sqrt(float64(p)))
			}
			for _, w := range bw {
				brow := bb[int(w.band)*block : int(w.band)*block+n]
				for k, m := range mg {
					brow[k] += w.w * m
				}
			}
		}
		for o := 0; o < numOctaves; o++ {
			for k, p := range ob[o*block : o*block+n] {
				if t0+k >= ta {
					f.oct[(t0+k)*numOctaves+o] = p
				}
			}
		}
		for j := 0; j < nb; j++ {
			cur := logs[j*W+lag : j*W+lag+n]
			for k, v := range bb[j*block : j*block+n] {
				cur[k] = float32(math.Log1p(float64(v * d.mul)))
			}
		}
		// Reference: the frame lag frames back, max-filtered over three
		// bands (SuperFlux), so that vibrato and slowly sliding
		// partials give no flux.
		fl := flux[:n]
		clear(fl)
		for j := 0; j < nb; j++ {
			cur := logs[j*W+lag : j*W+lag+n]
			prev := logs[j*W : j*W+n] // frame t-lag
			var below, above []float32
			if j > 0 {
				below = logs[(j-1)*W : (j-1)*W+n]
			}
			if j+1 < nb {
				above = logs[(j+1)*W : (j+1)*W+n]
			}
			wj := d.weight[j]
			for k := range fl {
				m := prev[k]
				if below != nil && below[k] > m {
					m = below[k]
				}
				if above != nil && above[k] > m {
					m = above[k]
				}
				if dv := cur[k] - m; dv > 0 {
					fl[k] += float64(dv * wj)
				}
			}
		}
		for k := range fl {
			if t := t0 + k; t >= lag && t >= ta {
				f.odf[t] = float32(fl[k])
			}
		}
		// Keep the last lag frames as the next block's references.
		for j := 0; j < nb; j++ {
			copy(logs[j*W:j*W+lag], logs[j*W+n:j*W+n+lag])
		}
	}
	return nil
}
