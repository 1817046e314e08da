package render

import (
	"fmt"
	"strings"
)

// Stem is one of the tracks a rendered drum track is split into.
type Stem uint8

// The stems, in the order drumsplit's models output them. Other collects
// the pieces that do not belong to a drum kit (claps, cowbells, shakers…);
// it is rendered only when asked for.
const (
	Kick Stem = iota
	Snare
	Toms
	HiHat
	Ride
	Crash
	Other
	numStems
)

var stemNames = [numStems]string{"kick", "snare", "toms", "hh", "ride", "crash", "other"}

// String returns the stem's file name: "kick", "snare", "toms", "hh", "ride",
// "crash" or "other".
func (s Stem) String() string {
	if s < numStems {
		return stemNames[s]
	}
	return fmt.Sprintf("Stem(%d)", uint8(s))
}

// ParseStem returns the stem with the given name. "hihat" and "hi-hat" are
// accepted for "hh", as LarsNet and StemGMD spell it.
func ParseStem(name string) (Stem, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "hihat", "hi-hat":
		return HiHat, nil
	}
	for i, s := range stemNames {
		if s == n {
			return Stem(i), nil
		}
	}
	return 0, fmt.Errorf("unknown stem %q (want kick, snare, toms, hh, ride, crash or other)", name)
}

// Output is one file of a rendered track: a name and the stems summed into it.
type Output struct {
	Name  string
	Stems []Stem
}

// Layout lists the stem files a track is written as. Its outputs partition
// the drum-kit stems, so the mixture is always the sum of the files.
type Layout []Output

// Layout6 is the six-stem layout of drumsplit's default model.
var Layout6 = Layout{
	{"kick", []Stem{Kick}}, {"snare", []Stem{Snare}}, {"toms", []Stem{Toms}},
	{"hh", []Stem{HiHat}}, {"ride", []Stem{Ride}}, {"crash", []Stem{Crash}},
}

// Layout5 is the five-stem layout of LarsNet and the 5-stem MDX23C DrumSep
// models: ride and crash are summed into "cymbals".
var Layout5 = Layout{
	{"kick", []Stem{Kick}}, {"snare", []Stem{Snare}}, {"toms", []Stem{Toms}},
	{"hh", []Stem{HiHat}}, {"cymbals", []Stem{Ride, Crash}},
}

// Names returns the output names in order.
func (l Layout) Names() []string {
	names := make([]string, len(l))
	for i, o := range l {
		names[i] = o.Name
	}
	return names
}

// output returns the index of the output holding s, or -1.
func (l Layout) output(s Stem) int {
	for i, o := range l {
		for _, t := range o.Stems {
			if t == s {
				return i
			}
		}
	}
	return -1
}

// Piece is what a drummer strikes: the vocabulary shared by the groove
// generator, MIDI files and kit instruments. Each piece belongs to one stem.
type Piece uint8

// The pieces. The order is that of the stems they belong to.
const (
	NoPiece Piece = iota
	PieceKick
	PieceSnare
	PieceRimshot
	PieceSideStick // cross-stick / rim click: played on the snare, so in the snare stem (as in GMD's 9-class map)
	PieceTomHigh
	PieceTomMid
	PieceTomLow
	PieceHatClosed
	PieceHatPedal
	PieceHatHalfOpen
	PieceHatOpen
	PieceRide
	PieceRideBell
	PieceCrash
	PieceCrash2
	PieceSplash
	PieceChina
	PieceClap
	PieceCowbell
	PieceTambourine
	PieceShaker
	PiecePercussion // any other hand percussion: congas, bongos, agogos, claves, woodblocks…
	numPieces
)

var pieceInfo = [numPieces]struct {
	name string
	stem Stem
	note int // the General MIDI (channel 10) note written for the piece
}{
	NoPiece:          {"none", Other, 0},
	PieceKick:        {"kick", Kick, 36},
	PieceSnare:       {"snare", Snare, 38},
	PieceRimshot:     {"rimshot", Snare, 40},
	PieceSideStick:   {"side_stick", Snare, 37},
	PieceTomHigh:     {"tom_high", Toms, 50},
	PieceTomMid:      {"tom_mid", Toms, 47},
	PieceTomLow:      {"tom_low", Toms, 43},
	PieceHatClosed:   {"hh_closed", HiHat, 42},
	PieceHatPedal:    {"hh_pedal", HiHat, 44},
	PieceHatHalfOpen: {"hh_half_open", HiHat, 46}, // GM has no half-open hat; it is written as open
	PieceHatOpen:     {"hh_open", HiHat, 46},
	PieceRide:        {"ride", Ride, 51},
	PieceRideBell:    {"ride_bell", Ride, 53},
	PieceCrash:       {"crash", Crash, 49},
	PieceCrash2:      {"crash2", Crash, 57},
	PieceSplash:      {"splash", Crash, 55},
	PieceChina:       {"china", Crash, 52},
	PieceClap:        {"clap", Other, 39},
	PieceCowbell:     {"cowbell", Other, 56},
	PieceTambourine:  {"tambourine", Other, 54},
	PieceShaker:      {"shaker", Other, 70},
	PiecePercussion:  {"percussion", Other, 63},
}

// String returns the piece's name as written in onsets.json ("kick",
// "hh_open", "ride_bell", …).
func (p Piece) String() string {
	if p < numPieces {
		return pieceInfo[p].name
	}
	return fmt.Sprintf("Piece(%d)", uint8(p))
}

// Stem returns the stem the piece is rendered into.
func (p Piece) Stem() Stem {
	if p < numPieces {
		return pieceInfo[p].stem
	}
	return Other
}

// GMNote returns the General MIDI percussion note written for the piece.
func (p Piece) GMNote() int {
	if p < numPieces {
		return pieceInfo[p].note
	}
	return 0
}

// Kit reports whether the piece belongs to a drum kit (its stem is not Other).
func (p Piece) Kit() bool { return p != NoPiece && p.Stem() != Other }

// gmPieces maps General MIDI percussion notes (channel 10) to pieces. The
// drum-kit notes follow the GM list; notes outside a drum kit go to the
// percussion pieces so that they can be rendered into "other".
var gmPieces = map[int]Piece{
	35: PieceKick, 36: PieceKick,
	37: PieceSideStick, 38: PieceSnare, 40: PieceRimshot,
	41: PieceTomLow, 43: PieceTomLow, 45: PieceTomMid, 47: PieceTomMid, 48: PieceTomHigh, 50: PieceTomHigh,
	42: PieceHatClosed, 44: PieceHatPedal, 46: PieceHatOpen,
	51: PieceRide, 59: PieceRide, 53: PieceRideBell,
	49: PieceCrash, 57: PieceCrash2, 55: PieceSplash, 52: PieceChina,
	39: PieceClap, 54: PieceTambourine, 56: PieceCowbell, 69: PieceShaker, 70: PieceShaker, 82: PieceShaker,
	// Roland/GMD extras: 22 closed hat edge, 26 open hat edge, 58 vibraslap
	// (GMD maps it to the low tom class, a TD-11 quirk we follow).
	22: PieceHatClosed, 26: PieceHatOpen, 58: PieceTomLow,
}

// PieceForNote returns the piece a General MIDI percussion note plays, or
// NoPiece. Hand-percussion notes (bongos, congas, timbales, agogos, claves,
// woodblocks, cuíca, triangle: 60–81 except the shakers) map to
// PiecePercussion.
func PieceForNote(note int) Piece {
	if p, ok := gmPieces[note]; ok {
		return p
	}
	if note >= 60 && note <= 81 {
		return PiecePercussion
	}
	return NoPiece
}
