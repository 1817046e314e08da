package transcribe

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// Piece is what a note plays: a stem's instrument and articulation. Its
// names are those of render's onsets.json.
type Piece string

// The pieces the transcriber tells apart.
const (
	Kick      Piece = "kick"
	Snare     Piece = "snare"
	Tom       Piece = "tom" // which tom is Note.Tom
	HatClosed Piece = "hh_closed"
	HatPedal  Piece = "hh_pedal"
	HatOpen   Piece = "hh_open"
	Ride      Piece = "ride"
	RideBell  Piece = "ride_bell"
	Crash     Piece = "crash"
)

// DrumMap gives the MIDI note of every piece. Toms lists the tom notes from
// the highest tom to the lowest; a track with fewer toms uses a subset
// (TomNotes).
type DrumMap struct {
	Name    string          `json:"name"`
	Channel int             `json:"channel"` // 1–16; 10 (General MIDI drums) if 0
	Notes   map[Piece]uint8 `json:"notes"`
	Toms    []uint8         `json:"toms"`
	Comment string          `json:"comment,omitempty"`
}

//go:embed maps/*.json
var mapFiles embed.FS

// ErrDrumMap is wrapped by every error about a drum map's content.
var ErrDrumMap = errors.New("bad drum map")

// pieces every map must give a note for.
var allPieces = []Piece{Kick, Snare, HatClosed, HatPedal, HatOpen, Ride, RideBell, Crash}

// GM returns the General MIDI drum map: channel 10, kick 36, snare 38, toms
// 50 48 47 45 43 41 (high to low), hi-hat closed 42, pedal 44, open 46,
// ride 51, bell 53, crash 49.
func GM() *DrumMap {
	m, err := BuiltinMap("gm")
	if err != nil {
		panic(err) // the embedded file is tested
	}
	return m
}

// BuiltinMaps lists the names of the drum maps shipped with the package.
func BuiltinMaps() []string {
	ents, _ := mapFiles.ReadDir("maps")
	var names []string
	for _, e := range ents {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	sort.Strings(names)
	return names
}

// BuiltinMap returns a drum map shipped with the package by name (see
// BuiltinMaps).
func BuiltinMap(name string) (*DrumMap, error) {
	f, err := mapFiles.Open(path.Join("maps", name+".json"))
	if err != nil {
		return nil, fmt.Errorf("%w: no built-in map %q (built-in: %s)", ErrDrumMap, name, strings.Join(BuiltinMaps(), ", "))
	}
	defer f.Close()
	return ReadDrumMap(f)
}

// LoadDrumMap reads a drum map from a JSON file, or returns the built-in
// map of that name when no such file exists and the name has no extension.
func LoadDrumMap(file string) (*DrumMap, error) {
	f, err := os.Open(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && path.Ext(file) == "" && !strings.ContainsAny(file, `/\`) {
			return BuiltinMap(file)
		}
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%q: %w", file, err)
	}
	defer f.Close()
	m, err := ReadDrumMap(f)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", file, err)
	}
	return m, nil
}

// ReadDrumMap decodes and checks a drum map in JSON:
//
//	{"name": "General MIDI", "channel": 10,
//	 "notes": {"kick": 36, "snare": 38, "hh_closed": 42, "hh_pedal": 44,
//	           "hh_open": 46, "ride": 51, "ride_bell": 53, "crash": 49},
//	 "toms": [50, 48, 47, 45, 43, 41]}
//
// Every piece needs a note (0–127), toms at least one; unknown fields and
// pieces are errors, so that a typo does not silently fall back.
func ReadDrumMap(r io.Reader) (*DrumMap, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var m DrumMap
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDrumMap, err)
	}
	if m.Channel == 0 {
		m.Channel = 10
	}
	if m.Channel < 1 || m.Channel > 16 {
		return nil, fmt.Errorf("%w: channel %d (want 1–16)", ErrDrumMap, m.Channel)
	}
	known := map[Piece]bool{}
	for _, p := range allPieces {
		known[p] = true
		if _, ok := m.Notes[p]; !ok {
			return nil, fmt.Errorf("%w: no note for %q", ErrDrumMap, p)
		}
	}
	for p, n := range m.Notes {
		if !known[p] {
			return nil, fmt.Errorf("%w: unknown piece %q (pieces: %s)", ErrDrumMap, p, pieceList())
		}
		if n > 127 {
			return nil, fmt.Errorf("%w: note %d for %q (want 0–127)", ErrDrumMap, n, p)
		}
	}
	if len(m.Toms) == 0 {
		return nil, fmt.Errorf("%w: no tom notes", ErrDrumMap)
	}
	for _, n := range m.Toms {
		if n > 127 {
			return nil, fmt.Errorf("%w: tom note %d (want 0–127)", ErrDrumMap, n)
		}
	}
	return &m, nil
}

func pieceList() string {
	var s []string
	for _, p := range allPieces {
		s = append(s, string(p))
	}
	return strings.Join(s, ", ")
}

// tomSubsets picks, for n toms, which of six tom slots (high to low) they
// use: General MIDI's 50 48 47 45 43 41 give 48/45/43 for three toms.
var tomSubsets = [][]int{
	1: {3},
	2: {1, 4},
	3: {1, 3, 4},
	4: {0, 1, 3, 4},
	5: {0, 1, 2, 3, 4},
	6: {0, 1, 2, 3, 4, 5},
}

// TomNotes returns the notes of n toms, high to low.
func (m *DrumMap) TomNotes(n int) []uint8 {
	if n <= 0 {
		return nil
	}
	if len(m.Toms) != 6 || n > 6 {
		// A map with another number of toms: spread n over them.
		out := make([]uint8, n)
		for i := range out {
			j := i
			if n > 1 {
				j = i * (len(m.Toms) - 1) / (n - 1)
			}
			out[i] = m.Toms[min(j, len(m.Toms)-1)]
		}
		return out
	}
	out := make([]uint8, n)
	for i, j := range tomSubsets[n] {
		out[i] = m.Toms[j]
	}
	return out
}

// Key returns the note of a piece (tom is the tom's rank, 0 the highest, of
// toms toms).
func (m *DrumMap) Key(p Piece, tom, toms int) uint8 {
	if p == Tom {
		ns := m.TomNotes(max(toms, 1))
		return ns[min(max(tom, 0), len(ns)-1)]
	}
	return m.Notes[p]
}
