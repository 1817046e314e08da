package stft

import "math"

// HannPeriodic fills dst with the periodic Hann window of length len(dst),
// w[k] = 0.5 − 0.5·cos(2πk/N), and returns dst. It is
// torch.hann_window(N, periodic=True) (and scipy's hann(N, sym=False))
// computed in float64; torch computes it in float32, so the two differ by
// float32 rounding (< 1e-7). gonum's window.Hann is the symmetric window
// (denominator N−1) and would not match torch.
func HannPeriodic(dst []float64) []float64 {
	n := float64(len(dst))
	for k := range dst {
		dst[k] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(k)/n)
	}
	return dst
}
