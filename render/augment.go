package render

import (
	"math"
	"math/rand/v2"
	"sort"
)

// AugmentParams is a random variation of a whole kit, applied to each stem
// with the same settings so that the stems still add up to the mixture:
//
//   - per-instrument gain (a different balance of the kit's pieces);
//   - an EQ tilt: a first-order split at TiltHz, the lows scaled by
//     −TiltDB/2 and the highs by +TiltDB/2;
//   - a small room: a Schroeder reverb (four damped combs and two
//     all-passes per channel, decorrelated left and right) fed by the
//     stem, added at ReverbWet — each stem carries its own room sound, as a
//     multitrack recording's close mics would after a room send;
//   - saturation: y = tanh(d·x)/d per stem sample (tanh by a rational
//     approximation) after scaling the mixture to peak at 1. Saturation is not linear, so the saturated stems do not
//     add up to a saturated mixture; the mixture is still, by definition,
//     the sum of the saturated stems, which is what a model must undo;
//   - a left/right swap;
//   - the mixture's final peak level PeakDB.
//
// Zero values mean "not applied".
type AugmentParams struct {
	InstrumentGainDB map[string]float64 `json:"instrument_gain_db,omitempty"`
	TiltDB           float64            `json:"tilt_db,omitempty"`
	TiltHz           float64            `json:"tilt_hz,omitempty"`
	ReverbWet        float64            `json:"reverb_wet,omitempty"`
	ReverbRT60       float64            `json:"reverb_rt60_s,omitempty"`
	ReverbSize       float64            `json:"reverb_size,omitempty"`
	Drive            float64            `json:"saturation_drive,omitempty"`
	SwapLR           bool               `json:"swap_lr,omitempty"`
	PeakDB           float64            `json:"peak_db,omitempty"`
}

// randomAugment draws augmentation settings: each effect is applied with
// probability ½ (gains with ¾).
func randomAugment(rng *rand.Rand, inst map[Piece]*Instrument) AugmentParams {
	a := AugmentParams{PeakDB: -1 - 11*rng.Float64()}
	// Draw the gains in a fixed order so that the result does not depend on
	// map iteration.
	names := map[string]bool{}
	for _, in := range inst {
		names[in.Name] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	if rng.Float64() < 0.75 {
		a.InstrumentGainDB = map[string]float64{}
		for _, n := range sorted {
			a.InstrumentGainDB[n] = math.Round((rng.Float64()*8-4)*100) / 100
		}
	}
	if rng.Float64() < 0.5 {
		a.TiltDB = rng.Float64()*12 - 6
		a.TiltHz = 500 + 1500*rng.Float64()
	}
	if rng.Float64() < 0.5 {
		a.ReverbWet = 0.05 + 0.25*rng.Float64()
		a.ReverbRT60 = 0.3 + 1.2*rng.Float64()
		a.ReverbSize = 0.5 + 0.7*rng.Float64()
	}
	if rng.Float64() < 0.5 {
		a.Drive = 1 + 3*rng.Float64()
	}
	a.SwapLR = rng.Float64() < 0.5
	return a
}

// gain returns the linear gain for the instrument.
func (a *AugmentParams) gain(in *Instrument) float64 {
	if db, ok := a.InstrumentGainDB[in.Name]; ok {
		return math.Pow(10, db/20)
	}
	return 1
}

// apply processes every stem with the same settings.
func (a *AugmentParams) apply(stems [][][]float32) {
	if a.TiltDB != 0 {
		for _, st := range stems {
			for _, ch := range st {
				tilt(ch, a.TiltDB, a.TiltHz)
			}
		}
	}
	if a.ReverbWet > 0 {
		for _, st := range stems {
			reverb(st, a.ReverbWet, a.ReverbRT60, a.ReverbSize)
		}
	}
	if a.Drive > 0 {
		normalize(stems, 1)
		d := float32(a.Drive)
		for _, st := range stems {
			for _, ch := range st {
				for i, v := range ch {
					ch[i] = softClip(d*v) / d
				}
			}
		}
	}
	if a.SwapLR {
		for _, st := range stems {
			st[0], st[1] = st[1], st[0]
		}
	}
}

// tilt applies the EQ tilt in place: x = lp + hp with a one-pole low-pass at
// hz; y = lp·10^(−db/40) + hp·10^(db/40).
func tilt(x []float32, db, hz float64) {
	lo, hi := math.Pow(10, -db/40), math.Pow(10, db/40)
	k := 1 - math.Exp(-2*math.Pi*hz/SampleRate)
	var lp float64
	for i, v := range x {
		lp += k * (float64(v) - lp)
		if lp < 1e-30 && lp > -1e-30 {
			lp = 0 // no subnormals: they make the silent stretches of a stem 50× slower
		}
		x[i] = float32(lo*lp + hi*(float64(v)-lp))
	}
}

// Comb and all-pass delays (samples at 44.1 kHz) of the classic Schroeder /
// Freeverb tuning; the right channel's are longer by a fixed spread.
var (
	combDelays    = []int{1116, 1188, 1277, 1356}
	allpassDelays = []int{556, 441}
)

const stereoSpread = 23

// reverb adds a small room to a stereo stem in place.
func reverb(st [][]float32, wet, rt60, size float64) {
	n := len(st[0])
	in := make([]float32, n)
	for i := range in {
		in[i] = 0.5 * (st[0][i] + st[1][i])
	}
	for c := 0; c < 2; c++ {
		out := make([]float32, n)
		for _, d0 := range combDelays {
			d := int(float64(d0)*size) + c*stereoSpread
			// Feedback for a 60 dB decay in rt60 seconds.
			fb := float32(math.Pow(10, -3*float64(d)/(rt60*SampleRate)))
			comb(out, in, d, fb, 0.3)
		}
		for _, d0 := range allpassDelays {
			allpass(out, int(float64(d0)*size)+c*stereoSpread, 0.5)
		}
		w := float32(wet / float64(len(combDelays)))
		for i, v := range out {
			st[c][i] += w * v
		}
	}
}

// comb adds a feedback comb filter of x with a low-pass (damping) in the
// loop to out.
func comb(out, x []float32, d int, fb, damp float32) {
	buf := make([]float32, d)
	var lp float32
	p := 0
	for i, v := range x {
		y := buf[p]
		lp = y*(1-damp) + lp*damp
		if lp < 1e-20 && lp > -1e-20 {
			lp = 0 // no subnormals (see tilt)
		}
		buf[p] = v + lp*fb
		out[i] += y
		if p++; p == d {
			p = 0
		}
	}
}

// allpass runs a Schroeder all-pass in place.
func allpass(x []float32, d int, g float32) {
	buf := make([]float32, d)
	p := 0
	for i, v := range x {
		b := buf[p]
		if b < 1e-20 && b > -1e-20 {
			b = 0 // no subnormals (see tilt)
		}
		y := -v + b
		buf[p] = v + b*g
		x[i] = y
		if p++; p == d {
			p = 0
		}
	}
}

// softClip is tanh by its [3/2] Padé approximant, clamped at ±1 from
// |x| = 3 where the approximant reaches 1: smooth, odd, monotonic, and ten
// times cheaper than math.Tanh.
func softClip(x float32) float32 {
	switch {
	case x >= 3:
		return 1
	case x <= -3:
		return -1
	}
	x2 := x * x
	return x * (27 + x2) / (27 + 9*x2)
}
