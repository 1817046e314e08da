package render

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/audio"
)

// strike adds a stroke to x: white noise from ms on, rising over 1 ms and
// decaying with time constant tau ms, peak amp.
func strike(x []float32, ms, amp, tau float64, rng *rand.Rand) {
	s := int(ms * SampleRate / 1000)
	rise := SampleRate / 1000
	for i := 0; s+i < len(x); i++ {
		g := amp * math.Exp(-float64(i)/(tau*SampleRate/1000))
		if i < rise {
			g *= float64(i) / float64(rise)
		}
		x[s+i] += float32(g * (2*rng.Float64() - 1))
	}
}

// testSamples are generated kit samples: what the audit must flag (and
// where, ms after the attack) and what it must not.
func testSamples() map[string]struct {
	data   []float32
	second float64 // ms after the attack; 0: none
} {
	rng := rand.New(rand.NewPCG(7, 8))
	n := SampleRate // 1 s
	mk := func() []float32 { return make([]float32, n) }
	out := map[string]struct {
		data   []float32
		second float64
	}{}
	// One cymbal stroke ringing on.
	x := mk()
	strike(x, 5, 0.9, 300, rng)
	out["single"] = struct {
		data   []float32
		second float64
	}{x, 0}
	// Two strikes 60 ms apart (rumpf_kit's ride bell: 40 ms).
	x = mk()
	strike(x, 5, 0.9, 40, rng)
	strike(x, 65, 0.7, 40, rng)
	out["double"] = struct {
		data   []float32
		second float64
	}{x, 60}
	// A soft click, then the stroke's energy 70 ms later (rumpf_kit's
	// pedal hat).
	x = mk()
	strike(x, 5, 0.3, 2, rng)
	strike(x, 75, 0.9, 30, rng)
	out["late peak"] = struct {
		data   []float32
		second float64
	}{x, 70}
	// A low drum: two close partials beat (a 6 dB swing every 333 ms)
	// after a noise click; no second attack.
	x = mk()
	strike(x, 5, 0.2, 3, rng)
	for i := SampleRate * 5 / 1000; i < n; i++ {
		t := float64(i) / SampleRate
		x[i] += float32(0.8 * math.Exp(-t/0.3) * (math.Sin(2*math.Pi*55*t) + 0.5*math.Sin(2*math.Pi*58*t)))
	}
	out["beating drum"] = struct {
		data   []float32
		second float64
	}{x, 0}
	// A second strike 50 dB down in the tail: inaudible under the next
	// strokes, not flagged.
	x = mk()
	strike(x, 5, 0.9, 20, rng)
	strike(x, 305, 0.9*math.Pow(10, -50.0/20), 20, rng)
	out["faint tail"] = struct {
		data   []float32
		second float64
	}{x, 0}
	return out
}

// TestSecondAttack: the audit finds the second strike and the late peak
// within a block of where they are, and nothing in a single stroke, a
// beating low drum or a faint tail.
func TestSecondAttack(t *testing.T) {
	for name, s := range testSamples() {
		data := [][]float32{s.data, s.data}
		start := 5 * SampleRate / 1000
		attack := findAttack(data, start)
		got := float64(secondAttack(data, attack)) / SampleRate * 1000
		switch {
		case s.second == 0 && got != 0:
			t.Errorf("%s: second attack at %.1f ms, want none", name, got)
		case s.second != 0 && math.Abs(got-s.second) > 2*auditBlock*1000/SampleRate:
			t.Errorf("%s: second attack at %.1f ms, want %.0f ms", name, got, s.second)
		}
	}
}

// writeAuditKit writes a kit of generated samples: a ride with a second
// strike, an open hi-hat with a late closing chick, a closed hi-hat and a
// kick, single strokes.
func writeAuditKit(t *testing.T) *Kit {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(9, 10))
	n := SampleRate
	samples := map[string][]float32{}
	x := make([]float32, n)
	strike(x, 5, 0.9, 40, rng)
	strike(x, 85, 0.9, 200, rng)
	samples["ride"] = x // second strike 80 ms in
	x = make([]float32, n)
	strike(x, 5, 0.9, 150, rng)
	strike(x, 305, 0.9, 20, rng)
	samples["hatopen"] = x // closing chick 300 ms in
	x = make([]float32, n/5)
	strike(x, 5, 0.9, 15, rng)
	samples["hatclosed"] = x
	x = make([]float32, n/2)
	strike(x, 5, 0.9, 60, rng)
	samples["kick"] = x
	var inst strings.Builder
	for i, c := range []struct{ name, file string }{
		{"Kick", "kick"}, {"Ride", "ride"}, {"Open Hi-Hat", "hatopen"}, {"Closed Hi-Hat", "hatclosed"},
	} {
		if _, err := audio.WriteFile(filepath.Join(dir, c.file+".wav"), &audio.Buffer{SampleRate: SampleRate, Data: [][]float32{samples[c.file]}}, WAVEncoding); err != nil {
			t.Fatal(err)
		}
		inst.WriteString("<instrument><id>" + string(rune('0'+i)) + "</id><filename>" + c.file + ".wav</filename><name>" + c.name + "</name></instrument>\n")
	}
	xml := "<?xml version=\"1.0\"?>\n<drumkit_info><name>Audit Test Kit</name><instrumentList>\n" + inst.String() + "</instrumentList></drumkit_info>\n"
	if err := os.WriteFile(filepath.Join(dir, "drumkit.xml"), []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	k, err := parseTestKit(dir)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestRenderSecondAttack: strokes of samples with a second attack are
// flagged in the track's onsets (and onsets.json) with the time to it,
// unless a later stroke cuts the sample before it sounds (an open hat
// closed 100 ms on); strokes of clean samples are not.
func TestRenderSecondAttack(t *testing.T) {
	k := writeAuditKit(t)
	g := &Groove{Length: 3, Hits: []Hit{
		{Time: 0.1, Piece: PieceKick, Velocity: 0.9},
		{Time: 0.2, Piece: PieceRide, Velocity: 0.9},
		{Time: 0.5, Piece: PieceHatOpen, Velocity: 0.9}, // rings to 0.8 s: its chick sounds
		{Time: 1.5, Piece: PieceHatOpen, Velocity: 0.9}, // closed 100 ms on: its chick never sounds
		{Time: 1.6, Piece: PieceHatClosed, Velocity: 0.9},
		{Time: 2.95, Piece: PieceRide, Velocity: 0.9}, // its second strike falls after the track's end
	}}
	tr, err := Render(g, k, NewCache(), Options{}, NewRand(1))
	if err != nil {
		t.Fatal(err)
	}
	want := map[float64]float64{0.1: 0, 0.2: 0.080, 0.5: 0.300, 1.5: 0, 1.6: 0, 2.95: 0}
	if len(tr.Onsets) != len(want) {
		t.Fatalf("%d onsets, want %d", len(tr.Onsets), len(want))
	}
	tol := 2.0 * auditBlock / SampleRate
	for _, o := range tr.Onsets {
		w, ok := want[math.Round(o.Time()*100)/100]
		got := float64(o.SecondAttack) / SampleRate
		if !ok || math.Abs(got-w) > tol || (w == 0) != (o.SecondAttack == 0) {
			t.Errorf("%v at %.3f s: second attack %.3f s, want %.3f", o.Piece, o.Time(), got, w)
		}
	}
	info := tr.Info("00000", "test", 1, "generated", k)
	js, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	var back TrackInfo
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	flagged := 0
	for _, os := range back.Onsets {
		for _, o := range os {
			if o.SecondAttack > 0 {
				flagged++
			}
		}
	}
	if flagged != 2 || strings.Count(string(js), `"second_attack"`) != 2 {
		t.Errorf("onsets.json flags %d strokes (%d fields), want 2", flagged, strings.Count(string(js), `"second_attack"`))
	}
}

// TestAuditDebianKits: the kit samples the reference notes name as holding
// a second strike or a late peak are flagged (rumpf_kit's ride bell, 40 ms;
// The Black Pearl's hi-hat swish, about 360 ms, and Flink cymbals), and
// a kit's plain drums mostly are not.
func TestAuditDebianKits(t *testing.T) {
	kits := debianKits(t)
	c := NewCache()
	second := func(k *Kit, inst string) []float64 {
		var out []float64
		for _, in := range k.Instruments {
			if in.Name != inst {
				continue
			}
			for _, l := range in.Layers {
				s, err := c.get(l.File)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, float64(s.second)/SampleRate*1000)
			}
		}
		if len(out) == 0 {
			t.Fatalf("%s has no instrument %q", k.Name, inst)
		}
		return out
	}
	check := func(kit, inst string, lo, hi float64) {
		for _, ms := range second(kitNamed(t, kits, kit), inst) {
			if ms < lo || ms > hi {
				t.Errorf("%s %s: second attack at %.1f ms, want %.0f–%.0f ms", kit, inst, ms, lo, hi)
			}
		}
	}
	check("rumpf_kit_z01_h2", "f4 - ride bell", 36, 44)
	check("The Black Pearl 1.0", "Sabian Hat Swish", 320, 400)
	check("The Black Pearl 1.0", "Paiste Ride Flink", 50, 200)
	check("The Black Pearl 1.0", "Sabian Crash Flink", 50, 200)
	// Clean: no layer of these is flagged.
	check("The Black Pearl 1.0", "Pearl Snare", 0, 0)
	check("The Black Pearl 1.0", "Pearl Tom 1", 0, 0)
	check("ForzeeStereo", "Ride Bow (Custom, Zagrebin 22\")", 0, 0)
}
