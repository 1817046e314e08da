package eval

import (
	"math"
	"math/rand/v2"
	"testing"
)

// impulses returns a mono signal of n samples with a decaying noise burst
// (a drum hit, peak amp) at each of times.
func impulses(n, rate int, times []float64, amp float64) []float32 {
	rng := rand.New(rand.NewPCG(5, 6))
	x := make([]float32, n)
	for _, at := range times {
		s := int(at * float64(rate))
		for i := 0; i < rate/5 && s+i < n; i++ {
			x[s+i] += float32(amp * math.Exp(-float64(i)/float64(rate)*30) * (2*rng.Float64() - 1))
		}
	}
	return x
}

// TestBaselineImpulses: the librosa port finds every hit of a synthetic
// stem within its frame resolution (hop 512, 11.6 ms) and nothing else,
// labels the hits with their stem, and gives no onsets for a silent stem,
// a too-short one or a stem name it has no parameters for.
func TestBaselineImpulses(t *testing.T) {
	const rate = 44100
	var times []float64
	for k := 0; k < 16; k++ {
		times = append(times, 0.3+0.45*float64(k)+0.01*float64(k%3))
	}
	n := 8 * rate
	x := impulses(n, rate, times, 0.5)
	stems := map[string][][]float32{
		"kick":   {x, x},
		"snare":  {make([]float32, n)}, // silent
		"toms":   {x[:900]},            // shorter than half a frame
		"vocals": {x},                  // not a drum stem
	}
	est, err := Baseline(stems, rate)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range est {
		if o.Class != "kick" {
			t.Fatalf("onset %+v: only the kick stem has hits", o)
		}
	}
	var ref []Onset
	for _, tm := range times {
		ref = append(ref, Onset{Time: tm, Class: "kick"})
	}
	c := ScoreOnsets(ref, est).Classes["kick"]["20ms"]
	if c.Hits != len(times) || c.Est != len(times) {
		t.Errorf("kick: %+v at 20 ms, want all %d hits and no other onset; onsets %v", c, len(times), est)
	}
	for _, o := range est {
		if !(o.Strength >= 0.1) { // the kick's threshold on strength / its 95th percentile
			t.Errorf("onset %+v: strength under the kick's threshold", o)
		}
	}
}
