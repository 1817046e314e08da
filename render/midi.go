package render

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
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

// ReadMIDI reads a Standard MIDI File (format 0 or 1; running status,
// SysEx and meta events are handled) and returns its drum notes as a
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

func parseSMF(data []byte) (*smf, error) {
	if len(data) < 14 || string(data[:4]) != "MThd" {
		return nil, errors.New("not a Standard MIDI File (no MThd header)")
	}
	hlen := int(binary.BigEndian.Uint32(data[4:8]))
	if hlen < 6 || 8+hlen > len(data) {
		return nil, errors.New("bad MThd length")
	}
	sf := &smf{format: int(binary.BigEndian.Uint16(data[8:10]))}
	ntracks := int(binary.BigEndian.Uint16(data[10:12]))
	div := binary.BigEndian.Uint16(data[12:14])
	if div&0x8000 != 0 {
		fps := -int(int8(div >> 8))
		tpf := int(div & 0xff)
		if fps <= 0 || tpf == 0 {
			return nil, fmt.Errorf("bad SMPTE division %#04x", div)
		}
		rate := float64(fps)
		if fps == 29 {
			rate = 29.97
		}
		sf.smpte = rate * float64(tpf)
		sf.division = -1
	} else {
		sf.division = int(div)
		if sf.division == 0 {
			return nil, errors.New("division 0")
		}
	}
	if sf.format > 1 {
		return nil, fmt.Errorf("format %d (sequences of independent patterns) is not supported; use format 0 or 1", sf.format)
	}
	p := 8 + hlen
	for tr := 0; p+8 <= len(data); {
		id := string(data[p : p+4])
		n := int(binary.BigEndian.Uint32(data[p+4 : p+8]))
		p += 8
		if n > len(data)-p {
			n = len(data) - p // a truncated last track: read what is there
		}
		if id == "MTrk" {
			if err := sf.parseTrack(data[p:p+n], tr); err != nil {
				return nil, fmt.Errorf("track %d: %w", tr, err)
			}
			tr++
		}
		p += n
	}
	_ = ntracks // the header's count is advisory; the chunks are what counts
	return sf, nil
}

func (sf *smf) parseTrack(b []byte, track int) error {
	var tick int64
	var status byte
	p := 0
	vlq := func() (int64, error) {
		var v int64
		for i := 0; i < 4; i++ {
			if p >= len(b) {
				return 0, io.ErrUnexpectedEOF
			}
			c := b[p]
			p++
			v = v<<7 | int64(c&0x7f)
			if c&0x80 == 0 {
				return v, nil
			}
		}
		return 0, errors.New("variable-length quantity longer than 4 bytes")
	}
	for p < len(b) {
		d, err := vlq()
		if err != nil {
			return err
		}
		tick += d
		if p >= len(b) {
			return io.ErrUnexpectedEOF
		}
		c := b[p]
		switch {
		case c == 0xff: // meta event
			if p+2 > len(b) {
				return io.ErrUnexpectedEOF
			}
			typ := b[p+1]
			p += 2
			n, err := vlq()
			if err != nil {
				return err
			}
			if int64(len(b)-p) < n {
				return io.ErrUnexpectedEOF
			}
			body := b[p : p+int(n)]
			p += int(n)
			switch typ {
			case 0x51:
				if len(body) == 3 {
					us := int(body[0])<<16 | int(body[1])<<8 | int(body[2])
					if us > 0 {
						sf.tempos = append(sf.tempos, smfTempo{tick: tick, usPerQ: us})
					}
				}
			case 0x58:
				if len(body) >= 2 && sf.meter.Num == 0 && body[0] > 0 && body[1] < 8 {
					sf.meter = Meter{int(body[0]), 1 << body[1]}
				}
			case 0x2f:
				return nil
			}
			// Meta and SysEx events cancel running status.
			status = 0
		case c == 0xf0 || c == 0xf7: // SysEx
			p++
			n, err := vlq()
			if err != nil {
				return err
			}
			if int64(len(b)-p) < n {
				return io.ErrUnexpectedEOF
			}
			p += int(n)
			status = 0
		default:
			if c&0x80 != 0 {
				status = c
				p++
			} else if status == 0 {
				return fmt.Errorf("data byte %#02x without a status (running status with none set)", c)
			}
			n := 2
			if hi := status & 0xf0; hi == 0xc0 || hi == 0xd0 {
				n = 1
			} else if status >= 0xf0 {
				// System common messages have no place in a file; skip
				// their data bytes.
				n = map[byte]int{0xf1: 1, 0xf2: 2, 0xf3: 1}[status]
			}
			if p+n > len(b) {
				return io.ErrUnexpectedEOF
			}
			if status&0xf0 == 0x90 && b[p+1] > 0 {
				sf.notes = append(sf.notes, smfNote{tick: tick, ch: status & 0x0f, note: b[p], vel: b[p+1]})
			}
			p += n
		}
	}
	return nil
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
		b     []byte
	}
	var tracks [][]ev
	conductor := []ev{{0, 0, meta(0x03, []byte("drumsplit groove: "+g.Style))}}
	m := g.Meter
	if m.Num <= 0 || m.Den <= 0 {
		m = Meter{4, 4}
	}
	conductor = append(conductor, ev{0, 0, meta(0x58, []byte{byte(m.Num), byte(math.Log2(float64(m.Den))), 24, 8})})
	for i, s := range segs {
		us := int(math.Round(60e6 / s.bpm))
		conductor = append(conductor, ev{int64(math.Round(segs[i].tick)), 1, meta(0x51, []byte{byte(us >> 16), byte(us >> 8), byte(us)})})
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
			v := byte(clamp(math.Round(h.Velocity*127), 1, 127))
			n := byte(h.Piece.GMNote())
			evs = append(evs, ev{t, 1, []byte{0x90 | drumChannel, n, v}}, ev{t + dur, 0, []byte{0x80 | drumChannel, n, 0}})
		}
		if len(evs) == 0 {
			continue
		}
		evs = append([]ev{{0, -1, meta(0x03, []byte(st.String()))}}, evs...)
		tracks = append(tracks, evs)
	}

	bw := bufio.NewWriter(w)
	hdr := []byte("MThd\x00\x00\x00\x06")
	hdr = binary.BigEndian.AppendUint16(hdr, 1)
	hdr = binary.BigEndian.AppendUint16(hdr, uint16(len(tracks)))
	hdr = binary.BigEndian.AppendUint16(hdr, MIDIPPQ)
	bw.Write(hdr)
	for _, evs := range tracks {
		sort.SliceStable(evs, func(i, j int) bool {
			if evs[i].tick != evs[j].tick {
				return evs[i].tick < evs[j].tick
			}
			return evs[i].order < evs[j].order
		})
		var body bytes.Buffer
		var last int64
		for _, e := range evs {
			writeVLQ(&body, e.tick-last)
			last = e.tick
			body.Write(e.b)
		}
		writeVLQ(&body, 0)
		body.Write([]byte{0xff, 0x2f, 0x00})
		var th [8]byte
		copy(th[:], "MTrk")
		binary.BigEndian.PutUint32(th[4:], uint32(body.Len()))
		bw.Write(th[:])
		bw.Write(body.Bytes())
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write midi: %w", err)
	}
	return nil
}

func meta(typ byte, body []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0xff, typ})
	writeVLQ(&b, int64(len(body)))
	b.Write(body)
	return b.Bytes()
}

func writeVLQ(b *bytes.Buffer, v int64) {
	if v < 0 {
		v = 0
	}
	var tmp [5]byte
	i := len(tmp) - 1
	tmp[i] = byte(v & 0x7f)
	for v >>= 7; v > 0; v >>= 7 {
		i--
		tmp[i] = byte(v&0x7f) | 0x80
	}
	b.Write(tmp[i:])
}
