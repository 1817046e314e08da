package render

import (
	"math"
	"reflect"
	"testing"
)

// TestRudiments checks the rudiments style's grooves: the same seed gives
// the same groove; rolls run at 16ths above 140 BPM and 32nds up to it,
// evenly; every grace note sounds 15–35 ms before its main stroke (or
// before the other grace note of a drag) and 10–20 dB below it; open and
// pedal hi-hats, kick + crash together and ghost notes all occur.
func TestRudiments(t *testing.T) {
	a, err := Generate(GrooveOptions{Seconds: 30, Style: "rudiments", AllStems: true}, NewRand(7))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(GrooveOptions{Seconds: 30, Style: "rudiments", AllStems: true}, NewRand(7))
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed gave different grooves")
	}
	const eps = 1e-9
	for _, bpm := range []float64{120, 180} {
		sixteenth := 60 / bpm / 4
		roll := sixteenth // the roll's spacing at this tempo
		if bpm <= 140 {
			roll /= 2
		}
		sextuplet := 60 / bpm / 6
		count := map[string]int{}
		for seed := uint64(0); seed < 12; seed++ {
			g, err := Generate(GrooveOptions{Seconds: 30, Style: "rudiments", BPM: bpm, AllStems: true}, NewRand(seed))
			if err != nil {
				t.Fatal(err)
			}
			byStem := map[Stem][]Hit{}
			for _, h := range g.Hits {
				byStem[h.Piece.Stem()] = append(byStem[h.Piece.Stem()], h)
				switch {
				case h.Piece == PieceHatOpen:
					count["open"]++
				case h.Piece == PieceHatPedal:
					count["pedal"]++
				case h.Piece == PieceSnare && h.Stroke == StrokePlain && h.Velocity < 0.3:
					count["ghost"]++
				}
			}
			for _, k := range byStem[Kick] {
				for _, c := range byStem[Crash] {
					if math.Abs(k.Time-c.Time) < 0.02 && c.Time > 0.1 {
						count["kick+crash"]++
					}
				}
			}
			for st, hs := range byStem {
				for i, h := range hs {
					switch h.Stroke {
					case StrokeRoll:
						count["roll"]++
						if i+1 < len(hs) && hs[i+1].Stroke == StrokeRoll {
							d := hs[i+1].Time - h.Time
							if d > 1.2*sixteenth {
								continue // the next roll
							}
							if math.Abs(d-roll) > 0.012 && math.Abs(d-sextuplet) > 0.012 {
								t.Errorf("%g BPM seed %d: roll strokes on the %v %.1f ms apart, want %.1f (or %.1f)", bpm, seed, st, 1000*d, 1000*roll, 1000*sextuplet)
							}
							if math.Abs(d-roll) <= 0.012 {
								count["even roll"]++
							}
						}
					case StrokeGrace:
						count["grace"]++
						if i > 0 && hs[i-1].Stroke != StrokeGrace && h.Time-hs[i-1].Time < minGap {
							t.Errorf("%g BPM seed %d: %v grace note %.1f ms after a stroke", bpm, seed, st, 1000*(h.Time-hs[i-1].Time))
						}
						if i+1 == len(hs) {
							t.Fatalf("%g BPM seed %d: %v grace note without a main stroke", bpm, seed, st)
						}
						next := hs[i+1]
						main := next
						gap := [2]float64{flamGap[0], flamGap[1]}
						if next.Stroke == StrokeGrace { // a drag's first grace note
							gap = dragDouble
							if i+2 == len(hs) {
								t.Fatalf("%g BPM seed %d: drag without a main stroke", bpm, seed)
							}
							main = hs[i+2]
							count["drag"]++
						}
						if d := next.Time - h.Time; d < gap[0]-eps || d > gap[1]+eps {
							t.Errorf("%g BPM seed %d: %v grace note %.1f ms before the next stroke", bpm, seed, st, 1000*d)
						}
						if main.Stroke == StrokeGrace {
							t.Fatalf("%g BPM seed %d: three grace notes in a row", bpm, seed)
						}
						db := 20 * math.Log10(main.Velocity/h.Velocity)
						if db < 10-1e-6 || db > 20+1e-6 {
							t.Errorf("%g BPM seed %d: %v grace note %.1f dB below its main stroke (velocities %.3f, %.3f)", bpm, seed, st, db, h.Velocity, main.Velocity)
						}
					}
				}
			}
		}
		for _, k := range []string{"roll", "even roll", "grace", "drag", "open", "pedal", "ghost", "kick+crash"} {
			if count[k] < 10 {
				t.Errorf("%g BPM: %d %s strokes in 12 tracks", bpm, count[k], k)
			}
		}
		t.Logf("%g BPM: %v", bpm, count)
	}
}

// TestRudimentsByName: a groove without a style never plays rudiments, so
// seeded sets of random styles are as before the style was added.
func TestRudimentsByName(t *testing.T) {
	if n := randomStyles(); n != len(styles)-1 || styles[n].name != "rudiments" {
		t.Fatalf("randomStyles() = %d of %d", n, len(styles))
	}
	for seed := uint64(0); seed < 200; seed++ {
		g, err := Generate(GrooveOptions{Seconds: 2}, NewRand(seed))
		if err != nil {
			t.Fatal(err)
		}
		if g.Style == "rudiments" {
			t.Fatalf("seed %d: random style rudiments", seed)
		}
	}
}
