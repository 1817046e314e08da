package render

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"

	"gitlab.com/gomidi/midi/v2"
	gosmf "gitlab.com/gomidi/midi/v2/smf"
)

// MIDIPPQ is the resolution of the MIDI files WriteMIDI writes, in ticks per
// quarter note: at 120 BPM a tick is 0.52 ms, so a written onset is within
// 0.26 ms of the rendered one (onsets.json holds the exact sample).
const MIDIPPQ = 960

// drumChannel is General MIDI's percussion channel (10, zero-based 9).
const drumChannel = 9

// MIDIOptions controls ReadMIDI.
type MIDIOptions struct {
	// AnyChannel reads notes on every channel as drum notes, for files that
	// put their drums elsewhere than channel 10.
	AnyChannel bool
	// Tail is added after the last note to make the groove's Length, so
	// that cymbals can ring out; 0 means 2 seconds.
	Tail float64
}

// ReadMIDI reads a Standard MIDI File (format 0 or 1, parsed by gomidi:
// running status, SysEx and meta events are handled) and returns its drum notes as a
// groove: note-ons on channel 10, mapped with the General MIDI percussion
// map (PieceForNote), timed with the file's tempo map. Notes the map does
// not know are counted in Unmapped.
func ReadMIDI(r io.Reader, opt MIDIOptions) (g *Groove, unmapped map[int]int, err error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("read midi: %w", err)
	}
	sf, err := parseSMF(data)
	if err != nil {
		return nil, nil, fmt.Errorf("read midi: %w", err)
	}
	tm := sf.tempoMap()
	g = &Groove{Style: "midi", Meter: Meter{4, 4}}
	if sf.meter.Num > 0 {
		g.Meter = sf.meter
	}
	for _, t := range tm.changes {
		g.Tempo = append(g.Tempo, TempoChange{Time: t.sec, BPM: 60e6 / float64(t.usPerQ)})
	}
	if len(g.Tempo) == 0 || g.Tempo[0].Time != 0 {
		g.Tempo = append([]TempoChange{{0, 120}}, g.Tempo...)
	}
	unmapped = map[int]int{}
	last := 0.0
	for _, n := range sf.notes {
		if !opt.AnyChannel && n.ch != drumChannel {
			continue
		}
		p := PieceForNote(int(n.note))
		if p == NoPiece {
			unmapped[int(n.note)]++
			continue
		}
		t := tm.seconds(n.tick)
		g.Hits = append(g.Hits, Hit{Time: t, Piece: p, Velocity: float64(n.vel) / 127})
		last = math.Max(last, t)
	}
	if len(g.Hits) == 0 {
		ch := "channel 10"
		if opt.AnyChannel {
			ch = "any channel"
		}
		return nil, unmapped, fmt.Errorf("read midi: no drum notes on %s", ch)
	}
	tail := opt.Tail
	if tail == 0 {
		tail = 2
	}
	g.Length = last + tail
	g.sortHits()
	return g, unmapped, nil
}

type smfNote struct {
	tick int64
	ch   uint8
	note uint8
	vel  uint8
}

type smfTempo struct {
	tick   int64
	usPerQ int
	sec    float64
}

type smf struct {
	format   int
	division int // ticks per quarter note, or negative for SMPTE
	smpte    float64
	notes    []smfNote
	tempos   []smfTempo
	meter    Meter
}

// parseSMF reads a Standard MIDI File with gomidi and keeps what a groove
// needs: note-ons, tempo changes and the first time signature.
func parseSMF(data []byte) (*smf, error) {
	if len(data) < 14 || string(data[:4]) != "MThd" {
		return nil, errors.New("not a Standard MIDI File (no MThd header)")
	}
	sf := &smf{}
	// gomidi computes a tempo map while reading and panics on SMPTE time
	// (it assumes metric ticks): SMPTE ticks are read as metric ones here
	// and converted with the SMPTE rate by tempoMap.
	if div := uint16(data[12])<<8 | uint16(data[13]); div&0x8000 != 0 {
		fps := -int(int8(div >> 8))
		tpf := int(div & 0xff)
		if fps <= 0 || tpf == 0 {
			return nil, fmt.Errorf("bad SMPTE division %#04x", div)
		}
		rate := float64(fps)
		if fps == 29 {
			rate = 29.97
		}
		sf.smpte, sf.division = rate*float64(tpf), -1
		data = append([]byte(nil), data...)
		data[12], data[13] = 0x01, 0xe0
	}
	f, err := readSMF(data)
	if err != nil {
		return nil, err
	}
	sf.format = int(f.Format())
	if sf.smpte == 0 {
		tf, _ := f.TimeFormat.(gosmf.MetricTicks)
		if sf.division = int(tf.Resolution()); sf.division == 0 {
			return nil, errors.New("division 0")
		}
	}
	if sf.format > 1 {
		return nil, fmt.Errorf("format %d (sequences of independent patterns) is not supported; use format 0 or 1", sf.format)
	}
	for _, tr := range f.Tracks {
		var tick int64
		for _, ev := range tr {
			tick += int64(ev.Delta)
			var ch, key, vel, num, den uint8
			var bpm float64
			switch m := ev.Message; {
			case m.GetNoteStart(&ch, &key, &vel):
				sf.notes = append(sf.notes, smfNote{tick: tick, ch: ch, note: key, vel: vel})
			case m.GetMetaTempo(&bpm):
				if bpm > 0 {
					sf.tempos = append(sf.tempos, smfTempo{tick: tick, usPerQ: int(math.Round(60e6 / bpm))})
				}
			case m.GetMetaMeter(&num, &den):
				if sf.meter.Num == 0 && num > 0 && den > 0 {
					sf.meter = Meter{int(num), int(den)}
				}
			}
		}
	}
	return sf, nil
}

// readSMF parses data with gomidi, turning a panic on malformed input into
// an error: the file comes from the user.
func readSMF(data []byte) (f *gosmf.SMF, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("malformed file (%v)", r)
		}
	}()
	return gosmf.ReadFrom(bytes.NewReader(data))
}

// tempoMap converts ticks to seconds.
type tempoMap struct {
	ppq     float64
	smpte   float64 // ticks per second for SMPTE files, else 0
	changes []smfTempo
}

func (sf *smf) tempoMap() tempoMap {
	tm := tempoMap{ppq: float64(sf.division), smpte: sf.smpte}
	if sf.smpte > 0 {
		return tm
	}
	ts := append([]smfTempo(nil), sf.tempos...)
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].tick < ts[j].tick })
	if len(ts) == 0 || ts[0].tick > 0 {
		ts = append([]smfTempo{{tick: 0, usPerQ: 500000}}, ts...)
	}
	// Keep the last of several changes on one tick.
	out := ts[:0]
	for _, t := range ts {
		if len(out) > 0 && out[len(out)-1].tick == t.tick {
			out[len(out)-1] = t
			continue
		}
		out = append(out, t)
	}
	for i := range out {
		if i > 0 {
			prev := out[i-1]
			out[i].sec = prev.sec + float64(out[i].tick-prev.tick)*float64(prev.usPerQ)/1e6/tm.ppq
		}
	}
	tm.changes = out
	return tm
}

func (tm tempoMap) seconds(tick int64) float64 {
	if tm.smpte > 0 {
		return float64(tick) / tm.smpte
	}
	i := sort.Search(len(tm.changes), func(i int) bool { return tm.changes[i].tick > tick }) - 1
	c := tm.changes[i]
	return c.sec + float64(tick-c.tick)*float64(c.usPerQ)/1e6/tm.ppq
}

// WriteMIDI writes the groove as a format 1 Standard MIDI File at MIDIPPQ
// ticks per quarter: a conductor track (name, time signature, tempo map)
// and one track per stem that has notes, named after the stem, on channel
// 10 with the pieces' General MIDI notes (PieceHatHalfOpen is written as an
// open hat, GM having no half-open note). Notes last a 32nd note; drum
// onsets are what matters.
func WriteMIDI(w io.Writer, g *Groove) error {
	tempo := g.Tempo
	if len(tempo) == 0 {
		tempo = []TempoChange{{0, 120}}
	}
	// Tempo changes in ticks: integrate the map in seconds.
	type seg struct {
		sec, tick, bpm float64
	}
	segs := make([]seg, len(tempo))
	for i, t := range tempo {
		if !(t.BPM > 0) {
			return fmt.Errorf("write midi: tempo %g BPM", t.BPM)
		}
		segs[i] = seg{sec: t.Time, bpm: t.BPM}
		if i > 0 {
			p := segs[i-1]
			segs[i].tick = p.tick + (t.Time-p.sec)*p.bpm/60*MIDIPPQ
		}
	}
	toTick := func(sec float64) int64 {
		i := sort.Search(len(segs), func(i int) bool { return segs[i].sec > sec }) - 1
		if i < 0 {
			i = 0
		}
		s := segs[i]
		return int64(math.Round(s.tick + (sec-s.sec)*s.bpm/60*MIDIPPQ))
	}

	type ev struct {
		tick  int64
		order int // note-offs before note-ons on one tick
		msg   []byte
	}
	var tracks [][]ev
	conductor := []ev{{0, 0, gosmf.MetaTrackSequenceName("drumsplit groove: " + g.Style)}}
	m := g.Meter
	if m.Num <= 0 || m.Den <= 0 {
		m = Meter{4, 4}
	}
	conductor = append(conductor, ev{0, 0, gosmf.MetaMeter(uint8(m.Num), uint8(m.Den))})
	for i, s := range segs {
		conductor = append(conductor, ev{int64(math.Round(segs[i].tick)), 1, gosmf.MetaTempo(s.bpm)})
	}
	tracks = append(tracks, conductor)
	dur := int64(MIDIPPQ / 8)
	for st := Stem(0); st < numStems; st++ {
		var evs []ev
		for _, h := range g.Hits {
			if h.Piece.Stem() != st || h.Piece == NoPiece {
				continue
			}
			t := toTick(h.Time)
			v := uint8(clamp(math.Round(h.Velocity*127), 1, 127))
			n := uint8(h.Piece.GMNote())
			evs = append(evs, ev{t, 1, midi.NoteOn(drumChannel, n, v)}, ev{t + dur, 0, midi.NoteOff(drumChannel, n)})
		}
		if len(evs) == 0 {
			continue
		}
		evs = append([]ev{{0, -1, gosmf.MetaTrackSequenceName(st.String())}}, evs...)
		tracks = append(tracks, evs)
	}

	f := gosmf.New()
	f.TimeFormat = gosmf.MetricTicks(MIDIPPQ)
	for _, evs := range tracks {
		sort.SliceStable(evs, func(i, j int) bool {
			if evs[i].tick != evs[j].tick {
				return evs[i].tick < evs[j].tick
			}
			return evs[i].order < evs[j].order
		})
		var tr gosmf.Track
		var last int64
		for _, e := range evs {
			tr.Add(uint32(max(0, e.tick-last)), e.msg)
			last = max(last, e.tick)
		}
		tr.Close(0)
		if err := f.Add(tr); err != nil {
			return fmt.Errorf("write midi: %w", err)
		}
	}
	bw := bufio.NewWriter(w)
	if _, err := f.WriteTo(bw); err != nil {
		return fmt.Errorf("write midi: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write midi: %w", err)
	}
	return nil
}
