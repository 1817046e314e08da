package render

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
)

// Hit is one stroke of a groove.
type Hit struct {
	Time     float64 // seconds from the start of the track
	Piece    Piece
	Velocity float64 // (0, 1], MIDI velocity / 127
	Stroke   Stroke  // what the stroke is part of, as far as the generator knows
}

// Stroke says what a hit is part of: evaluations split their errors by it
// (a detector that merges a flam misses its grace note, one that smears a
// roll misses roll strokes). Hits read from MIDI files are all StrokePlain.
type Stroke uint8

// The strokes.
const (
	StrokePlain Stroke = iota // anything else: a groove or fill stroke, a ghost note
	StrokeGrace               // the grace note of a flam or a drag, 15–35 ms before its main stroke
	StrokeRoll                // a stroke of a single-stroke or six-stroke roll
)

// String returns "" for StrokePlain, "grace" or "roll": the stroke field
// of onsets.json.
func (s Stroke) String() string {
	switch s {
	case StrokeGrace:
		return "grace"
	case StrokeRoll:
		return "roll"
	}
	return ""
}

// TempoChange sets the tempo from Time (seconds) on.
type TempoChange struct {
	Time float64
	BPM  float64 // quarter notes per minute
}

// Meter is a time signature.
type Meter struct{ Num, Den int }

// String returns "4/4" style text.
func (m Meter) String() string { return fmt.Sprintf("%d/%d", m.Num, m.Den) }

// quarters returns the length of a bar in quarter notes.
func (m Meter) quarters() float64 { return float64(m.Num) * 4 / float64(m.Den) }

// Groove is a drum performance: hits in time, with the tempo and meter they
// were played in (needed to write a readable MIDI file).
type Groove struct {
	Style  string        // the generator's style, or "midi"
	Meter  Meter         // the first time signature
	Tempo  []TempoChange // at least one, the first at time 0
	Length float64       // seconds; no hit starts at or after it
	Hits   []Hit         // sorted by time
}

// BPM returns the initial tempo.
func (g *Groove) BPM() float64 {
	if len(g.Tempo) == 0 {
		return 120
	}
	return g.Tempo[0].BPM
}

// sortHits orders the hits by time, then piece, so that equal grooves
// compare equal whatever order they were built in.
func (g *Groove) sortHits() {
	sort.SliceStable(g.Hits, func(i, j int) bool {
		a, b := g.Hits[i], g.Hits[j]
		if a.Time != b.Time {
			return a.Time < b.Time
		}
		return a.Piece < b.Piece
	})
}

// GrooveOptions controls the procedural groove generator.
type GrooveOptions struct {
	Seconds float64 // track length; required
	Style   string  // one of Styles; "" picks one at random
	BPM     float64 // 0 picks one from the style's range
	// AllStems makes every drum-kit stem sound at least once when the track
	// holds two whole bars or more: a section on the ride, a tom fill, a
	// crash. Evaluation needs it (a silent reference stem has no SDR).
	AllStems bool
}

// Styles lists the generator's styles.
func Styles() []string {
	names := make([]string, len(styles))
	for i, s := range styles {
		names[i] = s.name
	}
	return names
}

// randomStyles is the number of styles a groove without a style picks
// from: those before the first style played only by name (rudiments), so
// that adding one changes no existing seeded set.
func randomStyles() int {
	for i := range styles {
		if styles[i].byName {
			return i
		}
	}
	return len(styles)
}

func findStyle(name string) (*style, error) {
	for i := range styles {
		if strings.EqualFold(styles[i].name, name) {
			return &styles[i], nil
		}
	}
	return nil, fmt.Errorf("unknown groove style %q (styles: %s)", name, strings.Join(Styles(), ", "))
}

// Generate returns a procedurally generated groove. Everything random comes
// from rng, so a seeded rng gives the same groove every time.
//
// A groove is a sequence of sections of 2–8 bars. Each section keeps its
// hand part (closed, half-open or 16th hi-hats, ride with the hi-hat pedal on
// the backbeat, crash-ride) and a dynamic level; most start with a crash and
// end with a fill (tom runs, snare builds, triplet or 16th grids). Within a
// bar the style's pattern is varied at random (syncopated kicks, ghost
// notes, open hats closed by the next stroke). Timing is swung where the
// style swings and humanised with a per-track tightness and per-piece
// push/drag; velocities follow accents with a per-track spread.
func Generate(opt GrooveOptions, rng *rand.Rand) (*Groove, error) {
	if !(opt.Seconds > 0) || opt.Seconds > 24*3600 {
		return nil, fmt.Errorf("generate groove: length %g s out of range", opt.Seconds)
	}
	st := &styles[rng.IntN(randomStyles())]
	if opt.Style != "" {
		var err error
		if st, err = findStyle(opt.Style); err != nil {
			return nil, err
		}
	}
	bpm := opt.BPM
	if bpm == 0 {
		bpm = st.bpm[0] + rng.Float64()*(st.bpm[1]-st.bpm[0])
		bpm = math.Round(bpm*10) / 10
	}
	if bpm < 20 || bpm > 400 {
		return nil, fmt.Errorf("generate groove: tempo %g BPM out of range", bpm)
	}
	g := &gen{
		rng:   rng,
		st:    st,
		bpm:   bpm,
		meter: st.meter,
		opt:   opt,
	}
	g.swing = st.swing[0] + rng.Float64()*(st.swing[1]-st.swing[0])
	g.tight = 0.0015 + rng.Float64()*0.0085
	g.velSpread = 0.03 + rng.Float64()*0.07
	g.drag = [numStems]float64{
		Kick:  (rng.Float64()*2 - 1) * 0.003,
		Snare: (rng.Float64()*2 - 0.5) * 0.005,
		Toms:  (rng.Float64()*2 - 1) * 0.002,
		HiHat: (rng.Float64()*2 - 1) * 0.003,
		Ride:  (rng.Float64()*2 - 1) * 0.003,
		Crash: (rng.Float64()*2 - 1) * 0.002,
	}
	g.generate()
	return &Groove{
		Style:  st.name,
		Meter:  g.meter,
		Tempo:  []TempoChange{{0, bpm}},
		Length: opt.Seconds,
		Hits:   g.hits,
	}, nil
}

// hand is what a section's time-keeping hand plays.
type hand uint8

const (
	handHat       hand = iota // closed hi-hat in the style's hand rhythm
	handHat16                 // closed hi-hat in 16ths
	handHalf                  // half-open ("washy") hi-hat
	handRide                  // ride, hi-hat pedal on the backbeat
	handCrash                 // crash-ride on the beat, hi-hat pedal on the backbeat
	handOpen                  // open hi-hat on the off-beats, closed on the beats (disco)
	handRideBell              // ride bell
	handOpenPedal             // open hi-hat on the off-beats, closed by the pedal on the beats
	handHatOpens              // closed 8ths, some off-beats opened and closed by the next stroke
)

// section is a run of bars sharing a hand part and dynamics.
type section struct {
	bars      int
	hand      hand
	level     float64 // velocity scale
	crash     bool    // a crash on the first downbeat
	fill      float64 // fill length in beats at the end of the section; 0 for none
	tomFill   bool    // the fill must use toms
	variation float64 // how far bars stray from the basic pattern
	alt       bool    // the style's alternative feel (side stick verse, half-time snare, double kick…)
}

// gen is the state of one groove generation.
type gen struct {
	rng       *rand.Rand
	st        *style
	bpm       float64
	meter     Meter
	opt       GrooveOptions
	swing     float64 // position of the off-beat within a swing pair, 0.5 = straight
	tight     float64 // timing standard deviation, seconds
	velSpread float64 // velocity standard deviation
	drag      [numStems]float64
	hits      []Hit
	offset    float64 // seconds before the first bar
}

// bar is the context a style's pattern writes into.
type bar struct {
	g        *gen
	start    float64 // quarter notes from the first bar
	steps    int     // grid steps in the bar
	perBeat  int     // grid steps per beat
	beats    int     // beats (pulses) in the bar
	stepQ    float64 // quarter notes per step
	sec      *section
	first    bool // first bar of its section
	last     bool // last bar of its section
	index    int  // bar number within the section
	fillFrom int  // first step of the fill; steps when the bar has none
	ev       []event
}

// event is a stroke on the grid before swing and humanisation.
type event struct {
	step   float64
	piece  Piece
	vel    float64
	stroke Stroke
	graces []grace // grace notes before the stroke (a flam or a drag)
}

// grace is a grace note placed relative to its main stroke: before
// seconds earlier, at the main stroke's velocity times rel.
type grace struct {
	piece  Piece
	before float64
	rel    float64
}

func (g *gen) generate() {
	st := g.st
	barQ := g.meter.quarters()
	barSec := barQ * 60 / g.bpm
	// Start anywhere in the first beat so that onsets are not all on a grid
	// anchored at zero.
	g.offset = 0.02 + g.rng.Float64()*60/g.bpm
	usable := g.opt.Seconds - g.offset
	nbars := int(math.Ceil(usable / barSec))
	if nbars < 1 {
		nbars = 1
	}
	whole := int(math.Floor((usable - 0.06) / barSec)) // bars that end before the track does
	secs := g.plan(nbars, whole)
	idx := 0
	for si := range secs {
		s := &secs[si]
		for b := 0; b < s.bars; b++ {
			br := &bar{
				g: g, start: float64(idx) * barQ, steps: st.steps, perBeat: st.perBeat,
				beats: st.steps / st.perBeat, stepQ: barQ / float64(st.steps), sec: s,
				first: b == 0, last: b == s.bars-1, index: b, fillFrom: st.steps,
			}
			if br.last && s.fill > 0 {
				br.fillFrom = st.steps - int(math.Round(s.fill*float64(st.perBeat)))
				if br.fillFrom < 0 {
					br.fillFrom = 0
				}
			}
			st.pattern(br)
			if br.fillFrom < br.steps {
				if st.fill != nil {
					st.fill(br)
				} else {
					br.fill()
				}
			}
			if br.first && s.crash {
				br.crashDownbeat()
			}
			br.flush()
			idx++
		}
	}
	// Drop what the track end cuts: no stroke in its last 50 ms, where the
	// final fade would hide it.
	// A grace note goes with its main stroke.
	kept := g.hits[:0]
	for _, h := range g.hits {
		end := g.opt.Seconds - 0.05
		if h.Stroke == StrokeGrace {
			end -= dragGap[1] + dragDouble[1]
		}
		if h.Time >= 0 && h.Time < end {
			kept = append(kept, h)
		}
	}
	g.hits = dedupe(kept)
}

// plan splits nbars into sections and decides each one's hand, dynamics,
// crash and fill. whole is the number of bars that fit entirely.
func (g *gen) plan(nbars, whole int) []section {
	st := g.st
	var secs []section
	for left := nbars; left > 0; {
		n := []int{2, 4, 4, 4, 8, 8}[g.rng.IntN(6)]
		if n > left {
			n = left
		}
		s := section{
			bars:      n,
			hand:      st.hands.pick(g.rng),
			level:     0.72 + 0.28*g.rng.Float64(),
			crash:     g.rng.Float64() < 0.8,
			variation: 0.2 + 0.8*g.rng.Float64(),
			alt:       g.rng.Float64() < 0.35,
		}
		if g.rng.Float64() < 0.75 {
			s.fill = []float64{1, 1, 2, 2, 4}[g.rng.IntN(5)]
			if s.fill > float64(st.steps/st.perBeat) {
				s.fill = float64(st.steps / st.perBeat)
			}
		}
		secs = append(secs, s)
		left -= n
	}
	// The very first downbeat gets a crash less often than a section change.
	secs[0].crash = g.rng.Float64() < 0.6
	if !g.opt.AllStems || whole < 2 {
		return secs
	}
	// Coverage. The ride goes into a later section that has a whole bar
	// inside the track; split the first section to make one if needed.
	start := func(i int) int {
		n := 0
		for _, s := range secs[:i] {
			n += s.bars
		}
		return n
	}
	rideAt := -1
	for i := 1; i < len(secs); i++ {
		if start(i) <= whole-1 {
			rideAt = i
		}
	}
	hasRide := st.alwaysRide
	for i, s := range secs {
		if start(i) <= whole-1 && (s.hand == handRide || s.hand == handRideBell) {
			hasRide = true
		}
	}
	if !hasRide && rideAt < 0 && secs[0].bars >= 2 {
		a := secs[0]
		a.bars = max(1, min(secs[0].bars, whole)/2)
		b := secs[0]
		b.bars -= a.bars
		b.crash = true
		secs = append([]section{a, b}, secs[1:]...)
		rideAt = 1
	}
	if !hasRide && rideAt >= 0 {
		secs[rideAt].hand = handRide
		if secs[rideAt].bars == 1 {
			secs[rideAt].fill = math.Min(secs[rideAt].fill, 1)
		}
	}
	// A crash on the first downbeat; a tom fill in the last section that
	// ends inside the track.
	secs[0].crash = true
	lastWhole, hasToms := -1, false
	for i, s := range secs {
		if start(i)+s.bars <= whole {
			lastWhole = i
			hasToms = hasToms || (s.fill > 0 && s.tomFill)
		}
	}
	if !hasToms && lastWhole >= 0 {
		s := &secs[lastWhole]
		s.tomFill = true
		if s.fill == 0 {
			s.fill = math.Min(2, float64(st.steps/st.perBeat))
		}
	}
	return secs
}

// minGap is the shortest time between two strokes in one stem: closer
// strokes (a pattern and a fill writing the same step, the foot closing the
// hi-hat as the stick strikes it, two crashes on one downbeat) are heard as
// one, so only the first is kept, at the louder velocity.
const minGap = 0.03

// dedupe applies minGap per stem and sorts the hits by time. Grace notes
// are exempt, as is the main stroke after one: a flam is two strokes. A
// grace note is dropped, though, when a stroke that is not a grace note
// sounds less than minGap before it in its stem: it would be heard as part
// of that stroke.
func dedupe(hits []Hit) []Hit {
	sort.SliceStable(hits, func(i, j int) bool {
		if si, sj := hits[i].Piece.Stem(), hits[j].Piece.Stem(); si != sj {
			return si < sj
		}
		return hits[i].Time < hits[j].Time
	})
	out := hits[:0]
	for i, h := range hits {
		if i > 0 {
			prev := &out[len(out)-1]
			if prev.Piece.Stem() == h.Piece.Stem() && h.Time-prev.Time < minGap {
				if h.Stroke == StrokeGrace {
					if prev.Stroke != StrokeGrace {
						continue
					}
				} else if prev.Stroke != StrokeGrace {
					prev.Velocity = math.Max(prev.Velocity, h.Velocity)
					continue
				}
			}
		}
		out = append(out, h)
	}
	g := Groove{Hits: out}
	g.sortHits()
	return g.Hits
}

// add writes a stroke at grid step (fractional steps allowed) with a
// velocity before humanisation.
func (b *bar) add(step float64, p Piece, vel float64) {
	b.ev = append(b.ev, event{step: step, piece: p, vel: vel})
}

// flush swings, humanises and stores the bar's strokes.
func (b *bar) flush() {
	g := b.g
	for _, e := range b.ev {
		q := g.swingQ(b.start + e.step*b.stepQ)
		t := g.offset + q*60/g.bpm
		// A per-piece push/drag plus Gaussian jitter clipped at 3σ.
		// Rolls are played evenly, within 2 ms: a sloppier roll would
		// have strokes run together.
		sd := g.tight
		if e.stroke == StrokeRoll {
			sd = math.Min(sd, rollTight)
		}
		t += g.drag[e.piece.Stem()] + clamp(g.rng.NormFloat64(), -3, 3)*sd
		v := clamp(e.vel*b.sec.level*(1+g.velSpread*clamp(g.rng.NormFloat64(), -3, 3)), 0.04, 1)
		g.hits = append(g.hits, Hit{Time: t, Piece: e.piece, Velocity: v, Stroke: e.stroke})
		// Grace notes move with their main stroke (one motion of the
		// hands) and keep their level below it: 10–20 dB, never under
		// the floor of 0.04.
		for _, gr := range e.graces {
			if v*graceRel[1] < 0.04 {
				continue // too soft a main stroke to have a softer grace note
			}
			rel := clamp(gr.rel, math.Max(graceRel[0], 0.04/v), graceRel[1])
			g.hits = append(g.hits, Hit{Time: t - gr.before, Piece: gr.piece, Velocity: clamp(v*rel, 0.04, 1), Stroke: StrokeGrace})
		}
	}
	b.ev = b.ev[:0]
}

// swingQ moves off-beat positions within each swing pair (an 8th or a 16th
// note pair, by style) so that the off-beat falls at the swing ratio.
func (g *gen) swingQ(q float64) float64 {
	if g.swing <= 0.5 || g.st.swingUnit == 0 {
		return q
	}
	u := g.st.swingUnit
	base := math.Floor(q/u+1e-9) * u
	f := (q - base) / u
	if f < 0.5 {
		f = f / 0.5 * g.swing
	} else {
		f = g.swing + (f-0.5)/0.5*(1-g.swing)
	}
	return base + f*u
}

// chance reports true with probability p scaled by the section's variation.
func (b *bar) chance(p float64) bool { return b.g.rng.Float64() < p*b.sec.variation }

// prob reports true with probability p.
func (b *bar) prob(p float64) bool { return b.g.rng.Float64() < p }

// beat returns the grid step of beat i.
func (b *bar) beat(i int) int { return i * b.perBeat }

// handPart plays the section's hand on every `every` steps up to the fill.
func (b *bar) handPart(every int) {
	var steps []int
	for step := 0; step < b.steps; step += every {
		steps = append(steps, step)
	}
	b.handAt(steps)
}

// handAt plays the section's hand on the given steps (those before the
// fill), accenting the beats. Ride and crash hands get the hi-hat pedal on
// the backbeat; hi-hat hands sometimes open the hat on the bar's last
// stroke, closed by the foot on the next downbeat.
func (b *bar) handAt(steps []int) {
	s := b.sec
	last := -1
	for i, step := range steps {
		if step >= b.fillFrom {
			break
		}
		last = step
		onBeat := step%b.perBeat == 0
		vel := 0.62
		if onBeat {
			vel = 0.85
		}
		switch s.hand {
		case handHat:
			b.add(float64(step), PieceHatClosed, vel)
		case handHat16:
			next := b.steps
			if i+1 < len(steps) {
				next = steps[i+1]
			}
			for k := step; k < next && k < b.fillFrom; k++ {
				v := 0.5
				switch {
				case k%b.perBeat == 0:
					v = 0.85
				case k%2 == 0:
					v = 0.65
				}
				b.add(float64(k), PieceHatClosed, v)
				last = k
			}
		case handHalf:
			b.add(float64(step), PieceHatHalfOpen, vel)
		case handRide:
			b.add(float64(step), PieceRide, vel)
		case handRideBell:
			b.add(float64(step), PieceRideBell, vel*0.9)
		case handCrash:
			if onBeat {
				b.add(float64(step), PieceCrash, 0.8)
			}
		case handOpenPedal:
			switch {
			case onBeat:
				b.add(float64(step), PieceHatPedal, 0.6)
			case b.perBeat%2 == 0 && step%(b.perBeat/2) == 0:
				b.add(float64(step), PieceHatOpen, 0.8)
			}
		case handHatOpens:
			// An off-beat opened rings until the next stroke closes it,
			// an 8th note later: long enough to be heard open.
			if !onBeat && b.prob(0.4) {
				b.add(float64(step), PieceHatOpen, 0.75)
			} else {
				b.add(float64(step), PieceHatClosed, vel)
			}
		case handOpen:
			switch {
			case onBeat:
				b.add(float64(step), PieceHatClosed, 0.7)
			case b.perBeat%2 == 0 && step%(b.perBeat/2) == 0:
				b.add(float64(step), PieceHatOpen, 0.75)
			}
		}
	}
	if s.hand == handRide || s.hand == handCrash || s.hand == handRideBell {
		b.pedalBackbeat()
	}
	if (s.hand == handHat || s.hand == handHat16) && last > 0 && b.fillFrom == b.steps && b.chance(0.35) {
		b.replace(float64(last), PieceHatClosed, PieceHatOpen)
		b.add(float64(b.steps), PieceHatPedal, 0.6)
	}
}

// put writes a pattern stroke unless the fill has taken over the step.
func (b *bar) put(step int, p Piece, vel float64) {
	if step < b.fillFrom {
		b.add(float64(step), p, vel)
	}
}

// pedalBackbeat plays the hi-hat pedal on the bar's even beats (2 and 4).
func (b *bar) pedalBackbeat() {
	for i := 1; i < b.beats; i += 2 {
		if step := b.beat(i); step < b.fillFrom {
			b.add(float64(step), PieceHatPedal, 0.65)
		}
	}
}

// replace changes the piece of the stroke this bar wrote at step, if any.
func (b *bar) replace(step float64, from, to Piece) {
	for i := range b.ev {
		if e := &b.ev[i]; e.piece == from && e.step == step {
			e.piece = to
			return
		}
	}
}

// crashDownbeat puts a crash (with a kick) on the bar's first beat, taking
// the place of the hand's stroke there.
func (b *bar) crashDownbeat() {
	kept := b.ev[:0]
	hasKick := false
	for _, e := range b.ev {
		if e.step == 0 {
			switch e.piece {
			case PieceHatClosed, PieceHatHalfOpen, PieceRide, PieceRideBell:
				continue
			case PieceKick:
				hasKick = true
			}
		}
		kept = append(kept, e)
	}
	b.ev = kept
	p := PieceCrash
	switch r := b.g.rng.Float64(); {
	case r < 0.2:
		p = PieceCrash2
	case r < 0.25:
		p = PieceChina
	case r < 0.3:
		p = PieceSplash
	}
	b.add(0, p, 0.95)
	if !hasKick {
		b.add(0, PieceKick, 0.9)
	}
}

// fill writes a fill from fillFrom to the end of the bar: tom runs, snare
// builds, or a mix, on 16ths, 8ths or triplets, with kicks under the beats
// and a crescendo.
func (b *bar) fill() {
	g := b.g
	n := b.steps - b.fillFrom
	if n <= 0 {
		return
	}
	// Note spacing: every step (16ths / triplets) or every other (8ths).
	every := 1
	if b.perBeat%2 == 0 && g.rng.Float64() < 0.3 {
		every = 2
	}
	kind := g.rng.IntN(4)
	if b.sec.tomFill && kind == 3 {
		kind = g.rng.IntN(3)
	}
	toms := []Piece{PieceTomHigh, PieceTomMid, PieceTomLow}
	var strokes []int
	for s := b.fillFrom; s < b.steps; s += every {
		strokes = append(strokes, s)
	}
	tom := false
	for i, s := range strokes {
		frac := float64(i) / float64(max(1, len(strokes)-1))
		vel := 0.6 + 0.35*frac
		var p Piece
		switch kind {
		case 0: // descending run: snare, then high to low toms
			seg := int(frac * 3.999)
			p = []Piece{PieceSnare, PieceTomHigh, PieceTomMid, PieceTomLow}[seg]
		case 1: // toms at random, accents on beats
			p = toms[g.rng.IntN(3)]
			if g.rng.Float64() < 0.2 {
				p = PieceSnare
			}
		case 2: // snare and floor tom alternating in pairs
			if (i/2)%2 == 0 {
				p = PieceSnare
			} else {
				p = toms[2-g.rng.IntN(2)]
			}
		default: // snare build
			p = PieceSnare
			vel = 0.35 + 0.6*frac
		}
		if s%b.perBeat == 0 {
			vel = math.Min(1, vel+0.1)
		}
		if b.sec.tomFill && i == len(strokes)-1 && !tom {
			p = PieceTomLow // the fill must reach the toms
		}
		tom = tom || p.Stem() == Toms
		b.add(float64(s), p, vel)
		if s%b.perBeat == 0 && g.rng.Float64() < 0.6 {
			b.add(float64(s), PieceKick, 0.75)
		}
	}
	// Keep time with the foot under longer fills.
	if n >= 2*b.perBeat && g.rng.Float64() < 0.5 {
		for s := b.fillFrom; s < b.steps; s += b.perBeat {
			b.add(float64(s), PieceHatPedal, 0.5)
		}
	}
}

// weighted is a list of choices with weights.
type weighted[T any] []struct {
	v T
	w float64
}

func (w weighted[T]) pick(rng *rand.Rand) T {
	total := 0.0
	for _, c := range w {
		total += c.w
	}
	r := rng.Float64() * total
	for _, c := range w {
		if r < c.w {
			return c.v
		}
		r -= c.w
	}
	return w[len(w)-1].v
}
