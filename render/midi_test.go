package render

import (
	"bytes"
	"math"
	"sort"
	"testing"
)

// canonical is the piece a stroke reads back as from a MIDI file.
func canonical(p Piece) Piece { return PieceForNote(p.GMNote()) }

func TestMIDIRoundTrip(t *testing.T) {
	for seed := uint64(0); seed < 14; seed++ {
		rng := NewRand(seed)
		g, err := Generate(GrooveOptions{Seconds: 12, Style: Styles()[seed], AllStems: true}, rng)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteMIDI(&buf, g); err != nil {
			t.Fatal(err)
		}
		back, unmapped, err := ReadMIDI(bytes.NewReader(buf.Bytes()), MIDIOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(unmapped) > 0 {
			t.Errorf("%s: unmapped notes %v", g.Style, unmapped)
		}
		if back.Meter != g.Meter || math.Abs(back.BPM()-g.BPM()) > 1e-3 {
			t.Errorf("%s: meter %v at %.4f BPM, want %v at %.4f", g.Style, back.Meter, back.BPM(), g.Meter, g.BPM())
		}
		if len(back.Hits) != len(g.Hits) {
			t.Fatalf("%s: %d hits read back, want %d", g.Style, len(back.Hits), len(g.Hits))
		}
		// Half a tick at this tempo, plus the drift of the tempo stored in
		// whole microseconds per quarter (< 1e-6 relative); velocity to 1/127.
		tick := 60 / g.BPM() / MIDIPPQ
		want := append([]Hit(nil), g.Hits...)
		for i := range want {
			want[i].Piece = canonical(want[i].Piece)
		}
		// Strokes a few ticks apart may swap places when quantised: compare
		// piece by piece.
		byPiece := func(h []Hit) {
			sort.SliceStable(h, func(i, j int) bool {
				if h[i].Piece != h[j].Piece {
					return h[i].Piece < h[j].Piece
				}
				return h[i].Time < h[j].Time
			})
		}
		byPiece(want)
		byPiece(back.Hits)
		for i, h := range back.Hits {
			w := want[i]
			if h.Piece != w.Piece || math.Abs(h.Time-w.Time) > tick/2+w.Time*1e-6 || math.Abs(h.Velocity-w.Velocity) > 0.5/127+1e-9 {
				t.Fatalf("%s at %.3f BPM: hit %d = %+v, want %+v", g.Style, g.BPM(), i, h, w)
			}
		}
	}
}

// makeSMF builds a Standard MIDI File from raw track bodies.
func makeSMF(format, division int, tracks ...[]byte) []byte {
	b := []byte("MThd\x00\x00\x00\x06")
	b = append(b, byte(format>>8), byte(format), 0, byte(len(tracks)), byte(division>>8), byte(division))
	for _, t := range tracks {
		n := len(t)
		b = append(b, 'M', 'T', 'r', 'k', byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		b = append(b, t...)
	}
	return b
}

func TestReadMIDI(t *testing.T) {
	// Format 1 at 480 PPQ: a conductor track with 120 BPM, then 60 BPM from
	// tick 960; a drum track using running status, a note-on with velocity
	// 0 (a note-off), a SysEx, a program change, and a note on channel 1.
	conductor := []byte{
		0x00, 0xff, 0x58, 0x04, 0x03, 0x02, 0x18, 0x08, // 3/4
		0x00, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20, // 500000 µs
		0x87, 0x40, 0xff, 0x51, 0x03, 0x0f, 0x42, 0x40, // at 960: 1000000 µs
		0x00, 0xff, 0x2f, 0x00,
	}
	drums := []byte{
		0x00, 0xc9, 0x00, // program change, channel 10 (one data byte)
		0x00, 0x99, 36, 100, // kick at 0
		0x00, 42, 64, // running status: closed hat at 0
		0x83, 0x60, 36, 0, // at 480: velocity 0 = note off
		0x00, 0xf0, 0x03, 0x01, 0x02, 0xf7, // SysEx cancels running status
		0x00, 0x99, 38, 127, // snare at 480
		0x00, 0x90, 38, 90, // channel 1: not a drum
		0x87, 0x40, 0x99, 49, 80, // crash at 1440 (second tempo)
		0x00, 0x99, 31, 80, // note 31: not in the map
		0x00, 0xff, 0x2f, 0x00,
	}
	g, unmapped, err := ReadMIDI(bytes.NewReader(makeSMF(1, 480, conductor, drums)), MIDIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Hit{
		{Time: 0, Piece: PieceKick, Velocity: 100.0 / 127}, {Time: 0, Piece: PieceHatClosed, Velocity: 64.0 / 127},
		{Time: 0.5, Piece: PieceSnare, Velocity: 1}, {Time: 1 + 1, Piece: PieceCrash, Velocity: 80.0 / 127},
	}
	if len(g.Hits) != len(want) {
		t.Fatalf("hits %+v, want %+v", g.Hits, want)
	}
	for i := range want {
		if h := g.Hits[i]; h.Piece != want[i].Piece || math.Abs(h.Time-want[i].Time) > 1e-12 || math.Abs(h.Velocity-want[i].Velocity) > 1e-12 {
			t.Errorf("hit %d = %+v, want %+v", i, h, want[i])
		}
	}
	if g.Meter != (Meter{3, 4}) || len(g.Tempo) != 2 || g.Tempo[1].Time != 1 || g.Tempo[1].BPM != 60 {
		t.Errorf("meter %v, tempo %+v", g.Meter, g.Tempo)
	}
	if unmapped[31] != 1 || len(unmapped) != 1 {
		t.Errorf("unmapped = %v", unmapped)
	}
	if g.Length != 2+2 {
		t.Errorf("length %v, want the last hit + 2 s", g.Length)
	}

	// AnyChannel reads the channel-1 snare too.
	g, _, err = ReadMIDI(bytes.NewReader(makeSMF(1, 480, conductor, drums)), MIDIOptions{AnyChannel: true, Tail: 1})
	if err != nil || len(g.Hits) != 5 || g.Length != 3 {
		t.Errorf("AnyChannel: %d hits, length %v, %v", len(g.Hits), g.Length, err)
	}

	// Format 0 with SMPTE timing: 25 fps × 40 ticks = 1 ms per tick.
	f0 := []byte{0x00, 0x99, 36, 100, 0x87, 0x68, 0x99, 38, 100, 0x00, 0xff, 0x2f, 0x00}
	g, _, err = ReadMIDI(bytes.NewReader(makeSMF(0, 0xe728, f0)), MIDIOptions{})
	if err != nil || len(g.Hits) != 2 || math.Abs(g.Hits[1].Time-1) > 1e-12 {
		t.Errorf("SMPTE: %+v, %v", g, err)
	}

	for name, data := range map[string][]byte{
		"not midi":        []byte("RIFF...."),
		"format 2":        makeSMF(2, 480, drums),
		"no drums":        makeSMF(0, 480, []byte{0x00, 0x90, 38, 90, 0x00, 0xff, 0x2f, 0x00}),
		"running nothing": makeSMF(0, 480, []byte{0x00, 38, 90}),
		"truncated":       makeSMF(0, 480, []byte{0x00, 0x99, 38}),
	} {
		if _, _, err := ReadMIDI(bytes.NewReader(data), MIDIOptions{}); err == nil {
			t.Errorf("%s: read", name)
		}
	}
}
