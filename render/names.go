package render

import (
	"strings"
	"unicode"
)

// Instrument names decide what a kit instrument is, because the MIDI notes
// stored in Hydrogen kits are unreliable (unset, 60 for every instrument, or
// off the GM map). The rules work on lower-case words: a name is split at
// non-letters, at letter/digit boundaries and at camelCase humps, and a word
// the table does not know is split further into known words where possible
// ("tomhi" → "tom hi", "bassdrum" → "bass drum"). Text in parentheses is a
// description ("Kick (Tama Superstar 22")") and is ignored.
//
// Decisions, in order:
//  1. a hand-percussion word (cowbell, clap, shaker, conga, djembe, …) makes
//     the instrument non-kit (stem "other"), whatever else the name says;
//  2. kick / bass drum / bd → kick;
//  3. hi-hat words (hh, hat, hihat, "hi hat", ohh, chh) → a hi-hat piece,
//     open / half-open ("semi", "half", "free") / pedal ("foot", "pd") /
//     closed (the default);
//  4. cymbals: "bell" or "cup" makes a ride bell (kits call it "Bell",
//     "Ride Bell", "ride-cup", "Crash/Ride Bell"); "bow" with "ride" a ride;
//     otherwise the first of ride / crash / splash / china / cymbal in the
//     name wins, so "ride-crash20inch" is a ride and "Crash/Ride" a crash;
//     a bare "cymbal" is a crash;
//  5. tom / floor → a tom, ordered high to low later from hi/mid/low/floor
//     words and numbers;
//  6. side stick, cross stick, rim click, rim → side stick (snare stem, as
//     GMD's class map does with note 37); rimshot → rimshot; snare → snare;
//  7. a bare "stick" is ambiguous (side stick or sticks clicked together):
//     it is a side stick when the instrument's GM note is 37 and
//     percussion otherwise.
//
// Variants that are not a plain stroke — rolls, swishes, chokes, "flink" —
// are marked so that they are used only when a kit has nothing plainer.

// percussionWords are non-kit instruments.
var percussionWords = map[string]bool{
	"cowbell": true, "clap": true, "claps": true, "handclap": true, "shaker": true, "maraca": true,
	"maracas": true, "cabasa": true, "tambourine": true, "tamb": true, "conga": true, "congas": true,
	"bongo": true, "bongos": true, "djembe": true, "sangban": true, "dununba": true, "kenkeni": true,
	"cajon": true, "agogo": true, "clave": true, "claves": true, "woodblock": true, "block": true,
	"timbale": true, "timbales": true, "guiro": true, "cuica": true, "triangle": true, "whistle": true,
	"vibraslap": true, "snap": true, "snaps": true, "finger": true, "waterglass": true, "glass": true,
	"zap": true, "fx": true, "sfx": true, "guitar": true, "strum": true,
	"strums": true, "scratch": true,
}

// variantWords mark strokes that are not a plain hit.
var variantWords = map[string]bool{
	"roll": true, "swish": true, "choke": true, "choked": true, "flink": true, "flam": true, "buzz": true,
}

// knownWords are all words the rules look at; unknown words are split into
// these where possible.
var knownWords = func() map[string]bool {
	m := map[string]bool{}
	for w := range percussionWords {
		m[w] = true
	}
	for w := range variantWords {
		m[w] = true
	}
	for _, w := range strings.Fields(`kick kik bass drum bassdrum bd hh hat hats hihat hi high lo low mid
		middle floor tom toms ride crash splash china chinese cymbal cymb bell cup bow snare sn sd
		side cross stick rim rimshot rimclick open opened op ohh chh closed close cl pedal pd foot
		semi semiopen half free edge hit tip`) {
		m[w] = true
	}
	return m
}()

// words splits an instrument name into lower-case words.
func words(name string) []string {
	// Drop parenthesised descriptions.
	var b strings.Builder
	depth := 0
	for _, r := range name {
		switch {
		case r == '(':
			depth++
		case r == ')':
			if depth > 0 {
				depth--
			}
		case depth == 0:
			b.WriteRune(r)
		}
	}
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, splitKnown(strings.ToLower(string(cur)))...)
			cur = cur[:0]
		}
	}
	rs := []rune(b.String())
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if len(cur) > 0 {
			prev := rs[i-1]
			if unicode.IsDigit(r) != unicode.IsDigit(prev) || (unicode.IsUpper(r) && unicode.IsLower(prev)) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return out
}

// splitKnown splits w into known words if it is not one ("tomhi" → "tom",
// "hi"); it returns w unchanged when no split covers it entirely.
func splitKnown(w string) []string {
	if knownWords[w] || w == "" {
		return []string{w}
	}
	// Longest-prefix-first search; names are short, so recursion is cheap.
	for i := len(w) - 1; i > 0; i-- {
		if !knownWords[w[:i]] {
			continue
		}
		rest := splitKnown(w[i:])
		if len(rest) == 1 && !knownWords[rest[0]] && !isNumber(rest[0]) {
			continue
		}
		return append([]string{w[:i]}, rest...)
	}
	return []string{w}
}

func isNumber(w string) bool {
	for _, r := range w {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return w != ""
}

// Classify returns the piece an instrument with the given name plays and
// whether it is a variant stroke (roll, swish, choke…) to be used only as a
// fallback. gmNote is the instrument's General MIDI note when the kit gives
// a meaningful one, else -1; it only settles the ambiguous name "stick".
// Names that say nothing about a drum-kit piece return NoPiece.
func Classify(name string, gmNote int) (p Piece, variant bool) {
	ws := words(name)
	has := func(list ...string) bool {
		for _, w := range ws {
			for _, l := range list {
				if w == l {
					return true
				}
			}
		}
		return false
	}
	// "hi" followed by "hat" is one word.
	hat := has("hh", "hat", "hats", "hihat", "ohh", "chh")
	for i := 0; i+1 < len(ws); i++ {
		if (ws[i] == "hi" || ws[i] == "high") && (ws[i+1] == "hat" || ws[i+1] == "hats") {
			hat = true
		}
	}
	for _, w := range ws {
		if variantWords[w] {
			variant = true
		}
	}
	for _, w := range ws {
		if percussionWords[w] {
			switch w {
			case "clap", "claps", "handclap":
				return PieceClap, variant
			case "cowbell":
				return PieceCowbell, variant
			case "tambourine", "tamb":
				return PieceTambourine, variant
			case "shaker", "maraca", "maracas", "cabasa":
				return PieceShaker, variant
			}
			return PiecePercussion, variant
		}
	}
	switch {
	case has("kick", "kik", "bassdrum", "bd") || (has("bass") && has("drum")):
		return PieceKick, variant
	case hat:
		switch {
		case has("pedal", "pd", "foot"):
			return PieceHatPedal, variant
		case has("semi", "semiopen", "half", "free"):
			return PieceHatHalfOpen, variant
		case has("open", "opened", "op", "ohh"):
			return PieceHatOpen, variant
		}
		return PieceHatClosed, variant
	}
	if has("bell", "cup") {
		return PieceRideBell, variant
	}
	if has("bow") && has("ride") {
		return PieceRide, variant
	}
	for _, w := range ws {
		switch w {
		case "ride":
			return PieceRide, variant
		case "crash":
			return PieceCrash, variant
		case "splash":
			return PieceSplash, variant
		case "china", "chinese":
			return PieceChina, variant
		case "cymbal", "cymb":
			return PieceCrash, variant
		}
	}
	switch {
	case has("tom", "toms", "floor"):
		// The tom's height is decided from the whole kit (tomRank).
		return PieceTomMid, variant
	case has("side", "cross", "rimclick") || (has("rim") && has("click")) || (has("rim") && !has("snare") && !has("shot")):
		return PieceSideStick, variant
	case has("rimshot") || (has("rim") && has("shot")) || (has("snare") && has("rim")):
		return PieceRimshot, variant
	case has("snare", "sn", "sd"):
		return PieceSnare, variant
	case has("stick"):
		if gmNote == 37 {
			return PieceSideStick, variant
		}
		return PiecePercussion, variant
	}
	return NoPiece, variant
}

// tomRank orders toms from high (small rank) to low from their names: words
// hi/high, mid/middle, low/lo, floor, then a number ("Tom 1" is the highest
// rack tom, as drummers count them), then the kit order.
func tomRank(name string) float64 {
	ws := words(name)
	rank := 0.0
	num := -1
	for _, w := range ws {
		switch w {
		case "hi", "high":
			rank = 1
		case "mid", "middle":
			rank = 2
		case "low", "lo":
			if rank < 3 {
				rank = 3
			}
		case "floor":
			rank = 4
		}
		if isNumber(w) && num < 0 && len(w) < 3 {
			num = int(w[0] - '0')
		}
	}
	if rank == 0 {
		rank = 2 // "Tom": a rack tom between high and low
		if num >= 0 {
			rank = 1 + float64(num)*0.5
		}
		return rank
	}
	if num >= 0 {
		rank += float64(num) * 0.01
	}
	return rank
}
