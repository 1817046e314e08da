package render

import (
	"reflect"
	"sort"
	"testing"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		name    string
		note    int
		piece   Piece
		variant bool
	}{
		// Kicks.
		{"Kick", -1, PieceKick, false},
		{"BassDrum", -1, PieceKick, false},
		{"c3 - bass drum 1", -1, PieceKick, false},
		{`Kick (Tama Superstar 22")`, 35, PieceKick, false},
		{"VariBreaks Kick 1", -1, PieceKick, false},
		{"BD", -1, PieceKick, false},
		// Snares, rimshots, side sticks.
		{"Snare Jazz", -1, PieceSnare, false},
		{"Snare1", -1, PieceSnare, false},
		{"Snare Roll", -1, PieceSnare, true},
		{"Pearl Snare Rimshot", -1, PieceRimshot, false},
		{"Snare Rim", -1, PieceRimshot, false},
		{"Pearl Side Stick", -1, PieceSideStick, false},
		{"Rim Click (Pearl Free Floating Maple 14x3.5)", 37, PieceSideStick, false},
		{"Cross Stick", -1, PieceSideStick, false},
		{"Stick", 37, PieceSideStick, false},
		{"Stick", 39, PiecePercussion, false}, // sticks clicked together (ForzeeStereo)
		// Toms (the height is settled per kit).
		{"Tom Low", -1, PieceTomMid, false},
		{"tomhi2", -1, PieceTomMid, false},
		{"Pearl Tom Floor", -1, PieceTomMid, false},
		{"Floor Tom", -1, PieceTomMid, false},
		{"b3 - low tom", -1, PieceTomMid, false},
		// Hi-hats.
		{"Closed HH", -1, PieceHatClosed, false},
		{"Hi Hat Closed", -1, PieceHatClosed, false},
		{"f#3 - hi-hat closed", -1, PieceHatClosed, false},
		{"Hat Low", -1, PieceHatClosed, false},
		{"Pedal HH", -1, PieceHatPedal, false},
		{"VariBreaks Hat 1 Pd", -1, PieceHatPedal, false},
		{"Hi-Hat Pedal (Paiste Alpha Metal edge 14\")", 44, PieceHatPedal, false},
		{"Open HH", -1, PieceHatOpen, false},
		{"Hi Hat Opened", -1, PieceHatOpen, false},
		{"Side OHH", -1, PieceHatOpen, false},
		{"Hat Op Dirty", -1, PieceHatOpen, false},
		{"Sabian Hat Semi-Open", -1, PieceHatHalfOpen, false},
		{"Hi Hat Free", -1, PieceHatHalfOpen, false},
		{"Sabian Hat Swish", -1, PieceHatClosed, true},
		{"Sabian Hat Choke", -1, PieceHatClosed, true},
		// Rides and bells.
		{"Ride Jazz", -1, PieceRide, false},
		{"ride-crash20inch", -1, PieceRide, false},
		{"Ride Bow (Custom, Zagrebin 22\")", -1, PieceRide, false},
		{"Crash/Ride Bow (Paiste Rude Crash/Ride 18\")", -1, PieceRide, false},
		{"Paiste Bell", -1, PieceRideBell, false},
		{"ride-cup", -1, PieceRideBell, false},
		{"Crash/Ride Bell (Paiste Rude Crash/Ride 18\")", -1, PieceRideBell, false},
		{"f4 - ride bell", -1, PieceRideBell, false},
		{"Paiste Ride Flink", -1, PieceRide, true},
		// Crashes, splashes, chinas.
		{"Crash", -1, PieceCrash, false},
		{"crash16inch", -1, PieceCrash, false},
		{"Crash/Ride (Paiste Rude Crash/Ride 18\")", -1, PieceCrash, false},
		{"d#4 - cymbal 1", -1, PieceCrash, false},
		{"Zildjian Splash", -1, PieceSplash, false},
		{"Zildjian Splash Choke", -1, PieceSplash, true},
		{"China (Paiste Alpha 18\")", -1, PieceChina, false},
		// Not drum-kit pieces.
		{"Hand Clap", -1, PieceClap, false},
		{"Clap Hard", -1, PieceClap, false},
		{"Cowbell", -1, PieceCowbell, false},
		{"Tambourine Pedal (Pearl PTM-10GH)", -1, PieceTambourine, false},
		{"Maraca", -1, PieceShaker, false},
		{"Djembe1 Bass", -1, PiecePercussion, false},
		{"Sangban1 Bell Hit", -1, PiecePercussion, false},
		{"Conga 1", -1, PiecePercussion, false},
		{"Agogo Low (Pearl ECB-23)", -1, PiecePercussion, false},
		{"Cajon Thump", -1, PiecePercussion, false},
		{"Zap 1", -1, PiecePercussion, false},
		// Names that say nothing.
		{"Drum 1", -1, NoPiece, false},
		{"redo super opaco", -1, NoPiece, false},
		{"Sample: beats_08-37.flac", -1, NoPiece, false},
		{"15", -1, NoPiece, false},
		{"", -1, NoPiece, false},
	} {
		p, v := Classify(c.name, c.note)
		if p != c.piece || v != c.variant {
			t.Errorf("Classify(%q, %d) = %v, variant %v; want %v, %v", c.name, c.note, p, v, c.piece, c.variant)
		}
	}
}

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		"BassDrum":                  {"bass", "drum"},
		"tomhi2":                    {"tom", "hi", "2"},
		"f#3 - hi-hat closed":       {"f", "3", "hi", "hat", "closed"},
		`Kick (Tama Superstar 22")`: {"kick"},
		"crash20inch--2":            {"crash", "20", "inch", "2"},
		"WaterglassHi":              {"waterglass", "hi"},
	} {
		if got := words(in); !reflect.DeepEqual(got, want) {
			t.Errorf("words(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTomOrder(t *testing.T) {
	names := []string{"Pearl Tom Floor", "Tom Mid", "Pearl Tom 2", "Tom Hi", "Tom Low", "Pearl Tom 1", "tomhi3"}
	sort.SliceStable(names, func(i, j int) bool { return tomRank(names[i]) < tomRank(names[j]) })
	want := []string{"Tom Hi", "tomhi3", "Pearl Tom 1", "Tom Mid", "Pearl Tom 2", "Tom Low", "Pearl Tom Floor"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("order %q, want %q", names, want)
	}
}

func TestStemsAndNotes(t *testing.T) {
	for p := Piece(1); p < numPieces; p++ {
		// Every piece's GM note reads back as a piece of the same stem.
		back := PieceForNote(p.GMNote())
		if back.Stem() != p.Stem() {
			t.Errorf("%v: note %d reads back as %v (stem %v)", p, p.GMNote(), back, back.Stem())
		}
	}
	for note, p := range map[int]Piece{35: PieceKick, 37: PieceSideStick, 40: PieceRimshot, 41: PieceTomLow, 48: PieceTomHigh,
		44: PieceHatPedal, 52: PieceChina, 57: PieceCrash2, 59: PieceRide, 39: PieceClap, 64: PiecePercussion, 34: NoPiece, 90: NoPiece} {
		if got := PieceForNote(note); got != p {
			t.Errorf("PieceForNote(%d) = %v, want %v", note, got, p)
		}
	}
	for _, s := range []string{"kick", "snare", "toms", "hh", "ride", "crash", "other"} {
		st, err := ParseStem(s)
		if err != nil || st.String() != s {
			t.Errorf("ParseStem(%q) = %v, %v", s, st, err)
		}
	}
	if st, err := ParseStem("HiHat"); err != nil || st != HiHat {
		t.Errorf("ParseStem(HiHat) = %v, %v", st, err)
	}
	if _, err := ParseStem("cowbell"); err == nil {
		t.Error("ParseStem(cowbell) succeeded")
	}
	if got := Layout5.Names(); !reflect.DeepEqual(got, []string{"kick", "snare", "toms", "hh", "cymbals"}) {
		t.Errorf("Layout5 = %q", got)
	}
	if Layout5.output(Ride) != 4 || Layout5.output(Crash) != 4 || Layout6.output(Crash) != 5 || Layout6.output(Other) != -1 {
		t.Error("layout outputs wrong")
	}
}
