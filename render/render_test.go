package render

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/drumsplit/drumsplit/audio"
)

// testKits are two small Debian kits: Millo_MultiLayered3 (44.1 kHz FLAC,
// old form, velocity layers) and rumpf_kit_z01_h2 (48 kHz 24-bit FLAC,
// resampled).
func testKits(t testing.TB) []*Kit {
	kits := debianKits(t)
	return []*Kit{kitNamed(t, kits, "Millo_MultiLayered3"), kitNamed(t, kits, "rumpf_kit_z01_h2")}
}

// readTrack decodes every WAV file of a rendered track.
func readTrack(t *testing.T, dir string) map[string][][]float32 {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
	out := map[string][][]float32{}
	for _, f := range files {
		b, info, err := audio.DecodeFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if info.SampleRate != SampleRate || len(b.Data) != 2 || !info.Float || info.BitDepth != 32 {
			t.Fatalf("%s: %+v", f, info)
		}
		out[filepath.Base(f[:len(f)-4])] = b.Data
	}
	return out
}

// checkSum checks that the stems add up to the mixture within 1e-6.
func checkSum(t *testing.T, track string, wavs map[string][][]float32, stems []string) {
	t.Helper()
	mix := wavs["mixture"]
	if mix == nil || len(wavs) != len(stems)+1 {
		t.Fatalf("%s: files %d, want mixture + %q", track, len(wavs), stems)
	}
	var worst, peak float64
	for c := range mix {
		for i, m := range mix[c] {
			var s float64
			for _, n := range stems {
				s += float64(wavs[n][c][i])
			}
			worst = math.Max(worst, math.Abs(s-float64(m)))
			peak = math.Max(peak, math.Abs(float64(m)))
		}
	}
	if worst > 1e-6 {
		t.Errorf("%s: stems differ from the mixture by %g", track, worst)
	}
	if peak == 0 || peak > 1 {
		t.Errorf("%s: mixture peak %g", track, peak)
	}
}

// checkOnsets checks that at every ground-truth onset the stem's energy in
// the 2 ms after it exceeds that in the 2 ms before it.
func checkOnsets(t *testing.T, track string, wavs map[string][][]float32, info *TrackInfo) int {
	t.Helper()
	const w = SampleRate * 2 / 1000
	n := 0
	for stem, onsets := range info.Onsets {
		x := wavs[stem]
		for _, o := range onsets {
			if o.Frame != int(math.Round(o.Time*SampleRate)) {
				t.Errorf("%s %s: time %v and frame %d disagree", track, stem, o.Time, o.Frame)
			}
			var before, after float64
			for i := o.Frame - w; i < o.Frame+w; i++ {
				if i < 0 || i >= len(x[0]) {
					continue
				}
				e := float64(x[0][i])*float64(x[0][i]) + float64(x[1][i])*float64(x[1][i])
				if i < o.Frame {
					before += e
				} else {
					after += e
				}
			}
			if !(after > before) {
				t.Errorf("%s %s: %s (%s) at %.4f s: energy %.3g in the 2 ms before, %.3g after", track, stem, o.Piece, o.Instrument, o.Time, before, after)
			}
			n++
		}
	}
	return n
}

func readInfo(t *testing.T, dir string) *TrackInfo {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "onsets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var info TrackInfo
	if err := json.Unmarshal(data, &info); err != nil {
		t.Fatal(err)
	}
	return &info
}

func TestRenderSet(t *testing.T) {
	kits := testKits(t)
	cache := NewCache()
	opt := SetOptions{Split: "train", Kits: kits, Tracks: 4, Seconds: 6, Seed: 7, Jobs: 2, Cache: cache}
	a, b := t.TempDir(), t.TempDir()
	opt.Out = a
	res, err := RenderSet(opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Tracks != 4 || res.Failed != 0 || math.Abs(res.Seconds-24) > 1e-9 {
		t.Fatalf("result %+v", res)
	}
	// Same seed, one worker, a fresh cache: byte-identical files.
	opt.Out, opt.Jobs, opt.Cache = b, 1, NewCache()
	if _, err := RenderSet(opt); err != nil {
		t.Fatal(err)
	}
	tracks, _ := filepath.Glob(filepath.Join(a, "train", "*"))
	if len(tracks) != 4 {
		t.Fatalf("tracks %q", tracks)
	}
	kitsUsed := map[string]bool{}
	onsets := 0
	for _, dir := range tracks {
		name := filepath.Base(dir)
		files, _ := os.ReadDir(dir)
		var names []string
		for _, f := range files {
			names = append(names, f.Name())
			x, err := os.ReadFile(filepath.Join(dir, f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			y, err := os.ReadFile(filepath.Join(b, "train", name, f.Name()))
			if err != nil || !bytes.Equal(x, y) {
				t.Errorf("%s/%s differs between two renders with the same seed (%v)", name, f.Name(), err)
			}
		}
		sort.Strings(names)
		want := []string{"crash.wav", "groove.mid", "hh.wav", "kick.wav", "mixture.wav", "onsets.json", "ride.wav", "snare.wav", "toms.wav"}
		if !equal(names, want) {
			t.Errorf("%s holds %q, want %q", name, names, want)
		}
		info := readInfo(t, dir)
		kitsUsed[info.KitDir] = true
		wavs := readTrack(t, dir)
		checkSum(t, name, wavs, info.Stems)
		onsets += checkOnsets(t, name, wavs, info)
		if info.Frames != 6*SampleRate || info.Track != name || info.Split != "train" || info.Seed != TrackSeed(7, "train", mustAtoi(name)) {
			t.Errorf("%s: info %+v", name, info)
		}
		// groove.mid holds the same strokes.
		f, err := os.Open(filepath.Join(dir, "groove.mid"))
		if err != nil {
			t.Fatal(err)
		}
		g, _, err := ReadMIDI(f, MIDIOptions{})
		f.Close()
		n := 0
		for _, o := range info.Onsets {
			n += len(o)
		}
		if err != nil || len(g.Hits) != n {
			t.Errorf("%s: groove.mid has %d notes, onsets.json %d (%v)", name, len(g.Hits), n, err)
		}
	}
	if len(kitsUsed) != 2 {
		t.Errorf("kits used: %v", kitsUsed)
	}
	t.Logf("%d onsets checked", onsets)

	// Extending the set with --first gives the tracks a longer render has.
	opt.Out, opt.Tracks, opt.First = t.TempDir(), 1, 2
	if _, err := RenderSet(opt); err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(filepath.Join(opt.Out, "train", "00002", "mixture.wav"))
	y, _ := os.ReadFile(filepath.Join(a, "train", "00002", "mixture.wav"))
	if !bytes.Equal(x, y) {
		t.Error("track 00002 rendered alone differs from the same track in a set")
	}
}

func mustAtoi(s string) int { return atoi(s, -1) }

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRenderVariants covers the five-stem layout, the "other" stem, MIDI
// input and augmentation: the stems still add up to the mixture.
func TestRenderVariants(t *testing.T) {
	kits := testKits(t)[:1]
	dir := t.TempDir()
	// A MIDI file with a cowbell, a clap and a crash.
	g, err := Generate(GrooveOptions{Seconds: 5, Style: "funk", AllStems: true}, NewRand(3))
	if err != nil {
		t.Fatal(err)
	}
	g.Hits = append(g.Hits, Hit{Time: 0.5, Piece: PieceCowbell, Velocity: 0.8}, Hit{Time: 1.5, Piece: PieceClap, Velocity: 0.9})
	(g).sortHits()
	var mid bytes.Buffer
	if err := WriteMIDI(&mid, g); err != nil {
		t.Fatal(err)
	}
	midi := filepath.Join(dir, "in.mid")
	if err := os.WriteFile(midi, mid.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	opt := SetOptions{
		Out: dir, Split: "test", Kits: kits, Seed: 1, Seconds: 4, MIDI: []string{midi},
		Options: Options{Layout: Layout5, Other: true, Augment: true},
	}
	if _, err := RenderSet(opt); err != nil {
		t.Fatal(err)
	}
	track := filepath.Join(dir, "test", "00000-in")
	info := readInfo(t, track)
	if !equal(info.Stems, []string{"kick", "snare", "toms", "hh", "cymbals", "other"}) {
		t.Errorf("stems %q", info.Stems)
	}
	if info.Frames != 4*SampleRate || info.Source != "in.mid" || info.Augment == nil || info.Style != "midi" {
		t.Errorf("info %+v", info)
	}
	// Millo_MultiLayered3 has a cowbell but no clap.
	if len(info.Onsets["other"]) != 1 || info.Onsets["other"][0].Piece != "cowbell" || info.Dropped["clap"] != 1 {
		t.Errorf("other = %+v, dropped %v", info.Onsets["other"], info.Dropped)
	}
	for _, o := range info.Onsets["cymbals"] {
		if o.Piece != "ride" && o.Piece != "ride_bell" && o.Piece != "crash" && o.Piece != "crash2" && o.Piece != "splash" && o.Piece != "china" {
			t.Errorf("cymbals onset %+v", o)
		}
	}
	checkSum(t, "variants", readTrack(t, track), info.Stems)
}

// TestRenderChoke checks who silences whom: a closed or pedal hi-hat the
// open one, a drum its previous stroke; a cymbal struck again keeps at most
// cymbalDuck of its ring; other stems are left alone. The ramp (5 ms) ends
// 2 ms before the new stroke's onset.
func TestRenderChoke(t *testing.T) {
	k := testKits(t)[0]
	at := func(sec float64) int { return int(sec * SampleRate) }
	energy := func(x [][]float32, from, to int) float64 {
		var e float64
		for _, ch := range x {
			for _, v := range ch[from:to] {
				e += float64(v) * float64(v)
			}
		}
		return e
	}
	render := func(hits ...Hit) [][]float32 {
		tr, err := play(&Groove{Length: 2, Hits: hits}, k, NewCache(), Options{}, NewRand(1))
		if err != nil {
			t.Fatal(err)
		}
		return tr.Stems[Layout6.output(hits[0].Piece.Stem())]
	}
	diff := func(a, b [][]float32) [][]float32 {
		d := [][]float32{make([]float32, len(a[0])), make([]float32, len(a[0]))}
		for c := range a {
			for i := range a[c] {
				d[c][i] = a[c][i] - b[c][i]
			}
		}
		return d
	}
	for _, c := range []struct {
		first, second Piece
		left          float64 // the most energy of the first stroke left from 2 ms before the second, relative
		exact         bool
	}{
		{PieceHatOpen, PieceHatPedal, 0, true},
		{PieceHatOpen, PieceHatClosed, 0, true},
		{PieceKick, PieceKick, 0, true},
		{PieceSnare, PieceSnare, 0, true},
		{PieceCrash, PieceCrash, cymbalDuck * cymbalDuck, false},
		{PieceTomHigh, PieceTomLow, 1, false},
	} {
		a := render(Hit{Time: 0.1, Piece: c.first, Velocity: 0.9})
		b := render(Hit{Time: 0.5, Piece: c.second, Velocity: 0.5})
		ab := render(Hit{Time: 0.1, Piece: c.first, Velocity: 0.9}, Hit{Time: 0.5, Piece: c.second, Velocity: 0.5})
		// What remains of the first stroke: the pair minus the second alone.
		rest := diff(ab, b)
		before, after := [2]int{at(0.1), at(0.48)}, [2]int{at(0.498), at(0.9)}
		if ea, er := energy(a, before[0], before[1]), energy(rest, before[0], before[1]); math.Abs(er-ea) > 1e-5*ea {
			t.Errorf("%v then %v: the first stroke changed before the second: energy %g, alone %g", c.first, c.second, er, ea)
		}
		ea, er := energy(a, after[0], after[1]), energy(rest, after[0], after[1])
		if er > c.left*ea+1e-6*ea || (c.exact && math.Abs(er-c.left*ea) > 1e-6*ea) {
			t.Errorf("%v then %v: first stroke's energy after the second %g, want ≤ %g × %g", c.first, c.second, er, c.left, ea)
		}
	}
	// Strokes in different stems do not touch each other.
	tr, err := play(&Groove{Length: 2, Hits: []Hit{{Time: 0.1, Piece: PieceCrash, Velocity: 0.9}, {Time: 0.5, Piece: PieceRide, Velocity: 0.9}}}, k, NewCache(), Options{}, NewRand(1))
	if err != nil {
		t.Fatal(err)
	}
	crash := render(Hit{Time: 0.1, Piece: PieceCrash, Velocity: 0.9})
	if e := energy(diff(tr.Stems[Layout6.output(Crash)], crash), 0, at(2)); e > 1e-9 {
		t.Errorf("a ride stroke changed the crash: residual energy %g", e)
	}
}

// TestRiseDuck: a soft stroke over a loud ring gets the ring ducked just
// enough for its onset to rise by onsetRise; a loud one needs no ducking.
func TestRiseDuck(t *testing.T) {
	const n = 4000
	ring := &sample{data: [][]float32{make([]float32, n)}}
	burst := &sample{data: [][]float32{make([]float32, n)}}
	s := uint32(1)
	for i := 0; i < n; i++ {
		ring.data[0][i] = float32(math.Sin(2 * math.Pi * 90 * float64(i) / SampleRate))
		s = s*1664525 + 1013904223
		if i >= 100 {
			burst.data[0][i] = (float32(s>>8)/float32(1<<24) - 0.5) * float32(math.Exp(-float64(i-100)/400))
		}
	}
	burst.attack = 100
	tom1, tom2 := &Instrument{Piece: PieceTomHigh, MuteGroup: -1}, &Instrument{Piece: PieceTomLow, MuteGroup: -1}
	// The onset 88 frames after a peak of the ring: the ring alone loses
	// energy across it.
	const onset = 2170
	for _, c := range []struct {
		gain float32
		duck bool
	}{{0.05, true}, {5, false}} {
		vs := []voice{
			{smp: ring, start: 0, onset: 0, gl: 1, gr: 1, inst: tom1},
			{smp: burst, start: onset - 100, onset: onset, gl: c.gain, gr: c.gain, inst: tom2},
		}
		chokes(vs)
		if (len(vs[0].ramps) > 0) != c.duck {
			t.Fatalf("gain %v: ramps %+v", c.gain, vs[0].ramps)
		}
		stem := [][]float32{make([]float32, n), make([]float32, n)}
		mixVoice(stem, &vs[0], 220)
		mixVoice(stem, &vs[1], 220)
		e := func(from, to int) (sum float64) {
			for _, ch := range stem {
				for _, x := range ch[from:to] {
					sum += float64(x) * float64(x)
				}
			}
			return sum
		}
		before, after := e(onset-riseWindow, onset), e(onset, onset+riseWindow)
		if after < onsetRise*before {
			t.Errorf("gain %v: energy %g before the onset, %g after", c.gain, before, after)
		}
		if c.duck {
			// One step less ducking would not do.
			lvl := float64(vs[0].ramps[0].level) / 0.8414
			ring := func(from, to int) (sum float64) {
				for f := from; f < to; f++ {
					x := lvl*float64(vs[0].smp.data[0][f]) + float64(c.gain)*float64(burst.data[0][f-onset+100])
					sum += 2 * x * x
				}
				return sum
			}
			if ring(onset, onset+riseWindow) >= onsetRise*ring(onset-riseWindow, onset) {
				t.Errorf("ducked to %v where %v would do", vs[0].ramps[0].level, lvl)
			}
		}
	}
}
