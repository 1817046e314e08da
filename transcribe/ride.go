package transcribe

import (
	"math"
	"sort"
)

// Ride bow and bell.
//
// A stroke on the bell excites a few strong partials of the cup between 1
// and 4 kHz; a stroke on the bow excites the cymbal's dense wash, most of
// its energy above 4 kHz. Both are measured on the energy the stroke adds
// (its spectrum less the ring of the strokes before it), in its first
// 23 ms, where the stroke dominates the ring. Within a track, the strokes
// of one cymbal area sound alike: like toms by pitch, the strokes are
// clustered by the centroid of that energy (two groups at most: a gap of
// more than rideGap octaves separates them), and each group is a bell if
// its median balance between 1–4 kHz and 4–16 kHz is above
// rideBellBalance. Grouping first matters for a track that plays both:
// the median of the whole track would give all its strokes the label of
// the more frequent one.
//
// The constants were chosen on renders of the training kits only
// (docs/TRANSCRIPTION.md, "Ride bow and bell").

// rideFeatures are what tells a ride's bell strokes from its bow strokes,
// both of the energy the stroke adds above 1 kHz in its first 23 ms.
type rideFeatures struct {
	centroid float64 // spectral centroid, octaves above 1 kHz; NaN when the stroke adds nothing above 1 kHz
	balance  float64 // energy 1–4 kHz over 4–16 kHz, dB; NaN likewise
}

const (
	// rideGap is the least centroid difference, in octaves, between the
	// bell's and the bow's strokes of a track. On the training kits'
	// renders the strokes of one cymbal area (velocity layers, round-robin
	// samples) spread over at most 0.19 octave without a gap wider than
	// that, and a bell sat 0.9–1.1 octaves below its bow.
	rideGap = 0.4
	// rideBellBalance is the least median balance, in dB, of a group of
	// bell strokes. On the training kits the bows' medians per track were
	// −1.9 dB or less (most below −5), the bells' −0.4 dB or more.
	rideBellBalance = -1.0
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
func rideFeaturesOf(ns []Note, x []float32, rate int) []rideFeatures {
	n := nearestPow2(rate * 23 / 1000)
	sp := newSpectrometer(n)
	ring := make([]float64, n/2+1)
	binHz := float64(rate) / float64(n)
	lo := int(math.Ceil(1000 / binHz))
	mid := int(math.Ceil(4000 / binHz))
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
		var sum, moment, low, high float64
		for k := lo; k < len(m); k++ {
			d := m[k]*m[k] - rideRingMargin*ring[k]
			if d <= 0 {
				continue
			}
			hz := float64(k) * binHz
			sum += d
			moment += d * math.Log2(hz/1000)
			switch {
			case k < mid:
				low += d
			case hz < 16000:
				high += d
			}
		}
		f := rideFeatures{centroid: math.NaN(), balance: math.NaN()}
		if sum > 0 {
			f.centroid = moment / sum
			f.balance = 10 * math.Log10((low+1e-20)/(high+1e-20))
		}
		out[i] = f
	}
	return out
}

// labelRide sets each ride note's piece, Ride (the bow) or RideBell: the
// notes are split in two groups where their centroids leave a gap wider
// than rideGap (the widest such gap with rideMinStrokes notes on each
// side), and the notes of a group with a median balance above
// rideBellBalance are bells. Notes without features are bow strokes, the
// common case.
func labelRide(ns []Note, x []float32, rate int) {
	fs := rideFeaturesOf(ns, x, rate)
	idx := make([]int, 0, len(ns))
	for i := range ns {
		ns[i].Piece = Ride
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
	groups := [][]int{idx}
	if cut > 0 {
		groups = [][]int{idx[:cut], idx[cut:]}
	}
	for _, g := range groups {
		if medianBalance(fs, g) > rideBellBalance {
			for _, i := range g {
				ns[i].Piece = RideBell
			}
		}
	}
}

// medianBalance is the median balance of the notes idx (NaN for none).
func medianBalance(fs []rideFeatures, idx []int) float64 {
	b := make([]float64, 0, len(idx))
	for _, i := range idx {
		if !math.IsNaN(fs[i].balance) {
			b = append(b, fs[i].balance)
		}
	}
	if len(b) == 0 {
		return math.NaN()
	}
	sort.Float64s(b)
	if len(b)%2 == 1 {
		return b[len(b)/2]
	}
	return (b[len(b)/2-1] + b[len(b)/2]) / 2
}

// nearestPow2 is the power of two nearest to n (1024 for 23 ms at 44.1
// and 48 kHz).
func nearestPow2(n int) int {
	p := nextPow2(n)
	if p/2 > 0 && n-p/2 < p-n {
		return p / 2
	}
	return p
}
