package render

import "math"

// The rudiments style (styles.go) plays what a drum transcriber finds
// hardest, often: single-stroke rolls in 16ths (above 140 BPM) or 32nds
// (up to 140 BPM) on the snare and the toms, six-stroke rolls, flams and
// drags on accents, open hi-hats closed by the next stroke or by the pedal,
// kick and crash together, and ghost notes between accents.

// Grace notes: a flam's grace note sounds 15–35 ms before its main stroke
// (eval.FlamWindow merges reference onsets under 10 ms, so every one of
// them counts) and 10–20 dB below it; a drag's two grace notes are a quick
// double stroke, 18–30 ms apart, the second 15–30 ms before the main one.
var (
	flamGap    = [2]float64{0.015, 0.035}
	dragGap    = [2]float64{0.015, 0.030} // second grace note → main stroke
	dragDouble = [2]float64{0.018, 0.030} // first → second grace note
	graceRel   = [2]float64{0.1, 0.316}   // grace / main velocity: −20 to −10 dB
)

// rollTight is the timing standard deviation of roll strokes, seconds.
const rollTight = 0.002

// rollSub returns the roll strokes per grid step (16th): 32nds up to 140
// BPM, 16ths above.
func (b *bar) rollSub() int {
	if b.g.bpm <= 140 {
		return 2
	}
	return 1
}

// between returns a uniform value in r.
func (b *bar) between(r [2]float64) float64 { return r[0] + b.g.rng.Float64()*(r[1]-r[0]) }

// graceVel draws a grace note's velocity relative to its main stroke.
func (b *bar) graceVel() float64 { return b.between(graceRel) }

// flam writes a main stroke with a grace note before it, on the same
// piece (or, across the kit, on another piece of the same stem).
func (b *bar) flam(step float64, p, gp Piece, vel float64) {
	b.ev = append(b.ev, event{step: step, piece: p, vel: vel,
		graces: []grace{{piece: gp, before: b.between(flamGap), rel: b.graceVel()}}})
}

// drag writes a main stroke with two grace notes before it.
func (b *bar) drag(step float64, p Piece, vel float64) {
	second := b.between(dragGap)
	first := second + b.between(dragDouble)
	rel := b.graceVel()
	b.ev = append(b.ev, event{step: step, piece: p, vel: vel, graces: []grace{
		{piece: p, before: first, rel: rel},
		{piece: p, before: second, rel: rel * (0.85 + 0.15*b.g.rng.Float64())},
	}})
}

// roll writes a single-stroke roll on p from step from (included) to to
// (excluded), sub strokes per step, in a crescendo from v0 to v1 with the
// leading hand a little louder.
func (b *bar) roll(from, to float64, sub int, p func(i, n int) Piece, v0, v1 float64) {
	n := int(math.Round((to - from) * float64(sub)))
	for i := 0; i < n; i++ {
		frac := float64(i) / float64(max(1, n-1))
		v := v0 + (v1-v0)*frac
		if i%2 == 1 {
			v *= 0.92
		}
		b.ev = append(b.ev, event{step: from + float64(i)/float64(sub), piece: p(i, n), vel: v, stroke: StrokeRoll})
	}
}

// sixStroke writes six-stroke rolls (R LL RR L, accents on the singles) in
// sextuplets, one per beat from step from to the bar's end: accents on
// acc, the doubles soft on the snare.
func (b *bar) sixStroke(from int, acc Piece) {
	for s := from; s+b.perBeat <= b.steps; s += b.perBeat {
		for i := 0; i < 6; i++ {
			p, v := PieceSnare, 0.3+0.08*b.g.rng.Float64()
			if i%2 == 0 && i > 0 {
				v *= 0.9 // the second stroke of a double
			}
			if i == 0 || i == 5 {
				p, v = acc, 0.9
			}
			b.ev = append(b.ev, event{step: float64(s) + float64(i*b.perBeat)/6, piece: p, vel: v, stroke: StrokeRoll})
		}
	}
}

// dropAt removes the hand's hi-hat, ride or crash strokes at step: the hand
// plays something else there.
func (b *bar) dropAt(step float64) {
	kept := b.ev[:0]
	for _, e := range b.ev {
		if e.step == step {
			switch e.piece.Stem() {
			case HiHat, Ride, Crash:
				if e.piece != PieceHatPedal {
					continue
				}
			}
		}
		kept = append(kept, e)
	}
	b.ev = kept
}

// rudimentsBar is the rudiments style's bar: a backbeat groove whose
// accents are flams or drags, with ghost notes between them, kick + crash
// stabs, and most bars ending in a roll or a rudiment passage (the fill),
// where the hand leaves the hi-hat.
func rudimentsBar(b *bar) {
	if b.fillFrom == b.steps && b.prob(0.5) {
		b.fillFrom = b.steps - b.perBeat*(1+b.g.rng.IntN(2))
	}
	b.handPart(2)
	b.put(0, PieceKick, 0.9)
	b.put(8, PieceKick, 0.85)
	if b.chance(0.5) {
		b.put(b.oneOf(6, 10, 11), PieceKick, 0.7)
	}
	dragged := map[int]bool{}
	for _, s := range []int{4, 12} {
		if s >= b.fillFrom {
			continue
		}
		switch r := b.g.rng.Float64(); {
		case r < 0.4:
			b.flam(float64(s), PieceSnare, PieceSnare, 0.92)
		case r < 0.55:
			b.drag(float64(s), PieceSnare, 0.9)
			dragged[s] = true
		default:
			b.backbeat(s, 0.9, false)
		}
	}
	// Ghost notes between the accents, never just before a drag, whose
	// grace notes would run into them.
	for _, s := range []int{1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15} {
		if !dragged[s+1] && b.chance(0.45) {
			b.put(s, PieceSnare, 0.1+0.15*b.g.rng.Float64())
		}
	}
	// Kick and crash together off the downbeat.
	if b.prob(0.3) {
		s := b.oneOf(6, 14)
		if s < b.fillFrom {
			b.dropAt(float64(s))
			b.add(float64(s), PieceCrash, 0.9)
			b.add(float64(s), PieceKick, 0.9)
		}
	}
}

// rudimentsFill plays the bar from fillFrom on: a single-stroke roll on the
// snare or around the toms, six-stroke rolls, flam taps or drags, with
// kicks and the hi-hat pedal under the beats.
func rudimentsFill(b *bar) {
	g := b.g
	from := b.fillFrom
	toms := []Piece{PieceTomHigh, PieceTomMid, PieceTomLow}
	kind := g.rng.IntN(5)
	if b.sec.tomFill && (kind == 0 || kind == 4) {
		kind = 1 + g.rng.IntN(3)
	}
	sub := b.rollSub()
	switch kind {
	case 0: // snare roll
		b.roll(float64(from), float64(b.steps), sub, func(int, int) Piece { return PieceSnare }, 0.4, 0.95)
	case 1: // around the toms, one tom per beat, high to low
		b.roll(float64(from), float64(b.steps), sub, func(i, k int) Piece {
			return toms[min(2, i*3/max(1, k))]
		}, 0.5, 0.95)
	case 2: // six-stroke rolls, accents on the snare or the floor tom
		acc := PieceSnare
		if b.sec.tomFill || b.prob(0.5) {
			acc = PieceTomLow
		}
		b.sixStroke(from, acc)
	case 3: // flam taps: a flam on each 8th, a soft tap between
		for s := from; s < b.steps; s += 2 {
			p := PieceSnare
			if b.sec.tomFill || b.prob(0.5) {
				p = toms[g.rng.IntN(3)]
			}
			b.flam(float64(s), p, p, 0.85+0.1*g.rng.Float64())
			b.add(float64(s+1), p, 0.35+0.1*g.rng.Float64())
		}
	default: // drags on the 8ths
		for s := from; s < b.steps; s += 2 {
			b.drag(float64(s), PieceSnare, 0.8+0.15*g.rng.Float64())
		}
	}
	for s := from; s < b.steps; s += b.perBeat {
		if b.prob(0.5) {
			b.add(float64(s), PieceKick, 0.75)
		}
		if b.prob(0.5) {
			b.add(float64(s), PieceHatPedal, 0.55)
		}
	}
}
