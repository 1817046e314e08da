package transcribe

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"math/cmplx"
	"sort"

	"gitlab.com/gomidi/midi/v2"
	"gitlab.com/gomidi/midi/v2/smf"
)

// PPQ is the resolution of the files WriteSMF writes, in ticks per quarter
// note.
const PPQ = 480

// DefaultBPM is the tempo written when none is given.
const DefaultBPM = 120

// SMFOptions controls WriteSMF.
type SMFOptions struct {
	// BPM is the constant tempo written (DefaultBPM if 0). Note times stay
	// those of the audio whatever the tempo: it only sets the bar grid a
	// sequencer shows. Use EstimateTempo for the track's own.
	BPM float64
	// Quantize snaps notes to a grid of 1/Quantize notes (16: sixteenths)
	// at BPM; 0 keeps exact times.
	Quantize int
	// Map gives the channel; nil means GM().
	Map *DrumMap
	// Name is written as the drum track's name ("drums" if empty).
	Name string
}

// ErrTempo is returned for a tempo or grid WriteSMF cannot write.
var ErrTempo = errors.New("bad tempo")

// WriteSMF writes notes as a format 1 Standard MIDI File at PPQ ticks per
// quarter note: a conductor track (4/4, the tempo) and a drum track with
// every note on the map's channel, lasting a 32nd note (less when the same
// note comes again sooner). Without quantisation a note lies within half a
// tick of its time: at 120 BPM, 0.52 ms (under 1 ms for any tempo from
// 62.5 BPM up).
func WriteSMF(w io.Writer, notes []Note, opt SMFOptions) error {
	bpm := opt.BPM
	if bpm == 0 {
		bpm = DefaultBPM
	}
	if !(bpm >= 10 && bpm <= 1000) {
		return fmt.Errorf("%w: %g BPM (want 10–1000)", ErrTempo, bpm)
	}
	if opt.Quantize < 0 || (opt.Quantize > 0 && PPQ*4%opt.Quantize != 0) {
		return fmt.Errorf("%w: cannot quantise to 1/%d notes at %d ticks per quarter", ErrTempo, opt.Quantize, PPQ)
	}
	m := opt.Map
	if m == nil {
		m = GM()
	}
	ch := uint8(m.Channel - 1)
	name := opt.Name
	if name == "" {
		name = "drums"
	}
	// Ticks from the tempo as the file stores it (whole microseconds per
	// quarter), so that reading the file back gives the times written.
	usPerQ := math.Round(60e6 / bpm)
	secPerTick := usPerQ / 1e6 / PPQ
	grid := int64(0)
	if opt.Quantize > 0 {
		grid = int64(PPQ * 4 / opt.Quantize)
	}
	type ev struct {
		tick int64
		on   bool
		msg  midi.Message
	}
	sorted := append([]Note(nil), notes...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Time < sorted[j].Time })
	ticks := make([]int64, len(sorted))
	for i, n := range sorted {
		t := int64(math.Round(math.Max(0, n.Time) / secPerTick))
		if grid > 0 {
			t = (t + grid/2) / grid * grid
		}
		ticks[i] = t
	}
	var evs []ev
	const dur = PPQ / 8
	type keyTick struct {
		key  uint8
		tick int64
	}
	seen := map[keyTick]bool{}
	for i, n := range sorted {
		// Two hits on one key and tick (quantisation can merge them): the
		// first is enough.
		if seen[keyTick{n.Key, ticks[i]}] {
			continue
		}
		seen[keyTick{n.Key, ticks[i]}] = true
		end := ticks[i] + dur
		for j := i + 1; j < len(sorted); j++ {
			if ticks[j] >= end {
				break
			}
			if sorted[j].Key == n.Key && ticks[j] > ticks[i] {
				end = ticks[j]
				break
			}
		}
		v := min(127, max(1, n.Velocity))
		evs = append(evs, ev{ticks[i], true, midi.NoteOn(ch, n.Key, v)}, ev{end, false, midi.NoteOff(ch, n.Key)})
	}
	// Note-offs before note-ons on one tick, so that a repeated note is
	// not cut by its predecessor's end.
	sort.SliceStable(evs, func(i, j int) bool {
		if evs[i].tick != evs[j].tick {
			return evs[i].tick < evs[j].tick
		}
		return !evs[i].on && evs[j].on
	})
	s := smf.New()
	s.TimeFormat = smf.MetricTicks(PPQ)
	var cond smf.Track
	cond.Add(0, smf.MetaTrackSequenceName("drumsplit transcription"))
	cond.Add(0, smf.MetaMeter(4, 4))
	cond.Add(0, smf.MetaTempo(bpm))
	cond.Close(0)
	var tr smf.Track
	tr.Add(0, smf.MetaTrackSequenceName(name))
	last := int64(0)
	for _, e := range evs {
		tr.Add(uint32(e.tick-last), e.msg)
		last = e.tick
	}
	tr.Close(0)
	if err := s.Add(cond); err != nil {
		return fmt.Errorf("write midi: %w", err)
	}
	if err := s.Add(tr); err != nil {
		return fmt.Errorf("write midi: %w", err)
	}
	bw := bufio.NewWriter(w)
	if _, err := s.WriteTo(bw); err != nil {
		return fmt.Errorf("write midi: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write midi: %w", err)
	}
	return nil
}

// EstimateTempo returns the constant tempo, in [90, 180) BPM, whose beat,
// eighth and sixteenth grids the notes follow best: for each candidate
// (0.1 BPM apart) the strength of the notes' periodicity at those rates,
// whatever their phase, each note weighted by its velocity. Octave errors
// are folded into the range, which also keeps a tick under 1.1 ms. With
// fewer than 4 notes it returns DefaultBPM.
func EstimateTempo(notes []Note) float64 {
	if len(notes) < 4 {
		return DefaultBPM
	}
	best, bestScore := float64(DefaultBPM), -1.0
	for bpm := 90.0; bpm < 180; bpm += 0.1 {
		var score float64
		for _, k := range []float64{1, 2, 4} {
			f := bpm / 60 * k
			var z complex128
			for _, n := range notes {
				z += complex(float64(n.Velocity), 0) * cmplx.Exp(complex(0, 2*math.Pi*f*n.Time))
			}
			score += cmplx.Abs(z) / k
		}
		if score > bestScore {
			best, bestScore = bpm, score
		}
	}
	return math.Round(best*10) / 10
}
