package transcribe

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/render"
)

// bowStroke adds a bow-like ride stroke at t seconds: decaying noise,
// twice differentiated so that its energy lies mostly above 4 kHz (the
// wash), ringing with time constant 0.35 s. tilt (0–1) mixes in plain
// noise: a softer, darker velocity layer of the same cymbal.
func bowStroke(x []float32, t, amp, tilt float64, rng *rand.Rand) {
	s := int(math.Round(t * rate))
	var p1, p2 float64
	for i := 0; s+i < len(x) && i < 4*rate; i++ {
		v := rng.Float64()*2 - 1
		d2 := v - 2*p1 + p2 // second difference: +12 dB per octave
		p2, p1 = p1, v
		e := amp * math.Exp(-float64(i)/(0.35*rate))
		x[s+i] += float32(e * ((1-tilt)*d2/4 + tilt*v))
	}
}

// bellStroke adds a bell-like ride stroke at t seconds: four strong
// inharmonic partials between 1.2 and 3.4 kHz ringing with time constant
// 0.6 s over a little wash, and the stick's short click.
func bellStroke(x []float32, t, amp float64, rng *rand.Rand) {
	s := int(math.Round(t * rate))
	partials := []struct{ hz, a float64 }{{1250, 1}, {1870, 0.7}, {2730, 0.5}, {3390, 0.3}}
	phase := make([]float64, len(partials))
	for k := range phase {
		phase[k] = 2 * math.Pi * rng.Float64()
	}
	var p1, p2 float64
	for i := 0; s+i < len(x) && i < 5*rate; i++ {
		tt := float64(i) / rate
		var v float64
		for k, p := range partials {
			v += p.a * math.Sin(2*math.Pi*p.hz*tt+phase[k])
		}
		n := rng.Float64()*2 - 1
		wash := (n - 2*p1 + p2) / 4
		p2, p1 = p1, n
		v = v/2*math.Exp(-tt/0.6) + 0.1*wash*math.Exp(-tt/0.3) + n*math.Exp(-tt/0.002)
		x[s+i] += float32(amp * v)
	}
}

// rideLabels transcribes a ride stem whose strokes are at 0.3 s + 0.4 s × i
// and returns the piece of each stroke found ("" where none). The ride's
// detector misses an occasional stroke of these synthetic tracks (a
// sharp click over a ring with little above 4 kHz makes the detection
// function peak more than a quarter frame early, where the search for
// the start of the rise does not reach it): at most a sixth may be
// missing, and a note off the strokes fails the test.
func rideLabels(t *testing.T, x []float32, strokes int) []Piece {
	t.Helper()
	notes, err := Transcribe(Input{SampleRate: rate, Stems: []Stem{{Name: "ride", Data: [][]float32{x}}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := make([]Piece, strokes)
	found := 0
	for _, n := range notes {
		i := int(math.Round((n.Time - 0.3) / 0.4))
		if i < 0 || i >= strokes || math.Abs(n.Time-0.3-float64(i)*0.4) > 0.01 || got[i] != "" {
			t.Errorf("note at %.3f s: no stroke there", n.Time)
			continue
		}
		if want := map[Piece]uint8{Ride: 51, RideBell: 53}[n.Piece]; n.Key != want {
			t.Errorf("note at %.3f s: %s on key %d, want %d", n.Time, n.Piece, n.Key, want)
		}
		got[i] = n.Piece
		found++
	}
	for i, p := range got {
		if p == "" {
			t.Logf("stroke %d at %.1f s missed", i, 0.3+float64(i)*0.4)
		}
	}
	if found < strokes-strokes/6 {
		t.Fatalf("%d of %d strokes found", found, strokes)
	}
	return got
}

// TestRideBowBell: a track with a bar on the bow, a bar on the bell and
// two bars alternating, each stroke over the ring of the ones before: the
// bell strokes come out as ride bell (53), the bow strokes as ride (51).
func TestRideBowBell(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	x := make([]float32, 11*rate)
	var bell []bool
	for i := 0; i < 24; i++ {
		tt := 0.3 + float64(i)*0.4
		amp := 0.45 + 0.05*rng.Float64()
		b := i >= 8 && i < 16 || i >= 16 && i%2 == 0
		if b {
			bellStroke(x, tt, amp, rng)
		} else {
			bowStroke(x, tt, amp, 0, rng)
		}
		bell = append(bell, b)
	}
	for i, p := range rideLabels(t, x, len(bell)) {
		want := Ride
		if bell[i] {
			want = RideBell
		}
		if p != "" && p != want {
			t.Errorf("stroke %d: %s, want %s", i, p, want)
		}
	}
}

// TestRideBowLayers: a track on the bow only, its strokes from two
// velocity layers of different brightness and level: no stroke is a bell.
func TestRideBowLayers(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	x := make([]float32, 9*rate)
	for i := 0; i < 20; i++ {
		amp, tilt := 0.5, 0.0
		if rng.IntN(2) == 0 {
			amp, tilt = 0.25, 0.3
		}
		bowStroke(x, 0.3+float64(i)*0.4, amp, tilt, rng)
	}
	for i, p := range rideLabels(t, x, 20) {
		if p != "" && p != Ride {
			t.Errorf("stroke %d: %s, want ride", i, p)
		}
	}
}

// TestRideBellOnly: a track played on the bell only has no bow strokes to
// compare with: its strokes are bells by their own balance.
func TestRideBellOnly(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	x := make([]float32, 7*rate)
	for i := 0; i < 16; i++ {
		bellStroke(x, 0.3+float64(i)*0.4, 0.45+0.05*rng.Float64(), rng)
	}
	for i, p := range rideLabels(t, x, 16) {
		if p != "" && p != RideBell {
			t.Errorf("stroke %d: %s, want ride_bell", i, p)
		}
	}
}

// TestRideBowBellRender: eight seconds of a training kit (BJA_Pacific)
// rendered by render, eighth notes on the ride in bars of bow, bell and
// both alternating, at the velocities of render's grooves: every found
// stroke has the label of the instrument that played it.
func TestRideBowBellRender(t *testing.T) {
	kit := debianKit(t, "BJA_Pacific")
	g := &render.Groove{Length: 8.5}
	var bell []bool
	for i := 0; i < 32; i++ {
		b := i >= 8 && i < 16 || i >= 16 && i%2 == 0
		p, v := render.PieceRide, 0.62
		if b {
			p = render.PieceRideBell
		}
		if i%2 == 0 {
			v = 0.85
		}
		g.Hits = append(g.Hits, render.Hit{Time: 0.25 + float64(i)*0.25, Piece: p, Velocity: v})
		bell = append(bell, b)
	}
	tr, err := render.Render(g, kit, render.NewCache(), render.Options{}, render.NewRand(1))
	if err != nil {
		t.Fatal(err)
	}
	if in := tr.Instruments[render.PieceRideBell]; in != "Ride Bell" {
		t.Fatalf("the bell is played by %q", in)
	}
	var stem [][]float32
	for i, n := range tr.Names {
		if n == "ride" {
			stem = tr.Stems[i]
		}
	}
	notes, err := Transcribe(Input{SampleRate: render.SampleRate, Stems: []Stem{{Name: "ride", Data: stem}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	matched := 0
	for _, n := range notes {
		i := int(math.Round((n.Time - 0.25) / 0.25))
		if i < 0 || i >= len(bell) || math.Abs(n.Time-0.25-float64(i)*0.25) > 0.02 {
			t.Errorf("note at %.3f s: no stroke there", n.Time)
			continue
		}
		matched++
		if want := map[bool]Piece{false: Ride, true: RideBell}[bell[i]]; n.Piece != want {
			t.Errorf("stroke %d at %.2f s: %s, want %s", i, n.Time, n.Piece, want)
		}
	}
	if matched < len(bell)-2 {
		t.Errorf("%d of %d strokes found", matched, len(bell))
	}
}

// TestRideBellDrumMap: a bell takes the ride_bell note of the drum map in
// use: 53 in General MIDI, the map's own in a custom one.
func TestRideBellDrumMap(t *testing.T) {
	if got := GM().Key(RideBell, 0, 0); got != 53 {
		t.Errorf("General MIDI ride bell: %d, want 53", got)
	}
	m, err := ReadDrumMap(strings.NewReader(`{"notes": {"kick": 24, "snare": 26, "hh_closed": 30, "hh_pedal": 31, "hh_open": 32, "ride": 33, "ride_bell": 34, "crash": 35}, "toms": [40]}`))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(37, 38))
	x := make([]float32, 4*rate)
	for i := 0; i < 8; i++ {
		bellStroke(x, 0.3+float64(i)*0.4, 0.45, rng)
	}
	notes, err := Transcribe(Input{SampleRate: rate, Stems: []Stem{{Name: "ride", Data: [][]float32{x}}}}, Options{Map: m})
	if err != nil || len(notes) == 0 {
		t.Fatalf("%d notes, %v", len(notes), err)
	}
	for _, n := range notes {
		if n.Piece != RideBell || n.Key != 34 {
			t.Errorf("note at %.2f s: %s on key %d, want ride_bell on 34", n.Time, n.Piece, n.Key)
		}
	}
}
