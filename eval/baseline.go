package eval

import (
	"math"
	"sort"

	"github.com/drumsplit/drumsplit/stft"
)

// The baseline is what users of the seed project's stems → MIDI have today
// (DrumToMIDI / larsnet-midi): librosa's onset_strength and onset_detect
// with its per-stem parameters, ported so that the evaluation can show it
// side by side with drumsplit's transcriber on the same stems. Only its
// onset core is ported: its bleed filters use absolute thresholds tuned to
// one loudness and are left out (as in the reference measurement).
//
// librosa.onset.onset_strength with defaults: a power mel spectrogram (128
// Slaney bands up to Nyquist, n_fft 2048, hop 512), power_to_db (ref 1,
// amin 1e-10, top_db 80), the mean over bands of the positive first
// difference (lag 1, no maximum filter), padded at the front by lag +
// n_fft/(2·hop) frames. onset_detect normalises the envelope to 0…1 and
// picks peaks with pre/post max and average of 3 frames, a per-stem delta
// and wait; peak frames are shifted by fixed per-stem offsets, and
// strengths divided by their 95th percentile must reach a per-stem
// threshold.
type baselineParams struct {
	threshold, delta float64
	wait             int
	offset           float64 // seconds
}

var baselineStems = map[string]baselineParams{
	"kick":    {0.1, 0.1, 2, -0.014},
	"snare":   {0.2, 0.01, 2, -0.007},
	"toms":    {0.3, 0.01, 3, 0},
	"hh":      {0.01, 0.005, 3, -0.017},
	"ride":    {0.35, 0.1, 10, 0},
	"crash":   {0.35, 0.1, 10, 0},
	"cymbals": {0.35, 0.1, 10, 0},
}

// Baseline transcribes stems with the seed project's librosa method (see
// above). Hits carry no articulation; Strength is the normalised onset
// strength.
func Baseline(stems map[string][][]float32, rate int) ([]Onset, error) {
	const nfft, hop, mels = 2048, 512, 128
	plan, err := stft.NewPlan(nfft, hop)
	if err != nil {
		return nil, err
	}
	defer plan.Close()
	fb := melFilters(rate, nfft, mels)
	var out []Onset
	for name, data := range stems {
		p, ok := baselineStems[name]
		if !ok {
			continue
		}
		x := data[0]
		if len(data) > 1 {
			x = make([]float32, len(data[0]))
			for _, ch := range data {
				for i, v := range ch {
					x[i] += v / float32(len(data))
				}
			}
		}
		if len(x) <= nfft/2 {
			continue
		}
		T := plan.Frames(len(x))
		spec := make([]complex64, (nfft/2+1)*T)
		if err := plan.Forward(spec, x); err != nil {
			return nil, err
		}
		// Mel power spectrogram, frame-major, in dB.
		S := make([]float64, T*mels)
		for m, f := range fb {
			for b := f.lo; b < f.lo+len(f.w); b++ {
				w := f.w[b-f.lo]
				row := spec[b*T : (b+1)*T]
				for t, c := range row {
					S[t*mels+m] += w * float64(real(c)*real(c)+imag(c)*imag(c))
				}
			}
		}
		top := math.Inf(-1)
		for i, v := range S {
			S[i] = 10 * math.Log10(math.Max(1e-10, v))
			top = math.Max(top, S[i])
		}
		for i, v := range S {
			S[i] = math.Max(v, top-80)
		}
		pad := 1 + nfft/(2*hop)
		env := make([]float64, T)
		for t := 1; t < T && t+pad-1 < T; t++ {
			var s float64
			for m := 0; m < mels; m++ {
				s += math.Max(0, S[t*mels+m]-S[(t-1)*mels+m])
			}
			env[t+pad-1] = s / mels
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range env {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if hi-lo <= 0 {
			continue
		}
		for i := range env {
			env[i] = (env[i] - lo) / (hi - lo)
		}
		peaks := peakPick(env, 3, 3, 3, 3, p.delta, p.wait)
		if len(peaks) == 0 {
			continue
		}
		st := make([]float64, len(peaks))
		for i, t := range peaks {
			st[i] = env[t]
		}
		sorted := append([]float64(nil), st...)
		sort.Float64s(sorted)
		p95 := percentile(sorted, 95)
		for i, t := range peaks {
			s := st[i]
			if p95 > 0 {
				s /= p95
			}
			if s < p.threshold {
				continue
			}
			out = append(out, Onset{Time: math.Max(0, float64(t*hop)/float64(rate)+p.offset), Class: name, Strength: s})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time < out[j].Time })
	return out, nil
}

// peakPick is librosa.util.peak_pick: x[n] is the maximum of
// x[n−preMax:n+postMax] and at least delta above the mean of
// x[n−preAvg:n+postAvg], and more than wait frames after the previous peak.
func peakPick(x []float64, preMax, postMax, preAvg, postAvg int, delta float64, wait int) []int {
	var out []int
	last := -wait - 1
	for n := range x {
		a, b := max(0, n-preMax), min(len(x), n+postMax)
		isMax := true
		for i := a; i < b; i++ {
			if x[i] > x[n] {
				isMax = false
				break
			}
		}
		if !isMax {
			continue
		}
		a, b = max(0, n-preAvg), min(len(x), n+postAvg)
		var s float64
		for i := a; i < b; i++ {
			s += x[i]
		}
		if x[n] < s/float64(b-a)+delta {
			continue
		}
		if n-last > wait {
			out = append(out, n)
			last = n
		}
	}
	return out
}

// percentile is numpy's linear-interpolation percentile of sorted data.
func percentile(sorted []float64, q float64) float64 {
	pos := q / 100 * float64(len(sorted)-1)
	i := int(pos)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (pos-float64(i))*(sorted[i+1]-sorted[i])
}

type melFilter struct {
	lo int
	w  []float64
}

// melFilters is librosa.filters.mel with its defaults (Slaney's mel scale
// and area normalisation, fmin 0, fmax Nyquist).
func melFilters(rate, nfft, n int) []melFilter {
	hzToMel := func(f float64) float64 {
		if f < 1000 {
			return f / (200.0 / 3)
		}
		return 15 + math.Log(f/1000)/(math.Log(6.4)/27)
	}
	melToHz := func(m float64) float64 {
		if m < 15 {
			return m * 200.0 / 3
		}
		return 1000 * math.Exp((m-15)*math.Log(6.4)/27)
	}
	top := hzToMel(float64(rate) / 2)
	hz := make([]float64, n+2)
	for i := range hz {
		hz[i] = melToHz(top * float64(i) / float64(n+1))
	}
	bins := nfft/2 + 1
	fs := make([]melFilter, n)
	for i := range fs {
		enorm := 2 / (hz[i+2] - hz[i])
		for b := 0; b < bins; b++ {
			f := float64(b) * float64(rate) / float64(nfft)
			w := math.Max(0, math.Min((f-hz[i])/(hz[i+1]-hz[i]), (hz[i+2]-f)/(hz[i+2]-hz[i+1]))) * enorm
			if w > 0 {
				if fs[i].w == nil {
					fs[i].lo = b
				}
				for len(fs[i].w) < b-fs[i].lo {
					fs[i].w = append(fs[i].w, 0)
				}
				fs[i].w = append(fs[i].w, w)
			}
		}
	}
	return fs
}
