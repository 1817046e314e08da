// Package eval computes source-separation metrics the way the Music Source
// Separation Training (MSST) code and the MDX challenges do: the "simple"
// SDR over a whole track and the scale-invariant SDR, per stem, per track
// and over a set of tracks.
//
// Signals are planar, [channel][frame]; every sum runs over all channels
// and frames together (the stereo signal is one vector) and is accumulated
// in float64.
package eval

import (
	"fmt"
	"math"
)

// Epsilon is added to the energies in SDR and SISDR, as MSST's
// utils/metrics.py does (eps = 1e-8). It caps the score of a perfect
// estimate: SDR(ref, ref) = 10·log10((Σref² + 1e-8) / 1e-8), e.g. 110 dB for
// a reference of energy 1000; a silent reference and a silent estimate
// score 0 dB.
const Epsilon = 1e-8

// SDR returns the simple signal-to-distortion ratio in dB,
//
//	10·log10((Σ ref² + ε) / (Σ (ref − est)² + ε)),
//
// the MDX-2021 "new SDR" and MSST's sdr() with ε = Epsilon. ref and est
// must have the same channels and frames (see Trim).
func SDR(ref, est [][]float32) float64 {
	mustMatch(ref, est)
	var num, den float64
	for c := range ref {
		r, e := ref[c], est[c][:len(ref[c])]
		for i, x := range r {
			d := float64(x) - float64(e[i])
			num += float64(x) * float64(x)
			den += d * d
		}
	}
	return 10 * math.Log10((num+Epsilon)/(den+Epsilon))
}

// SISDR returns the scale-invariant SDR in dB exactly as MSST's si_sdr()
// computes it, with ε = Epsilon added per sample inside the sums of the
// scale (N is the number of samples, channels × frames):
//
//	α = (Σ est·ref + N·ε) / (Σ ref² + N·ε)
//	SI-SDR = 10·log10(Σ (α·ref)² / (Σ (α·ref − est)² + ε) + ε)
//
// A perfect estimate gives α = 1 and 10·log10(Σ ref²/ε + ε).
func SISDR(ref, est [][]float32) float64 {
	mustMatch(ref, est)
	var dot, rr float64
	n := 0
	for c := range ref {
		r, e := ref[c], est[c][:len(ref[c])]
		for i, x := range r {
			dot += float64(e[i]) * float64(x)
			rr += float64(x) * float64(x)
		}
		n += len(r)
	}
	alpha := (dot + float64(n)*Epsilon) / (rr + float64(n)*Epsilon)
	var num, den float64
	for c := range ref {
		r, e := ref[c], est[c][:len(ref[c])]
		for i, x := range r {
			s := alpha * float64(x)
			d := s - float64(e[i])
			num += s * s
			den += d * d
		}
	}
	return 10 * math.Log10(num/(den+Epsilon)+Epsilon)
}

// Energy returns Σ x² over all channels and frames.
func Energy(x [][]float32) float64 {
	var s float64
	for _, ch := range x {
		for _, v := range ch {
			s += float64(v) * float64(v)
		}
	}
	return s
}

// Trim returns ref and est cut to their common number of frames, as MSST
// does before scoring. It returns an error when the channel counts differ.
func Trim(ref, est [][]float32) ([][]float32, [][]float32, error) {
	if len(ref) != len(est) {
		return nil, nil, fmt.Errorf("reference has %d channels, estimate %d", len(ref), len(est))
	}
	n := math.MaxInt
	for c := range ref {
		n = min(n, len(ref[c]), len(est[c]))
	}
	if len(ref) == 0 {
		n = 0
	}
	r := make([][]float32, len(ref))
	e := make([][]float32, len(est))
	for c := range ref {
		r[c], e[c] = ref[c][:n], est[c][:n]
	}
	return r, e, nil
}

func mustMatch(ref, est [][]float32) {
	if len(ref) != len(est) {
		panic(fmt.Sprintf("eval: %d reference channels, %d estimate channels", len(ref), len(est)))
	}
	for c := range ref {
		if len(ref[c]) != len(est[c]) {
			panic(fmt.Sprintf("eval: channel %d: %d reference frames, %d estimate frames", c, len(ref[c]), len(est[c])))
		}
	}
}
