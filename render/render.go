package render

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Options controls Render.
type Options struct {
	// Layout is the set of stem files; nil means Layout6.
	Layout Layout
	// Other renders non-kit pieces (claps, cowbells, percussion) into an
	// extra "other" stem instead of dropping them.
	Other bool
	// Augment applies a random augmentation of the whole kit (see Augment).
	Augment bool
	// PeakDB is the mixture's peak after normalisation, in dBFS, when
	// Augment is off; 0 means -1 dBFS. With Augment on it is drawn from
	// [-12, -1] dBFS.
	PeakDB float64
	// ChokeFade is how long a cut voice (a drum struck again, a hi-hat
	// closed, a mute-group member) takes to fall silent, in seconds; 0
	// means 5 ms.
	ChokeFade float64
}

// Track is a rendered drum track.
type Track struct {
	// Names are the stem files in order: the layout's outputs, then "other"
	// when Options.Other is set.
	Names []string
	// Stems holds each output's audio, [output][channel][frame], stereo at
	// SampleRate.
	Stems [][][]float32
	// Mixture is the sum of Stems, added in output order in float32, so the
	// stem files add up to the mixture file exactly up to float32 rounding.
	Mixture [][]float32
	// Played is the groove as rendered: the strokes the kit could play, each
	// at its exact sample time (frame / SampleRate).
	Played *Groove
	// Onsets lists every stroke: its stem output, piece, instrument, sample.
	Onsets []Onset
	// Instruments maps each piece played to the kit instrument that played it.
	Instruments map[Piece]string
	// Dropped counts strokes the kit had no instrument for, by piece.
	Dropped map[Piece]int
	// Augment is the augmentation applied (zero when none).
	Augment AugmentParams
}

// Onset is a ground-truth stroke.
type Onset struct {
	Output     string // stem file name ("kick", "cymbals", …)
	Piece      Piece
	Instrument string
	Frame      int     // sample index at SampleRate where the stroke's sound starts
	Velocity   float64 // (0, 1]
	// SecondAttack is, for a stroke whose sample has a second attack
	// (a second strike or a late energy peak, see secondAttack) that
	// still sounds in the track, the frames from Frame to it; 0 otherwise.
	// A detector that finds it is right about the audio and wrong about
	// the annotation.
	SecondAttack int
	// Stroke is what the groove says the stroke is part of (a flam's
	// grace note, a roll).
	Stroke Stroke
}

// Time returns the onset in seconds.
func (o Onset) Time() float64 { return float64(o.Frame) / SampleRate }

// voice is one sample playing in the track.
type voice struct {
	smp    *sample
	start  int // frame of the sample's first frame; may be negative
	onset  int // frame of the attack: the annotated onset
	gl, gr float32
	out    int // index into the track's outputs
	inst   *Instrument
	ramps  []ramp // gain changes from later strokes, in time order
}

// ramp is a gain change of a voice: its gain moves linearly over the fadeN
// frames before end to level (relative to the voice's gain) and stays
// there. Level 0 ends the voice.
type ramp struct {
	end   int
	level float32
}

// cymbalDuck is the level a ringing cymbal drops to when the same cymbal
// is struck again: the stick's contact damps part of the ring (−6 dB).
const cymbalDuck = 0.5

// onsetRise is how much more energy a stem must hold in the riseWindow
// after a stroke's onset than in the riseWindow before it (see chokes).
const onsetRise = 1.25

// silentLevel is where a repeatedly ducked voice is cut off (−60 dB).
const silentLevel = 1e-3

// fallbacks lists, per piece, the pieces whose instrument plays it when the
// kit has none of its own. Fallbacks never cross a stem.
var fallbacks = map[Piece][]Piece{
	PieceRimshot:     {PieceSnare},
	PieceSideStick:   {PieceRimshot, PieceSnare},
	PieceSnare:       {PieceRimshot},
	PieceTomHigh:     {PieceTomMid, PieceTomLow},
	PieceTomMid:      {PieceTomHigh, PieceTomLow},
	PieceTomLow:      {PieceTomMid, PieceTomHigh},
	PieceHatPedal:    {PieceHatClosed},
	PieceHatClosed:   {PieceHatPedal},
	PieceHatHalfOpen: {PieceHatOpen, PieceHatClosed},
	PieceHatOpen:     {PieceHatHalfOpen},
	PieceRideBell:    {PieceRide},
	PieceRide:        {PieceRideBell},
	PieceCrash2:      {PieceCrash, PieceSplash, PieceChina},
	PieceCrash:       {PieceCrash2, PieceChina, PieceSplash},
	PieceSplash:      {PieceCrash, PieceCrash2, PieceChina},
	PieceChina:       {PieceCrash, PieceCrash2, PieceSplash},
}

// assign picks, for every piece, the kit instrument that plays it in this
// track: one of the plain instruments for the piece at random (variants only
// when there is nothing else), else the fallbacks'. The second crash takes a
// different instrument from the first when the kit has two.
func assign(k *Kit, rng *rand.Rand) map[Piece]*Instrument {
	own := map[Piece]*Instrument{}
	for p := Piece(1); p < numPieces; p++ {
		var cands []*Instrument
		for _, in := range k.instrumentsFor(p) {
			if !in.Variant {
				cands = append(cands, in)
			}
		}
		if len(cands) == 0 {
			cands = k.instrumentsFor(p)
		}
		if len(cands) > 0 {
			own[p] = cands[rng.IntN(len(cands))]
		}
	}
	if c, ok := own[PieceCrash]; ok && own[PieceCrash2] == nil {
		for _, in := range k.instrumentsFor(PieceCrash) {
			if in != c && !in.Variant {
				own[PieceCrash2] = in
				break
			}
		}
	}
	out := map[Piece]*Instrument{}
	for p := Piece(1); p < numPieces; p++ {
		if in := own[p]; in != nil {
			out[p] = in
			continue
		}
		for _, f := range fallbacks[p] {
			if in := own[f]; in != nil {
				out[p] = in
				break
			}
		}
	}
	return out
}

// pickLayer returns the layer for velocity v: one of the layers whose
// [Min, Max] holds v, at random when kits overlap them, else the nearest.
func pickLayer(in *Instrument, v float64, rng *rand.Rand) *Layer {
	var cands []int
	for i, l := range in.Layers {
		if v >= l.Min-1e-9 && v <= l.Max+1e-9 {
			cands = append(cands, i)
		}
	}
	if len(cands) > 0 {
		return &in.Layers[cands[rng.IntN(len(cands))]]
	}
	best, bestD := 0, math.Inf(1)
	for i, l := range in.Layers {
		d := math.Min(math.Abs(v-l.Min), math.Abs(v-l.Max))
		if d < bestD {
			best, bestD = i, d
		}
	}
	return &in.Layers[best]
}

// Render plays the groove on the kit. Each stroke's sample (the velocity
// layer for its velocity) is added at its exact sample position into its
// stem, scaled by velocity × layer gain × instrument gain and volume, and
// panned with the instrument's pan. A hi-hat stroke cuts the hi-hat still
// ringing from another hi-hat instrument (open hat closed by the pedal or a
// closed stroke), and an instrument in a Hydrogen mute group cuts the other
// members, with a short fade. The last 10 ms fade out. With augmentation the
// stems are processed one by one with the same settings (see Augment), and
// finally all stems are scaled by one factor so the mixture peaks at the
// target level; the mixture is then summed from the stems.
//
// Everything random — instrument choice, overlapping layers, augmentation —
// comes from rng.
func Render(g *Groove, k *Kit, cache *Cache, opt Options, rng *rand.Rand) (*Track, error) {
	tr, err := play(g, k, cache, opt, rng)
	if err != nil {
		return nil, err
	}
	peak := opt.PeakDB
	if peak == 0 {
		peak = -1
	}
	if opt.Augment {
		tr.Augment.apply(tr.Stems)
		peak = tr.Augment.PeakDB
	}
	normalize(tr.Stems, math.Pow(10, peak/20))
	tr.Mixture = sumStems(tr.Stems)
	return tr, nil
}

// play places the strokes into the stems, before augmentation and level;
// it draws the augmentation settings (instrument gains apply here).
func play(g *Groove, k *Kit, cache *Cache, opt Options, rng *rand.Rand) (*Track, error) {
	layout := opt.Layout
	if layout == nil {
		layout = Layout6
	}
	names := layout.Names()
	otherOut := -1
	if opt.Other {
		otherOut = len(names)
		names = append(names, Other.String())
	}
	frames := int(math.Round(g.Length * SampleRate))
	if frames <= 0 {
		return nil, fmt.Errorf("render: groove length %g s", g.Length)
	}
	fade := opt.ChokeFade
	if fade == 0 {
		fade = 0.005
	}
	fadeN := max(1, int(math.Round(fade*SampleRate)))

	inst := assign(k, rng)
	var aug AugmentParams
	if opt.Augment {
		aug = randomAugment(rng, inst)
	}

	tr := &Track{
		Names:       names,
		Stems:       make([][][]float32, len(names)),
		Instruments: map[Piece]string{},
		Dropped:     map[Piece]int{},
		Played:      &Groove{Style: g.Style, Meter: g.Meter, Tempo: g.Tempo, Length: float64(frames) / SampleRate},
		Augment:     aug,
	}
	for i := range tr.Stems {
		tr.Stems[i] = [][]float32{make([]float32, frames), make([]float32, frames)}
	}

	hits := append([]Hit(nil), g.Hits...)
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Time < hits[j].Time })
	var voices []voice
	for _, h := range hits {
		if h.Piece == NoPiece || h.Piece >= numPieces {
			continue
		}
		out := layout.output(h.Piece.Stem())
		if h.Piece.Stem() == Other {
			out = otherOut
		}
		in := inst[h.Piece]
		if out < 0 || in == nil {
			tr.Dropped[h.Piece]++
			continue
		}
		onset := int(math.Round(h.Time * SampleRate))
		if onset < 0 || onset >= frames {
			continue
		}
		v := clamp(h.Velocity, 0, 1)
		l := pickLayer(in, v, rng)
		smp, err := cache.get(l.File)
		if err != nil {
			return nil, fmt.Errorf("render with kit %s: %w", k.Name, err)
		}
		gain := v * l.Gain * in.Gain * in.Volume * aug.gain(in)
		gl, gr := gain*in.PanL, gain*in.PanR
		voices = append(voices, voice{smp: smp, start: onset - smp.attack, onset: onset, gl: float32(gl), gr: float32(gr), out: out, inst: in})
		tr.Instruments[h.Piece] = in.Name
		tr.Played.Hits = append(tr.Played.Hits, Hit{Time: float64(onset) / SampleRate, Piece: h.Piece, Velocity: v, Stroke: h.Stroke})
		tr.Onsets = append(tr.Onsets, Onset{Output: names[out], Piece: h.Piece, Instrument: in.Name, Frame: onset, Velocity: v, Stroke: h.Stroke})
	}
	chokes(voices)
	for i := range voices {
		mixVoice(tr.Stems[voices[i].out], &voices[i], fadeN)
		// voices and tr.Onsets are in the same order until the sort
		// below.
		tr.Onsets[i].SecondAttack = voices[i].secondAttack(frames)
	}
	// Fade the track's end so that cut-off tails do not click.
	endFade := min(frames, int(0.01*SampleRate))
	for _, st := range tr.Stems {
		for _, ch := range st {
			for i := 0; i < endFade; i++ {
				ch[frames-endFade+i] *= float32(endFade-1-i) / float32(endFade)
			}
		}
	}
	sort.SliceStable(tr.Onsets, func(i, j int) bool { return tr.Onsets[i].Frame < tr.Onsets[j].Frame })
	return tr, nil
}

// secondAttack returns the frames from the voice's onset to its sample's
// second attack if that attack sounds: before the track's end, and before
// a later stroke cuts the voice (a ramp to level 0 that ends before the
// second attack). Ducked, it still sounds, and still counts.
func (v *voice) secondAttack(frames int) int {
	d := v.smp.second
	if d == 0 || v.onset+d >= frames {
		return 0
	}
	for _, rp := range v.ramps {
		if rp.level == 0 && rp.end <= v.onset+d {
			return 0
		}
	}
	return d
}

// chokes adds the gain ramps later strokes put on each voice. A ramp ends
// riseWindow (2 ms) before the onset of the stroke that causes it — while
// that stroke's sample leads into its attack, as a stick or closing hi-hats
// damp the ring. Who damps whom:
//
//   - drums are monophonic: a kick, snare (snare, rimshot or side stick on
//     the same instrument) or tom stroke cuts the previous one of the same
//     instrument;
//   - hi-hats form one group: any hi-hat stroke (open, closed, pedal) cuts
//     the hi-hat still sounding, whatever instrument plays it;
//   - instruments in a Hydrogen mute group cut each other;
//   - a cymbal struck again rings on at cymbalDuck of its level;
//   - whatever else still sounds in the stem file (another tom, the ride's
//     wash under a soft stroke) is ducked just enough for the stroke's
//     onset to stand out: so that the stem's energy in the 2 ms after the
//     onset is at least onsetRise times that in the 2 ms before. Most
//     strokes need no ducking; a soft tom under a ringing floor tom does.
//     A close-miked stroke masks what rings around it the same way.
//
// The energies are exact (the voices' samples, gains and levels around the
// onset), so every onset of a render without augmentation meets the rise,
// whatever the kit, as long as the stroke's sample alone does.
// A voice ducked below silentLevel is cut.
func chokes(vs []voice) {
	cutKey := func(v *voice) (any, bool) {
		switch {
		case v.inst.Piece.Stem() == HiHat || v.inst.IsHihat:
			return "hh", true
		case v.inst.MuteGroup >= 0:
			return v.inst.MuteGroup, true
		}
		switch v.inst.Piece.Stem() {
		case Kick, Snare, Toms:
			return v.inst, true
		}
		return nil, false
	}
	level := make([]float32, len(vs)) // each voice's current level
	var sounding, prior []int
	var duck []float32
	for i := range vs {
		v := &vs[i]
		level[i] = 1
		ki, cuts := cutKey(v)
		prior, duck = prior[:0], duck[:0]
		keep := sounding[:0]
		for _, j := range sounding {
			u := &vs[j]
			if u.start+u.smp.frames() <= v.onset-riseWindow {
				continue // finished
			}
			keep = append(keep, j)
			if u.onset >= v.onset {
				continue // struck together: both sound
			}
			kj, _ := cutKey(u)
			switch {
			case cuts && kj == ki:
				setLevel(u, &level[j], 0, v.onset)
			case u.out != v.out:
			case u.inst == v.inst: // a cymbal (drums of one instrument were cut above)
				prior, duck = append(prior, j), append(duck, cymbalDuck)
			default:
				prior, duck = append(prior, j), append(duck, 1)
			}
		}
		if len(prior) > 0 {
			d := float32(riseDuck(vs, level, prior, duck, v))
			for k, j := range prior {
				setLevel(&vs[j], &level[j], level[j]*duck[k]*d, v.onset)
			}
		}
		sounding = append(keep, i)
		kept := sounding[:0]
		for _, j := range sounding {
			if level[j] > 0 {
				kept = append(kept, j)
			}
		}
		sounding = kept
	}
}

// setLevel ramps voice u to level to, ending riseWindow before onset.
func setLevel(u *voice, cur *float32, to float32, onset int) {
	if to < silentLevel {
		to = 0
	}
	if to == *cur {
		return
	}
	*cur = to
	u.ramps = append(u.ramps, ramp{end: max(u.onset, onset-riseWindow), level: to})
}

// riseDuck returns the largest factor δ ≤ 1, on a 1.5 dB grid, by which
// the prior voices (at level × duck) must be scaled for the stem's energy
// in the riseWindow after v's onset to exceed k = onsetRise times the
// energy in the riseWindow before it. With p the prior voices' sum and n
// the new voice, the energies are quadratic in δ:
//
//	after(δ) − k·before(δ) = (Aₙ − k·Bₙ) + 2δ(Cₐ − k·C_b) + δ²(Pₐ − k·P_b).
//
// When even δ = 0 falls short (the sample alone does not rise that much)
// it settles for k = 1; when that fails too the prior voices keep their
// level.
func riseDuck(vs []voice, level []float32, prior []int, duck []float32, v *voice) float64 {
	var an, bn, ca, cb, pa, pb float64
	sampleAt := func(u *voice, ch, f int) float64 {
		i := f - u.start
		if i < 0 || i >= u.smp.frames() {
			return 0
		}
		return float64(u.smp.data[min(ch, len(u.smp.data)-1)][i])
	}
	for f := v.onset - riseWindow; f < v.onset+riseWindow; f++ {
		for ch := 0; ch < 2; ch++ {
			gain := func(u *voice) float64 {
				if ch == 0 {
					return float64(u.gl)
				}
				return float64(u.gr)
			}
			n := gain(v) * sampleAt(v, ch, f)
			var p float64
			for k, j := range prior {
				u := &vs[j]
				p += float64(level[j]*duck[k]) * gain(u) * sampleAt(u, ch, f)
			}
			if f < v.onset {
				bn, cb, pb = bn+n*n, cb+n*p, pb+p*p
			} else {
				an, ca, pa = an+n*n, ca+n*p, pa+p*p
			}
		}
	}
	// Aim for onsetRise; if the sample alone cannot make it, for a plain
	// rise.
	for _, k := range []float64{onsetRise, 1} {
		g := func(d float64) float64 {
			return (an - k*bn) + 2*d*(ca-k*cb) + d*d*(pa-k*pb)
		}
		if g(1) > 0 {
			return 1
		}
		if g(0) <= 0 {
			continue
		}
		for d := 1.0; d > silentLevel; {
			if d *= 0.8414; g(d) > 0 { // −1.5 dB steps
				return d
			}
		}
		return 0
	}
	return 1 // ducking cannot make this sample rise; leave the stem alone
}

// mixVoice adds the voice into the stem, following its gain ramps.
func mixVoice(dst [][]float32, v *voice, fadeN int) {
	// Sample frame i lands on stem frame v.start+i.
	n := min(v.smp.frames(), len(dst[0])-v.start)
	l := v.smp.data[0]
	r := l
	if len(v.smp.data) > 1 {
		r = v.smp.data[1]
	}
	dl, dr := dst[0], dst[1]
	i := max(0, -v.start)
	g := float32(1)
	for _, rp := range v.ramps {
		end := min(rp.end-v.start, n)
		begin := max(i, end-fadeN)
		gl, gr := g*v.gl, g*v.gr
		for ; i < begin; i++ {
			dl[v.start+i] += gl * l[i]
			dr[v.start+i] += gr * r[i]
		}
		for ; i < end; i++ {
			f := g + (rp.level-g)*float32(i-(end-fadeN)+1)/float32(fadeN+1)
			dl[v.start+i] += f * v.gl * l[i]
			dr[v.start+i] += f * v.gr * r[i]
		}
		if g = rp.level; g == 0 {
			return
		}
	}
	gl, gr := g*v.gl, g*v.gr
	for ; i < n; i++ {
		dl[v.start+i] += gl * l[i]
		dr[v.start+i] += gr * r[i]
	}
}

// normalize scales every stem by one factor so that the sum of the stems
// peaks at target (linear). Silence stays silence.
func normalize(stems [][][]float32, target float64) {
	if len(stems) == 0 {
		return
	}
	var peak float64
	frames := len(stems[0][0])
	for c := 0; c < 2; c++ {
		for i := 0; i < frames; i++ {
			var s float32
			for _, st := range stems {
				s += st[c][i]
			}
			peak = math.Max(peak, math.Abs(float64(s)))
		}
	}
	if peak == 0 {
		return
	}
	f := float32(target / peak)
	for _, st := range stems {
		for _, ch := range st {
			for i := range ch {
				ch[i] *= f
			}
		}
	}
}

// sumStems adds the stems in order, in float32: the mixture a reader gets
// by adding the stem files in the same order.
func sumStems(stems [][][]float32) [][]float32 {
	frames := len(stems[0][0])
	mix := [][]float32{make([]float32, frames), make([]float32, frames)}
	for c := range mix {
		m := mix[c]
		for _, st := range stems {
			for i, v := range st[c] {
				m[i] += v
			}
		}
	}
	return mix
}
