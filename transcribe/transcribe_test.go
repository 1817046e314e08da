package transcribe

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/gomidi/midi/v2/smf"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/render"
)

const rate = 44100

// hit adds a synthetic stroke at t seconds: a decaying sine (freq > 0) or
// decaying noise (freq 0) with time constant tau, peak amplitude amp.
func hit(x []float32, t, freq, tau, amp float64, rng *rand.Rand) {
	s := int(math.Round(t * rate))
	for i := 0; s+i < len(x) && float64(i) < tau*rate*10; i++ {
		e := amp * math.Exp(-float64(i)/(tau*rate))
		v := rng.Float64()*2 - 1
		if freq > 0 {
			v = math.Sin(2 * math.Pi * freq * float64(i) / rate)
		}
		x[s+i] += float32(e * v)
	}
}

func stereo(x []float32) [][]float32 { return [][]float32{x, append([]float32(nil), x...)} }

// synthTrack makes kick, snare and hh stems with hits at known times.
func synthTrack(secs float64) (Input, map[string][]float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := int(secs * rate)
	k, sn, hh := make([]float32, n), make([]float32, n), make([]float32, n)
	want := map[string][]float64{}
	for t := 0.25; t < secs-0.5; t += 0.5 {
		hit(k, t, 60, 0.08, 0.8, rng)
		want["kick"] = append(want["kick"], t)
		hit(sn, t+0.25, 0, 0.05, 0.5, rng)
		want["snare"] = append(want["snare"], t+0.25)
		for _, d := range []float64{0, 0.125, 0.25, 0.375} {
			hit(hh, t+d, 0, 0.087, 0.3, rng) // −10 dB per 100 ms: a closed hat
			want["hh"] = append(want["hh"], t+d)
		}
	}
	return Input{SampleRate: rate, Stems: []Stem{{"kick", stereo(k)}, {"snare", stereo(sn)}, {"hh", stereo(hh)}}}, want
}

func TestSyntheticImpulses(t *testing.T) {
	in, want := synthTrack(6)
	notes, err := Transcribe(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]Note{}
	for _, n := range notes {
		got[n.Stem] = append(got[n.Stem], n)
	}
	keys := map[string]uint8{"kick": 36, "snare": 38, "hh": 42}
	for stem, ts := range want {
		if len(got[stem]) != len(ts) {
			t.Fatalf("%s: %d notes, want %d: %+v", stem, len(got[stem]), len(ts), got[stem])
		}
		for i, n := range got[stem] {
			if math.Abs(n.Time-ts[i]) > 0.002 || n.Key != keys[stem] {
				t.Errorf("%s hit %d: %.4f s key %d, want %.4f s key %d", stem, i, n.Time, n.Key, ts[i], keys[stem])
			}
		}
	}
}

func TestVelocityMonotonic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 5*rate)
	var amps []float64
	for i := 0; i < 16; i++ {
		a := 0.9 * math.Pow(10, -float64(i)*2/20) // 0 … −30 dB
		hit(x, 0.2+float64(i)*0.25, 0, 0.04, a, rng)
		amps = append(amps, a)
	}
	notes, err := Transcribe(Input{SampleRate: rate, Stems: []Stem{{"snare", [][]float32{x}}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != len(amps) {
		t.Fatalf("%d notes, want %d", len(notes), len(amps))
	}
	for i := 1; i < len(notes); i++ {
		if notes[i].Velocity > notes[i-1].Velocity || notes[i].Velocity < 1 {
			t.Errorf("velocity %d after %d for a softer hit", notes[i].Velocity, notes[i-1].Velocity)
		}
	}
	if notes[0].Velocity != 127 || notes[len(notes)-1].Velocity >= notes[0].Velocity/2 {
		t.Errorf("velocities %d … %d: want 127 for the loudest, under half for −30 dB", notes[0].Velocity, notes[len(notes)-1].Velocity)
	}
}

func TestSilentStems(t *testing.T) {
	n := 3 * rate
	in := Input{SampleRate: rate, Stems: []Stem{{"kick", [][]float32{make([]float32, n)}}, {"ride", [][]float32{make([]float32, n)}}}}
	notes, err := Transcribe(in, Options{})
	if err != nil || len(notes) != 0 {
		t.Errorf("silent stems: %d notes, %v", len(notes), err)
	}
	// Very short input too.
	in = Input{SampleRate: rate, Stems: []Stem{{"snare", [][]float32{make([]float32, 10)}}}}
	if notes, err := Transcribe(in, Options{}); err != nil || len(notes) != 0 {
		t.Errorf("10 samples: %d notes, %v", len(notes), err)
	}
}

func TestBadInput(t *testing.T) {
	a, b := make([]float32, 1000), make([]float32, 999)
	if _, err := Transcribe(Input{SampleRate: rate, Stems: []Stem{{"kick", [][]float32{a}}, {"snare", [][]float32{b}}}}, Options{}); !errors.Is(err, ErrStemLength) {
		t.Errorf("lengths: %v", err)
	}
	if _, err := Transcribe(Input{SampleRate: rate, Stems: []Stem{{"bass", [][]float32{a}}}}, Options{}); !errors.Is(err, ErrNoStems) {
		t.Errorf("no stems: %v", err)
	}
	if _, err := Transcribe(Input{SampleRate: 0, Stems: []Stem{{"kick", [][]float32{a}}}}, Options{}); !errors.Is(err, ErrBadInput) {
		t.Errorf("rate 0: %v", err)
	}
}

func writeWAV(t *testing.T, path string, sr int, x []float32) {
	t.Helper()
	if _, err := audio.WriteFile(path, &audio.Buffer{SampleRate: sr, Data: [][]float32{x}}, audio.Encoding{Format: "wav", BitDepth: 16}); err != nil {
		t.Fatal(err)
	}
}

func TestReadDirErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	_, err := ReadDir(dir)
	if !errors.Is(err, ErrNoStems) || !strings.Contains(err.Error(), "kick, snare, toms, hh, ride, crash") || strings.Contains(err.Error(), "\n") {
		t.Errorf("no stems: %v", err)
	}
	writeWAV(t, filepath.Join(dir, "kick.wav"), 44100, make([]float32, 1000))
	writeWAV(t, filepath.Join(dir, "snare.wav"), 48000, make([]float32, 1000))
	if _, err := ReadDir(dir); !errors.Is(err, ErrStemRate) || !strings.Contains(err.Error(), "snare.wav") {
		t.Errorf("rates: %v", err)
	}
	writeWAV(t, filepath.Join(dir, "snare.wav"), 44100, make([]float32, 900))
	if _, err := ReadDir(dir); !errors.Is(err, ErrStemLength) || !strings.Contains(err.Error(), "snare.wav") {
		t.Errorf("lengths: %v", err)
	}
	writeWAV(t, filepath.Join(dir, "Snare.wav"), 44100, make([]float32, 1000))
	os.Remove(filepath.Join(dir, "snare.wav"))
	in, err := ReadDir(dir)
	if err != nil || len(in.Stems) != 2 || in.Stems[0].Name != "kick" || in.Stems[1].Name != "snare" {
		t.Errorf("kick + Snare: %+v, %v", in.Stems, err)
	}
}

// readBack reads an SMF with gomidi and returns its note-ons as times
// through the file's tempo map, with channel, key and velocity.
type backNote struct {
	time         float64
	ch, key, vel uint8
}

func readBack(t *testing.T, data []byte) ([]backNote, float64) {
	t.Helper()
	f, err := smf.ReadFrom(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if f.Format() != 1 || f.TimeFormat != smf.MetricTicks(PPQ) {
		t.Fatalf("format %d, time format %v", f.Format(), f.TimeFormat)
	}
	var out []backNote
	for _, tr := range f.Tracks {
		var tick int64
		for _, ev := range tr {
			tick += int64(ev.Delta)
			var ch, key, vel uint8
			if ev.Message.GetNoteStart(&ch, &key, &vel) {
				out = append(out, backNote{float64(f.TimeAt(tick)) / 1e6, ch, key, vel})
			}
		}
	}
	return out, f.TempoChanges().TempoAt(0)
}

func TestSMFReadBack(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var notes []Note
	for i := 0; i < 200; i++ {
		notes = append(notes, Note{Time: float64(i)*0.137 + rng.Float64()*0.01, Key: uint8(35 + i%20), Velocity: uint8(1 + i%127)})
	}
	for _, bpm := range []float64{0, 63, 97.3, 174} {
		var buf bytes.Buffer
		if err := WriteSMF(&buf, notes, SMFOptions{BPM: bpm}); err != nil {
			t.Fatal(err)
		}
		back, tempo := readBack(t, buf.Bytes())
		want := bpm
		if want == 0 {
			want = DefaultBPM
		}
		if math.Abs(tempo-want) > 0.01 {
			t.Errorf("tempo %g, want %g", tempo, want)
		}
		if len(back) != len(notes) {
			t.Fatalf("%g BPM: %d notes back, want %d", bpm, len(back), len(notes))
		}
		for i, b := range back {
			n := notes[i]
			// Under 1 ms: half a tick, plus gomidi's whole microseconds.
			if b.ch != 9 || b.key != n.Key || b.vel != n.Velocity || math.Abs(b.time-n.Time) >= 0.001 {
				t.Fatalf("%g BPM: note %d = %+v, want %.6f s key %d vel %d on channel 10", bpm, i, b, n.Time, n.Key, n.Velocity)
			}
		}
	}
	// Quantised to sixteenths at 120 BPM: every note on the 125 ms grid,
	// within half a grid step of its time.
	var buf bytes.Buffer
	if err := WriteSMF(&buf, notes, SMFOptions{Quantize: 16}); err != nil {
		t.Fatal(err)
	}
	back, _ := readBack(t, buf.Bytes())
	for _, b := range back {
		if r := math.Mod(b.time+1e-4, 0.125); r > 2e-4 {
			t.Fatalf("quantised note at %.6f s is off the grid", b.time)
		}
	}
	if err := WriteSMF(&buf, notes, SMFOptions{Quantize: 7}); !errors.Is(err, ErrTempo) {
		t.Errorf("quantize 1/7: %v", err)
	}
	if err := WriteSMF(&buf, notes, SMFOptions{BPM: -1}); !errors.Is(err, ErrTempo) {
		t.Errorf("tempo -1: %v", err)
	}
}

func TestEstimateTempo(t *testing.T) {
	for _, bpm := range []float64{96, 128.5, 150} {
		var notes []Note
		beat := 60 / bpm
		for i := 0; i < 64; i++ {
			notes = append(notes, Note{Time: 0.37 + float64(i)*beat/2, Velocity: 100})
		}
		if got := EstimateTempo(notes); math.Abs(got-bpm) > 0.25 {
			t.Errorf("eighths at %g BPM: estimated %g", bpm, got)
		}
	}
}

func TestDrumMaps(t *testing.T) {
	for _, name := range BuiltinMaps() {
		if _, err := BuiltinMap(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	gm := GM()
	if got := gm.TomNotes(3); !bytes.Equal(got, []byte{48, 45, 43}) {
		t.Errorf("three toms: %v", got)
	}
	if got := gm.TomNotes(6); !bytes.Equal(got, []byte{50, 48, 47, 45, 43, 41}) {
		t.Errorf("six toms: %v", got)
	}
	for name, js := range map[string]string{
		"unknown piece": `{"notes": {"kick": 36, "snare": 38, "hh_closed": 42, "hh_pedal": 44, "hh_open": 46, "ride": 51, "ride_bell": 53, "crash": 49, "cowbell": 56}, "toms": [45]}`,
		"missing piece": `{"notes": {"kick": 36}, "toms": [45]}`,
		"no toms":       `{"notes": {"kick": 36, "snare": 38, "hh_closed": 42, "hh_pedal": 44, "hh_open": 46, "ride": 51, "ride_bell": 53, "crash": 49}}`,
		"note 200":      `{"notes": {"kick": 200, "snare": 38, "hh_closed": 42, "hh_pedal": 44, "hh_open": 46, "ride": 51, "ride_bell": 53, "crash": 49}, "toms": [45]}`,
		"channel 17":    `{"channel": 17, "notes": {"kick": 36, "snare": 38, "hh_closed": 42, "hh_pedal": 44, "hh_open": 46, "ride": 51, "ride_bell": 53, "crash": 49}, "toms": [45]}`,
		"typo field":    `{"nots": {}}`,
	} {
		if _, err := ReadDrumMap(strings.NewReader(js)); !errors.Is(err, ErrDrumMap) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A custom map changes keys and channel.
	m, err := ReadDrumMap(strings.NewReader(`{"channel": 1, "notes": {"kick": 24, "snare": 26, "hh_closed": 30, "hh_pedal": 31, "hh_open": 32, "ride": 33, "ride_bell": 34, "crash": 35}, "toms": [40, 41]}`))
	if err != nil {
		t.Fatal(err)
	}
	in, _ := synthTrack(2)
	notes, err := Transcribe(in, Options{Map: m})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSMF(&buf, notes, SMFOptions{Map: m}); err != nil {
		t.Fatal(err)
	}
	back, _ := readBack(t, buf.Bytes())
	for _, b := range back {
		if b.ch != 0 || (b.key != 24 && b.key != 26 && b.key != 30) {
			t.Fatalf("custom map: %+v", b)
		}
	}
}

func TestLeakageGate(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	n := 4 * rate
	sn, toms := make([]float32, n), make([]float32, n)
	for i := 0; i < 6; i++ {
		tt := 0.3 + float64(i)*0.5
		hit(sn, tt, 0, 0.05, 0.7, rng)
	}
	// The toms stem holds the snare at −26 dB (leakage) and one real tom.
	for i, v := range sn {
		toms[i] = v * 0.05
	}
	hit(toms, 3.4, 110, 0.2, 0.5, rng)
	in := Input{SampleRate: rate, Stems: []Stem{{"snare", [][]float32{sn}}, {"toms", [][]float32{toms}}}}
	count := func(opt Options) int {
		notes, err := Transcribe(in, opt)
		if err != nil {
			t.Fatal(err)
		}
		c := 0
		for _, n := range notes {
			if n.Stem == "toms" {
				c++
			}
		}
		return c
	}
	if c := count(Options{}); c != 1 {
		t.Errorf("gated: %d tom notes, want the real one", c)
	}
	if c := count(Options{NoGate: true}); c < 6 {
		t.Errorf("without the gate: %d tom notes; the leak should show (the test is void)", c)
	}
}

// TestLeakUnderLouderHit covers leaks that ownership alone keeps: a
// model's toms stem holds the kick's hits 15 dB down with a click of
// its own on top (the click owns its octave), and a real ghost snare
// under a kick must stay.
func TestLeakUnderLouderHit(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	n := 4 * rate
	kick, toms, sn := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := 0; i < 6; i++ {
		tt := 0.3 + float64(i)*0.5
		hit(kick, tt, 60, 0.08, 0.8, rng)
		hit(toms, tt, 60, 0.08, 0.8*0.18, rng) // −15 dB
		hit(toms, tt, 9000, 0.01, 0.08, rng)
	}
	hit(toms, 3.4, 110, 0.2, 0.5, rng) // the real tom, alone
	// Snare: two backbeats and a ghost note 20 dB down on a kick.
	hit(sn, 0.55, 0, 0.05, 0.6, rng)
	hit(sn, 1.55, 0, 0.05, 0.6, rng)
	hit(sn, 2.3, 0, 0.05, 0.06, rng)
	in := Input{SampleRate: rate, Stems: []Stem{{"kick", [][]float32{kick}}, {"snare", [][]float32{sn}}, {"toms", [][]float32{toms}}}}
	count := func(opt Options) (toms int, snares []float64) {
		notes, err := Transcribe(in, opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range notes {
			switch n.Stem {
			case "toms":
				toms++
			case "snare":
				snares = append(snares, n.Time)
			}
		}
		return toms, snares
	}
	if c, _ := count(Options{NoGate: true}); c < 7 {
		t.Fatalf("without the gate: %d tom notes; the leak should show (the test is void)", c)
	}
	c, snares := count(Options{})
	if c != 1 {
		t.Errorf("gated: %d tom notes, want the real one", c)
	}
	if len(snares) != 3 || math.Abs(snares[2]-2.3) > 0.01 {
		t.Errorf("snare notes at %v, want 0.55, 1.55 and the ghost note at 2.3", snares)
	}
}

func TestHatArticulation(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	x := make([]float32, 4*rate)
	want := map[float64]Piece{}
	for i := 0; i < 12; i++ {
		tt := 0.2 + float64(i)*0.3
		clear(x[int(tt*rate):]) // a stroke chokes the ringing hat, as on a real one
		switch i % 3 {
		case 0:
			hit(x, tt, 0, 0.45, 0.4, rng) // −2 dB per 100 ms: rings, open
			want[tt] = HatOpen
		case 1:
			hit(x, tt, 0, 0.087, 0.4, rng) // −10 dB per 100 ms: closed
			want[tt] = HatClosed
		case 2:
			hit(x, tt, 0, 0.02, 0.3, rng) // −43 dB per 100 ms: the pedal chick
			want[tt] = HatPedal
		}
	}
	notes, err := Transcribe(Input{SampleRate: rate, Stems: []Stem{{"hh", [][]float32{x}}}}, Options{})
	if err != nil || len(notes) != 12 {
		t.Fatalf("%d notes, %v", len(notes), err)
	}
	keys := map[Piece]uint8{HatOpen: 46, HatClosed: 42, HatPedal: 44}
	for _, n := range notes {
		for tt, p := range want {
			if math.Abs(n.Time-tt) < 0.01 && (n.Piece != p || n.Key != keys[p]) {
				t.Errorf("hat at %.2f s: %s (%d), want %s", tt, n.Piece, n.Key, p)
			}
		}
	}
}

func TestTomsByPitch(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	x := make([]float32, 5*rate)
	freqs := []float64{90, 130, 180} // floor, mid, high
	for i := 0; i < 12; i++ {
		hit(x, 0.2+float64(i)*0.35, freqs[i%3], 0.15, 0.6, rng)
	}
	notes, err := Transcribe(Input{SampleRate: rate, Stems: []Stem{{"toms", [][]float32{x}}}}, Options{})
	if err != nil || len(notes) != 12 {
		t.Fatalf("%d notes, %v", len(notes), err)
	}
	want := []uint8{43, 45, 48} // GM subset for three toms, low to high
	for i, n := range notes {
		if n.Key != want[i%3] || n.Toms != 3 {
			t.Errorf("tom %d (%g Hz): key %d of %d toms, want %d", i, freqs[i%3], n.Key, n.Toms, want[i%3])
		}
	}
}

func TestPlot(t *testing.T) {
	in, _ := synthTrack(2)
	notes, _ := Transcribe(in, Options{})
	for _, f := range []string{"svg", "png"} {
		var buf bytes.Buffer
		if err := Plot(&buf, f, in, notes); err != nil {
			t.Fatal(err)
		}
		if f == "svg" && (!strings.HasPrefix(buf.String(), "<svg") || strings.Count(buf.String(), "<rect") < len(notes)) {
			t.Errorf("svg: %d bytes, %d rects for %d notes", buf.Len(), strings.Count(buf.String(), "<rect"), len(notes))
		}
		if f == "png" && !bytes.HasPrefix(buf.Bytes(), []byte("\x89PNG")) {
			t.Errorf("png: not a PNG")
		}
	}
	if err := Plot(&bytes.Buffer{}, "gif", in, notes); err == nil {
		t.Error("gif accepted")
	}
}

// BenchmarkTranscribe5Min transcribes six stems of a 5-minute track (the
// target: 2 s on 2 cores). It also reports the CPU time per op, which
// other jobs on a shared machine do not stretch: the wall time on n idle
// cores is about cpu-s/op ÷ n.
func BenchmarkTranscribe5Min(b *testing.B) {
	rng := rand.New(rand.NewPCG(13, 14))
	n := 300 * rate
	var in Input
	in.SampleRate = rate
	for k, name := range StemNames {
		x := make([]float32, n)
		for t := 0.1 + float64(k)*0.05; t < 299; t += 0.25 {
			hit(x, t, 0, 0.05, 0.5, rng)
		}
		in.Stems = append(in.Stems, Stem{Name: name, Data: stereo(x)})
	}
	b.ResetTimer()
	cpu := cpuNanos()
	for range b.N {
		if _, err := Transcribe(in, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuNanos()-cpu)/1e9/float64(b.N), "cpu-s/op")
}

// TestRideLocalThreshold: a ride part of loud strokes, then after a
// bar's pause strokes 20 dB softer (bell, then bow, as in a held-out
// render): the threshold follows the local strokes, so the soft ones are
// found too, and nothing else is.
func TestRideLocalThreshold(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	n := 12 * rate
	x := make([]float32, n)
	var want []float64
	for tm := 0.3; tm < 11.5; tm += 0.4 {
		amp := 0.8
		if tm > 6 {
			amp = 0.08
		}
		if tm > 6 && tm < 7.5 {
			continue // a bar's pause
		}
		hit(x, tm, 0, 0.3, amp, rng)
		want = append(want, tm)
	}
	notes, err := Transcribe(Input{SampleRate: rate, Stems: []Stem{{Name: "ride", Data: stereo(x)}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	for _, nt := range notes {
		got = append(got, nt.Time)
	}
	if len(got) != len(want) {
		t.Fatalf("%d ride notes at %v, want %d at %v", len(got), got, len(want), want)
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > 0.005 {
			t.Errorf("note %d at %.4f s, want %.4f s", i, got[i], want[i])
		}
	}
}

// BenchmarkAnalyze analyses 30 s of one stem per frame size on one
// goroutine: the per-frame work (FFT, filterbank, log, flux) without the
// rest of Transcribe, for A/B comparisons of that loop.
func BenchmarkAnalyze(b *testing.B) {
	rng := rand.New(rand.NewPCG(15, 16))
	x := make([]float32, 30*rate)
	for t := 0.1; t < 29.5; t += 0.25 {
		hit(x, t, 0, 0.05, 0.5, rng)
	}
	hop := hopFor(rate)
	for _, class := range []Piece{Snare, Kick} {
		d := newDetector(class, rate)
		xp := padSignal(newSignal([][]float32{x}), d.nfft)
		b.Run(fmt.Sprintf("nfft=%d", d.nfft), func(b *testing.B) {
			f := newFeatures(xp.len(), hop)
			cpu := cpuNanos()
			for b.Loop() {
				if err := analyze(xp, rate, d, hop, f, 0, len(f.odf)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuNanos()-cpu)/1e6/float64(b.N), "cpu-ms/op")
		})
	}
}

// TestLog1p: the detection function's log1p agrees with math.Log1p
// rounded to float32 on a sweep of values from 1e-30 to 1e30 (every
// 1/1000 octave and its float32 neighbours), at most a float32 step off
// and that rarely; NaN, ±Inf and 0 as math.Log1p.
func TestLog1p(t *testing.T) {
	var n, off int
	for e := -100.0; e < 100; e += 0.001 {
		x0 := float32(math.Pow(2, e))
		for _, x := range []float32{math.Nextafter32(x0, 0), x0, math.Nextafter32(x0, math.MaxFloat32)} {
			got, want := log1p(x), float32(math.Log1p(float64(x)))
			n++
			if got != want {
				off++
				if d := math.Abs(float64(got-want)) / float64(want); d > 1.2e-7 {
					t.Fatalf("log1p(%g) = %g, want %g (%.2g relative)", x, got, want, d)
				}
			}
		}
	}
	if off > n/10000 {
		t.Errorf("log1p differs from math.Log1p in %d of %d values", off, n)
	}
	t.Logf("log1p differs from math.Log1p by a float32 step in %d of %d values", off, n)
	inf := float32(math.Inf(1))
	for _, x := range []float32{0, inf, float32(math.NaN())} {
		got, want := log1p(x), float32(math.Log1p(float64(x)))
		if got != want && !(got != got && want != want) {
			t.Errorf("log1p(%g) = %g, want %g", x, got, want)
		}
	}
}

// TestRideSoftUnderRing: the held-out kit's ride whose ring is as loud as
// its stroke (ForzeeStereo's "Ride (Custom, Zagrebin 22")", rendered):
// accents, each followed 310 ms on by a softer stroke under the ring (as
// in a held-out funk render). With the nearly linear compression the crash
// has, the ring's swells made 75 false notes for 50 strokes (precision
// 0.25); with the ride's nearly logarithmic one (rideMul) at most 10 % of
// the notes may be false, and at least half the strokes (as many as there
// are accents) must be found. The soft
// strokes under this ring are still missed (recall 0.5): what is left of
// the ride's gap (docs/TRANSCRIPTION.md).
func TestRideSoftUnderRing(t *testing.T) {
	kit := debianKit(t, "ForzeeStereo")
	g := &render.Groove{Length: 16}
	var want []float64
	for tm := 0.5; tm < 15.5; tm += 0.62 {
		g.Hits = append(g.Hits, render.Hit{Time: tm, Piece: render.PieceRide, Velocity: 0.7}, render.Hit{Time: tm + 0.31, Piece: render.PieceRide, Velocity: 0.45})
		want = append(want, tm, tm+0.31)
	}
	// The instrument that plays the ride is drawn with the track's seed:
	// the first seed that draws the ring-heavy ride.
	var tr *render.Track
	for seed := uint64(1); seed < 100 && tr == nil; seed++ {
		got, err := render.Render(g, kit, render.NewCache(), render.Options{}, render.NewRand(seed))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(got.Instruments[render.PieceRide], "Ride (Custom") {
			tr = got
		}
	}
	if tr == nil {
		t.Skip("no seed draws the ForzeeStereo ride")
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
	hits := 0
	used := make([]bool, len(notes))
	for _, w := range want {
		for i, n := range notes {
			if !used[i] && math.Abs(n.Time-w) <= 0.05 {
				used[i] = true
				hits++
				break
			}
		}
	}
	r, p := float64(hits)/float64(len(want)), float64(hits)/float64(max(1, len(notes)))
	t.Logf("%d strokes, %d notes, %d matched: recall %.3f, precision %.3f", len(want), len(notes), hits, r, p)
	if r < 0.5 || p < 0.9 {
		t.Errorf("recall %.3f, precision %.3f; want ≥ 0.5 (every accent) and ≥ 0.9", r, p)
	}
}

// TestRefineWholeFrame: a short click over a loud, dark ring gives the
// ride's nearly logarithmic flux its peak as the click enters the frame,
// up to half a frame before it; the start of the hit must still be found
// (refine searched only a quarter frame after the peak and put these
// strokes 36 ms early).
func TestRefineWholeFrame(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	n := 5 * rate
	x := make([]float32, n)
	fade := 0.3 * rate // in and out, so that the ring's ends make no onsets
	for i := range x {
		g := math.Min(1, math.Min(float64(i), float64(n-1-i))/fade)
		x[i] = float32(0.4 * g * math.Sin(2*math.Pi*330*float64(i)/rate))
	}
	var want []float64
	for tt := 0.5; tt < 4.6; tt += 0.5 {
		hit(x, tt, 2500, 0.004, 0.5, rng)
		want = append(want, tt)
	}
	oneStemNotes(t, "ride", x, want, 0.005)
}

// debianKit returns the Debian hydrogen-drumkits kit of that name, and
// skips the test where the kits or that kit are not installed.
func debianKit(t *testing.T, name string) *render.Kit {
	t.Helper()
	if _, err := os.Stat(render.DefaultKitsDir); err != nil {
		t.Skipf("hydrogen-drumkits not installed (%v)", err)
	}
	kits, err := render.FindKits(render.DefaultKitsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kits {
		if k.Matches(name) {
			return k
		}
	}
	t.Skipf("no %s kit", name)
	return nil
}

// TestFlams: a flam's grace note, 10–20 dB under its main stroke and
// 15–35 ms before it, is a note of its own (the detector kept one peak
// per flam, and the evaluation's one-to-one matching then counted the
// main stroke missed); a stroke whose attack is smeared ahead of it, as
// a separation model's output is, rising into the hit, is one note.
func TestFlams(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	n := 6 * rate
	x := make([]float32, n)
	var want []float64
	for i, gap := range []float64{0.015, 0.020, 0.025, 0.030, 0.035} {
		main := 0.5 + float64(i)
		grace := main - gap
		hit(x, grace, 0, 0.03, 0.5*math.Pow(10, -float64(10+2*i)/20), rng)
		hit(x, main, 0, 0.05, 0.5, rng)
		want = append(want, grace, main)
	}
	// A smeared stroke: noise rising from 40 to 12 dB under it over the
	// 30 ms before it.
	smeared := 5.5
	s := int(smeared * rate)
	for i := s - rate*30/1000; i < s; i++ {
		g := 0.5 * math.Pow(10, -(12+28*float64(s-i)/(0.030*rate))/20)
		x[i] += float32(g * (rng.Float64()*2 - 1))
	}
	hit(x, smeared, 0, 0.05, 0.5, rng)
	want = append(want, smeared)

	notes := oneStemNotes(t, "snare", x, want, 0.002)
	// The grace notes' velocities are their own, under the main strokes'.
	for i := 0; i+1 < len(notes)-1; i += 2 {
		if notes[i].Velocity >= notes[i+1].Velocity {
			t.Errorf("grace at %.4f s velocity %d, its main stroke %d", notes[i].Time, notes[i].Velocity, notes[i+1].Velocity)
		}
	}
}

// oneStemNotes transcribes x as the only stem, of that name, and checks
// that its notes are at the times of want, each within tol seconds.
func oneStemNotes(t *testing.T, stem string, x []float32, want []float64, tol float64) []Note {
	t.Helper()
	notes, err := Transcribe(Input{SampleRate: rate, Stems: []Stem{{stem, [][]float32{x}}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	for _, n := range notes {
		got = append(got, n.Time)
	}
	if len(got) != len(want) {
		t.Fatalf("%s notes at %.4f, want %.4f", stem, got, want)
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol {
			t.Errorf("%s note %d at %.4f s, want %.4f", stem, i, got[i], want[i])
		}
	}
	return notes
}
