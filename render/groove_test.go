package render

import (
	"math"
	"reflect"
	"testing"
)

func TestGenerateDeterministic(t *testing.T) {
	a, err := Generate(GrooveOptions{Seconds: 20}, NewRand(42))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(GrooveOptions{Seconds: 20}, NewRand(42))
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed gave different grooves")
	}
	c, _ := Generate(GrooveOptions{Seconds: 20}, NewRand(43))
	if reflect.DeepEqual(a.Hits, c.Hits) {
		t.Error("different seeds gave the same groove")
	}
}

func TestGenerateStyles(t *testing.T) {
	for _, style := range Styles() {
		for seed := uint64(0); seed < 6; seed++ {
			g, err := Generate(GrooveOptions{Seconds: 16, Style: style, AllStems: true}, NewRand(seed))
			if err != nil {
				t.Fatal(err)
			}
			if g.Style != style || g.Length != 16 || len(g.Tempo) != 1 {
				t.Fatalf("%s: style %q, length %v, tempo %+v", style, g.Style, g.Length, g.Tempo)
			}
			stems := map[Stem]int{}
			last := map[Stem]float64{}
			lastStroke := map[Stem]Stroke{}
			prev := -1.0
			for _, h := range g.Hits {
				if h.Time < prev {
					t.Fatalf("%s: hits out of order", style)
				}
				prev = h.Time
				if h.Time < 0 || h.Time >= g.Length-0.05 || h.Velocity <= 0 || h.Velocity > 1 || !h.Piece.Kit() {
					t.Fatalf("%s: bad hit %+v", style, h)
				}
				st := h.Piece.Stem()
				// A flam's grace note and its main stroke are closer
				// (TestRudiments checks them).
				if n := stems[st]; n > 0 && h.Time-last[st] < minGap && h.Stroke != StrokeGrace && lastStroke[st] != StrokeGrace {
					t.Fatalf("%s seed %d: two %v strokes %.1f ms apart", style, seed, st, 1000*(h.Time-last[st]))
				}
				stems[st]++
				last[st] = h.Time
				lastStroke[st] = h.Stroke
			}
			// AllStems: every drum-kit stem sounds in a 16 s track.
			for st := Kick; st < Other; st++ {
				if stems[st] == 0 {
					t.Errorf("%s seed %d: no %v stroke", style, seed, st)
				}
			}
		}
	}
}

func TestSwing(t *testing.T) {
	g := &gen{st: &style{swingUnit: 1}, swing: 2.0 / 3}
	for q, want := range map[float64]float64{0: 0, 0.5: 2.0 / 3, 0.25: 1.0 / 3, 0.75: 5.0 / 6, 1: 1, 3.5: 3 + 2.0/3} {
		if got := g.swingQ(q); math.Abs(got-want) > 1e-12 {
			t.Errorf("swingQ(%v) = %v, want %v", q, got, want)
		}
	}
	g.swing = 0.5
	if got := g.swingQ(0.5); got != 0.5 {
		t.Errorf("straight swingQ(0.5) = %v", got)
	}
}

func TestGenerateErrors(t *testing.T) {
	for _, o := range []GrooveOptions{{Seconds: 0}, {Seconds: -1}, {Seconds: 10, Style: "polka2"}, {Seconds: 10, BPM: 1000}} {
		if _, err := Generate(o, NewRand(1)); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	// A fixed tempo and a track shorter than a bar still work.
	g, err := Generate(GrooveOptions{Seconds: 1, Style: "rock", BPM: 90}, NewRand(1))
	if err != nil || g.BPM() != 90 || len(g.Hits) == 0 {
		t.Errorf("short groove: %+v, %v", g, err)
	}
}
