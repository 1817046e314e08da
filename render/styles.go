package render

// style is one groove family: its tempo range, meter and grid, its swing,
// the hand parts its sections choose from, and the pattern of one bar.
type style struct {
	name       string
	bpm        [2]float64 // quarter-note tempo range
	meter      Meter
	steps      int        // grid steps per bar
	perBeat    int        // grid steps per beat (pulse)
	swing      [2]float64 // range of the swing ratio; 0.5 is straight
	swingUnit  float64    // quarter notes per swing pair (1 = 8ths, 0.5 = 16ths); 0 = no swing
	hands      weighted[hand]
	alwaysRide bool // the style keeps time on the ride whatever the section says
	pattern    func(b *bar)
	// fill, if set, replaces the generic fill (bar.fill).
	fill func(b *bar)
	// byName keeps the style out of the random choice: it is played only
	// when asked for. Such styles come last in styles.
	byName bool
}

// oneOf returns one of the steps at random.
func (b *bar) oneOf(steps ...int) int { return steps[b.g.rng.IntN(len(steps))] }

// ghosts scatters soft snare strokes over the given steps.
func (b *bar) ghosts(p float64, steps ...int) {
	for _, s := range steps {
		if b.chance(p) {
			b.put(s, PieceSnare, 0.12+0.18*b.g.rng.Float64())
		}
	}
}

// backbeat plays the snare (or, in an alternative section of styles that
// use it, the side stick) with the occasional rimshot accent.
func (b *bar) backbeat(step int, vel float64, stick bool) {
	switch {
	case stick:
		b.put(step, PieceSideStick, vel*0.9)
	case b.sec.level > 0.9 && b.prob(0.3):
		b.put(step, PieceRimshot, vel)
	default:
		b.put(step, PieceSnare, vel)
	}
}

var styles = []style{
	{
		name: "rock", bpm: [2]float64{80, 160}, meter: Meter{4, 4}, steps: 16, perBeat: 4,
		swing: [2]float64{0.5, 0.5},
		hands: weighted[hand]{{handHat, 5}, {handHat16, 1}, {handRide, 2}, {handHalf, 1}, {handCrash, 0.5}},
		pattern: func(b *bar) {
			b.handPart(2)
			b.put(0, PieceKick, 0.9)
			b.put(8, PieceKick, 0.85)
			if b.chance(0.5) {
				b.put(10, PieceKick, 0.7)
			}
			if b.chance(0.3) {
				b.put(6, PieceKick, 0.65)
			}
			if b.chance(0.2) {
				b.put(14, PieceKick, 0.65)
			}
			if b.chance(0.15) {
				b.put(b.oneOf(3, 7, 11, 15), PieceKick, 0.6)
			}
			b.backbeat(4, 0.9, false)
			b.backbeat(12, 0.92, false)
			b.ghosts(0.08, 2, 7, 10, 15)
		},
	},
	{
		name: "pop", bpm: [2]float64{88, 132}, meter: Meter{4, 4}, steps: 16, perBeat: 4,
		swing: [2]float64{0.5, 0.5},
		hands: weighted[hand]{{handHat16, 3}, {handHat, 3}, {handRide, 1}, {handHalf, 1}},
		pattern: func(b *bar) {
			b.handPart(2)
			b.put(0, PieceKick, 0.85)
			b.put(8, PieceKick, 0.8)
			if b.chance(0.6) {
				b.put(b.oneOf(6, 10, 11), PieceKick, 0.7)
			}
			b.backbeat(4, 0.85, b.sec.alt)
			b.backbeat(12, 0.88, b.sec.alt)
		},
	},
	{
		name: "funk", bpm: [2]float64{84, 116}, meter: Meter{4, 4}, steps: 16, perBeat: 4,
		swing: [2]float64{0.5, 0.58}, swingUnit: 0.5,
		hands: weighted[hand]{{handHat16, 5}, {handHat, 2}, {handRide, 1}, {handHalf, 0.5}},
		pattern: func(b *bar) {
			b.handPart(2)
			b.put(0, PieceKick, 0.9)
			for _, s := range []int{3, 6, 7, 10, 11, 14, 15} {
				if b.chance(0.3) {
					b.put(s, PieceKick, 0.65+0.2*b.g.rng.Float64())
				}
			}
			b.backbeat(4, 0.95, false)
			b.backbeat(12, 0.95, false)
			if b.chance(0.25) {
				b.backbeat(b.oneOf(7, 9, 15), 0.8, false)
			}
			b.ghosts(0.4, 1, 2, 3, 5, 6, 9, 10, 11, 13, 14)
		},
	},
	{
		name: "halftime", bpm: [2]float64{120, 170}, meter: Meter{4, 4}, steps: 16, perBeat: 4,
		swing: [2]float64{0.5, 0.56}, swingUnit: 0.5,
		hands: weighted[hand]{{handHat, 3}, {handHat16, 2}, {handRide, 2}, {handHalf, 1}},
		pattern: func(b *bar) {
			b.handPart(2)
			b.put(0, PieceKick, 0.9)
			for _, s := range []int{3, 6, 10, 11, 14} {
				if b.chance(0.3) {
					b.put(s, PieceKick, 0.7)
				}
			}
			b.backbeat(8, 0.95, false)
			b.ghosts(0.2, 3, 5, 7, 13, 15)
		},
	},
	{
		name: "shuffle", bpm: [2]float64{96, 150}, meter: Meter{4, 4}, steps: 12, perBeat: 3,
		hands: weighted[hand]{{handHat, 4}, {handRide, 3}, {handHalf, 1}},
		pattern: func(b *bar) {
			var hs []int
			for beat := 0; beat < 4; beat++ {
				hs = append(hs, 3*beat, 3*beat+2)
			}
			b.handAt(hs)
			b.put(0, PieceKick, 0.9)
			b.put(6, PieceKick, 0.85)
			if b.chance(0.4) {
				b.put(8, PieceKick, 0.7)
			}
			if b.chance(0.3) {
				b.put(11, PieceKick, 0.65)
			}
			b.backbeat(3, 0.9, false)
			b.backbeat(9, 0.92, false)
			b.ghosts(0.35, 1, 2, 4, 5, 7, 8, 10, 11)
		},
	},
	{
		name: "jazz", bpm: [2]float64{100, 220}, meter: Meter{4, 4}, steps: 12, perBeat: 3,
		hands:      weighted[hand]{{handRide, 6}, {handRideBell, 1}},
		alwaysRide: true,
		pattern: func(b *bar) {
			b.handAt([]int{0, 3, 5, 6, 9, 11})
			for beat := 0; beat < 4; beat++ {
				if b.prob(0.45) {
					b.put(3*beat, PieceKick, 0.25) // feathering
				}
			}
			for s := 0; s < 12; s++ {
				if b.chance(0.15) {
					b.put(s, PieceSnare, 0.3+0.3*b.g.rng.Float64())
				}
			}
			if b.chance(0.2) {
				b.put(b.oneOf(2, 5, 8, 11), PieceKick, 0.75) // a bomb
			}
			if b.first {
				b.put(0, PieceKick, 0.6)
			}
			if b.last {
				b.put(9, PieceSnare, 0.6) // a comping accent closing the section
			}
		},
	},
	{
		name: "disco", bpm: [2]float64{108, 128}, meter: Meter{4, 4}, steps: 16, perBeat: 4,
		swing: [2]float64{0.5, 0.5},
		hands: weighted[hand]{{handOpen, 5}, {handHat16, 2}, {handRide, 1}},
		pattern: func(b *bar) {
			b.handPart(2)
			for beat := 0; beat < 4; beat++ {
				b.put(4*beat, PieceKick, 0.88)
			}
			b.backbeat(4, 0.9, false)
			b.backbeat(12, 0.9, false)
			b.ghosts(0.1, 7, 15)
		},
	},
	{
		name: "metal", bpm: [2]float64{140, 200}, meter: Meter{4, 4}, steps: 16, perBeat: 4,
		swing: [2]float64{0.5, 0.5},
		hands: weighted[hand]{{handHat, 3}, {handCrash, 3}, {handRide, 2}, {handRideBell, 0.5}},
		pattern: func(b *bar) {
			b.handPart(2)
			step := 2
			if b.sec.alt {
				step = 1 // double kick in 16ths
			}
			for s := 0; s < 16; s += step {
				b.put(s, PieceKick, 0.8)
			}
			if b.sec.variation > 0.6 {
				b.backbeat(8, 0.95, false) // half-time snare
			} else {
				b.backbeat(4, 0.95, false)
				b.backbeat(12, 0.95, false)
			}
		},
	},
	{
		name: "reggae", bpm: [2]float64{66, 90}, meter: Meter{4, 4}, steps: 16, perBeat: 4,
		swing: [2]float64{0.55, 0.66}, swingUnit: 1,
		hands: weighted[hand]{{handHat, 5}, {handHat16, 1}, {handRide, 1}},
		pattern: func(b *bar) {
			b.handPart(2)
			// One drop: kick and snare (or side stick) together on beat 3.
			b.put(8, PieceKick, 0.9)
			b.backbeat(8, 0.85, !b.sec.alt)
			if b.chance(0.2) {
				b.put(14, PieceKick, 0.6)
			}
		},
	},
	{
		name: "waltz", bpm: [2]float64{90, 180}, meter: Meter{3, 4}, steps: 12, perBeat: 4,
		swing: [2]float64{0.5, 0.6}, swingUnit: 1,
		hands: weighted[hand]{{handHat, 4}, {handRide, 2}, {handHalf, 1}},
		pattern: func(b *bar) {
			b.handPart(2)
			b.put(0, PieceKick, 0.9)
			if b.chance(0.3) {
				b.put(10, PieceKick, 0.6)
			}
			if b.sec.alt {
				b.backbeat(8, 0.85, false)
			} else {
				b.backbeat(4, 0.75, false)
				b.backbeat(8, 0.8, false)
			}
		},
	},
	{
		name: "sixeight", bpm: [2]float64{56, 100}, meter: Meter{6, 8}, steps: 12, perBeat: 6,
		swing: [2]float64{0.5, 0.5},
		hands: weighted[hand]{{handHat, 4}, {handRide, 2}, {handHalf, 1}},
		pattern: func(b *bar) {
			b.handPart(2)
			b.put(0, PieceKick, 0.9)
			if b.chance(0.3) {
				b.put(10, PieceKick, 0.65)
			}
			if b.chance(0.2) {
				b.put(4, PieceKick, 0.6)
			}
			b.backbeat(6, 0.9, b.sec.alt)
			b.ghosts(0.15, 3, 9, 11)
		},
	},
	{
		name: "hiphop", bpm: [2]float64{78, 100}, meter: Meter{4, 4}, steps: 16, perBeat: 4,
		swing: [2]float64{0.52, 0.62}, swingUnit: 0.5,
		hands: weighted[hand]{{handHat, 4}, {handHat16, 3}, {handRide, 1}},
		pattern: func(b *bar) {
			b.handPart(2)
			b.put(0, PieceKick, 0.95)
			for _, s := range []int{3, 7, 10, 11, 14} {
				if b.chance(0.35) {
					b.put(s, PieceKick, 0.75)
				}
			}
			b.backbeat(4, 0.95, false)
			b.backbeat(12, 0.95, false)
			b.ghosts(0.1, 7, 15)
		},
	},
	{
		name: "punk", bpm: [2]float64{160, 210}, meter: Meter{4, 4}, steps: 16, perBeat: 4,
		swing: [2]float64{0.5, 0.5},
		hands: weighted[hand]{{handHat, 3}, {handCrash, 2}, {handRide, 2}, {handHalf, 1}},
		pattern: func(b *bar) {
			b.handPart(2)
			if b.sec.alt {
				// "Polka" beat: kick on the beats, snare on the off-beats.
				for beat := 0; beat < 4; beat++ {
					b.put(4*beat, PieceKick, 0.85)
					b.backbeat(4*beat+2, 0.85, false)
				}
				return
			}
			b.put(0, PieceKick, 0.9)
			b.put(8, PieceKick, 0.85)
			for _, s := range []int{2, 6, 10, 14} {
				if b.chance(0.4) {
					b.put(s, PieceKick, 0.75)
				}
			}
			b.backbeat(4, 0.95, false)
			b.backbeat(12, 0.95, false)
		},
	},
	{
		name: "ballad", bpm: [2]float64{58, 84}, meter: Meter{4, 4}, steps: 16, perBeat: 4,
		swing: [2]float64{0.5, 0.56}, swingUnit: 0.5,
		hands: weighted[hand]{{handHat, 3}, {handHat16, 2}, {handRide, 2}, {handRideBell, 0.3}},
		pattern: func(b *bar) {
			b.handPart(2)
			b.put(0, PieceKick, 0.85)
			if b.chance(0.5) {
				b.put(b.oneOf(6, 7), PieceKick, 0.6)
			}
			b.put(10, PieceKick, 0.75)
			b.backbeat(4, 0.8, b.sec.alt)
			b.backbeat(12, 0.85, b.sec.alt)
			b.ghosts(0.12, 7, 14, 15)
		},
	},
	{
		// Rudiments: a test set for transcription rather than a genre.
		// Rolls, flams, drags, open and pedal hi-hats, kick + crash
		// stabs and ghost notes under accents, at tempos where 16th
		// rolls run at 75–107 ms and 32nd rolls at 54–75 ms (rudiments.go).
		name: "rudiments", bpm: [2]float64{100, 200}, meter: Meter{4, 4}, steps: 16, perBeat: 4,
		swing:   [2]float64{0.5, 0.5},
		hands:   weighted[hand]{{handHatOpens, 3}, {handOpenPedal, 2}, {handHat16, 1}, {handRide, 1.5}, {handHalf, 0.5}},
		pattern: rudimentsBar,
		fill:    rudimentsFill,
		byName:  true,
	},
}
