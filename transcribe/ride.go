package transcribe

import (
	"math"
	"sort"
)

// Ride bow and bell.
//
// A stroke on the bell rings with a few strong, stable partials; a stroke
// on the bow excites the cymbal's dense wash. Each ride stroke is a bell
// when its spectrum between 1 and 8 kHz over the 93 ms from 5 ms after its
// start is peaky: its spectral flatness (geometric over arithmetic mean
// of the power) is below rideBellFlatness. Within a track, the bell's and
// the bow's strokes also differ in brightness: where the spectral
// centroids of the energy the strokes add in their first 23 ms (the
// spectrum less the ring before, above 1 kHz) leave a gap wider than
// rideGap, the strokes on each side are one group, all labelled by the
// group's median flatness. That matters when bell and bow alternate:
// a bow stroke in the ring of a bell sounds peaky on its own.
//
// The constants were chosen on renders of the training kits only
// (docs/TRANSCRIPTION.md, "Ride bow and bell").

// rideFeatures are what tells a ride's bell strokes from its bow strokes.
type rideFeatures struct {
	// centroid is the spectral centroid of the energy the stroke adds
	// above 1 kHz in its first 23 ms, in octaves above 1 kHz; NaN when
	// it adds nothing there.
	centroid float64
	// flatness is the spectral flatness of 1–8 kHz over the 93 ms from
	// 5 ms after the stroke's start, dB (0 for white noise, very negative
	// for a few partials).
	flatness float64
}

const (
	// rideGap is the least centroid difference, in octaves, between two
	// groups of a track's strokes. On the training kits' renders the
	// strokes of one cymbal area (velocity layers, round-robin samples)
	// spread over at most 0.19 octave without a gap wider than that, and
	// a bell sat 0.9–1.1 octaves below its bow (on one kit only 0.2:
	// those strokes are labelled one by one).
	rideGap = 0.4
	// rideBellFlatness is the flatness, in dB, under which a stroke (or a
	// group's median) is a bell. On the training kits' renders, the bells
	// of the kit with a clear bell had −21 to −17.4 dB (5th–95th
	// percentile), the bows −16.4 dB or more (1st percentile); every
	// threshold from −17 to −18 dB gave the same accuracy.
	rideBellFlatness = -17.5
	// rideMinStrokes is the least number of strokes on each side of a cut:
	// a single odd stroke (one whose attack a louder ring masks) is no
	// second cymbal area.
	rideMinStrokes = 2
	// rideRingMargin scales the spectrum before a stroke that is taken
	// off its own (3 dB): a cymbal's ring fluctuates, and what it adds
	// after the stroke's start is not the stroke.
	rideRingMargin = 2.0
)

// rideFeaturesOf measures each ride note's features in x.
func rideFeaturesOf(ns []Note, x signal, rate int) []rideFeatures {
	n := nearestPow2(rate * 23 / 1000)
	sp := newSpectrometer(n)
	ring := make([]float64, n/2+1)
	binHz := float64(rate) / float64(n)
	lo := int(math.Ceil(1000 / binHz))
	nl := nearestPow2(rate * 93 / 1000)
	spl := newSpectrometer(nl)
	binL := float64(rate) / float64(nl)
	lo8, hi8 := int(math.Ceil(1000/binL)), int(math.Ceil(8000/binL))
	out := make([]rideFeatures, len(ns))
	for i, note := range ns {
		s := int(math.Round(note.Time * float64(rate)))
		// The ring before the stroke: the larger of two windows ending at
		// the stroke and n/2 before it, per bin.
		m := sp.spectrum(x, s-n)
		for k, v := range m {
			ring[k] = v * v
		}
		m = sp.spectrum(x, s-n-n/2)
		for k, v := range m {
			ring[k] = math.Max(ring[k], v*v)
		}
		m = sp.spectrum(x, s)
		var sum, moment float64
		for k := lo; k < len(m); k++ {
			d := m[k]*m[k] - rideRingMargin*ring[k]
			if d <= 0 {
				continue
			}
			sum += d
			moment += d * math.Log2(float64(k)*binHz/1000)
		}
		f := rideFeatures{centroid: math.NaN()}
		if sum > 0 {
			f.centroid = moment / sum
		}
		f.flatness = flatnessDB(spl.spectrum(x, s+rate/200)[lo8:min(hi8, nl/2+1)])
		out[i] = f
	}
	return out
}

// flatnessDB is the spectral flatness of magnitudes m in dB: the geometric
// mean of the power over its arithmetic mean (0 dB for a flat spectrum).
// A floor of 1e-20 keeps silent bins finite.
func flatnessDB(m []float64) float64 {
	if len(m) == 0 {
		return 0
	}
	var logSum, sum float64
	for _, v := range m {
		p := v*v + 1e-20
		logSum += math.Log(p)
		sum += p
	}
	k := float64(len(m))
	return 10 * (logSum/k - math.Log(sum/k)) / math.Ln10
}

// labelRide sets each ride note's piece, Ride (the bow) or RideBell: a
// note is a bell when its flatness is below rideBellFlatness, or, where
// the notes' centroids leave a gap wider than rideGap (the widest such gap
// with rideMinStrokes notes on each side), when the median flatness of
// the notes on its side is.
func labelRide(ns []Note, x signal, rate int) {
	fs := rideFeaturesOf(ns, x, rate)
	idx := make([]int, 0, len(ns))
	for i := range ns {
		ns[i].Piece = Ride
		if fs[i].flatness < rideBellFlatness {
			ns[i].Piece = RideBell
		}
		if !math.IsNaN(fs[i].centroid) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return fs[idx[a]].centroid < fs[idx[b]].centroid })
	cut, widest := 0, rideGap
	for k := rideMinStrokes; k <= len(idx)-rideMinStrokes; k++ {
		if g := fs[idx[k]].centroid - fs[idx[k-1]].centroid; g > widest {
			cut, widest = k, g
		}
	}
	if cut == 0 {
		return
	}
	for _, g := range [][]int{idx[:cut], idx[cut:]} {
		p := Ride
		if medianFlatness(fs, g) < rideBellFlatness {
			p = RideBell
		}
		for _, i := range g {
			ns[i].Piece = p
		}
	}
}

// medianFlatness is the median flatness of the notes idx (not empty).
func medianFlatness(fs []rideFeatures, idx []int) float64 {
	b := make([]float64, len(idx))
	for k, i := range idx {
		b[k] = fs[i].flatness
	}
	sort.Float64s(b)
	if len(b)%2 == 1 {
		return b[len(b)/2]
	}
	return (b[len(b)/2-1] + b[len(b)/2]) / 2
}

// nearestPow2 is the power of two nearest to n (1024 for 23 ms and 4096
// for 93 ms at 44.1 and 48 kHz).
func nearestPow2(n int) int {
	p := nextPow2(n)
	if p/2 > 0 && n-p/2 < p-n {
		return p / 2
	}
	return p
}
