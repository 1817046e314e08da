package render

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// DefaultKitsDir is where Debian's hydrogen-drumkits package installs its kits.
const DefaultKitsDir = "/usr/share/hydrogen/data/drumkits"

// HeldOutKits are reserved for evaluation: a default selection leaves them
// out, so no training set is ever rendered from them. They are used only
// when named explicitly (see Select); drumsplit render --held-out renders
// the test split from them.
var HeldOutKits = []string{"The Black Pearl 1.0", "ForzeeStereo"}

// Kit is a Hydrogen drum kit as described by its drumkit.xml.
type Kit struct {
	Dir         string // the kit's directory; sample paths are relative to it
	Name        string // <name>, or the directory name when empty
	Author      string
	License     string
	Form        string // "hydrogen-0.9.7" (namespaced, midiOutNote), "hydrogen-old", or "hydrogen-components"
	Instruments []*Instrument
	// Missing lists sample files the kit names but does not ship (LoadKit
	// drops their layers; Millo_MultiLayered2 lacks its cowbell).
	Missing []string
}

// Instrument is one instrument of a kit.
type Instrument struct {
	Index     int    // position in the kit's instrument list
	ID        int    // Hydrogen's <id>
	Name      string // as written in the kit
	Volume    float64
	Gain      float64
	PanL      float64 // left and right gains, Hydrogen's pan_L / pan_R (1, 1 = centre)
	PanR      float64
	MuteGroup int  // -1: none; instruments of one group cut each other
	IsHihat   bool // Hydrogen's <isHihat>
	MIDINote  int  // <midiOutNote>, -1 when absent
	Layers    []Layer

	Piece   Piece // what the name says it plays (Classify)
	Variant bool  // a roll, swish, choke…: used only when the kit has nothing plainer
}

// Layer is one sample of an instrument, played for velocities in [Min, Max].
type Layer struct {
	File  string // absolute path
	Min   float64
	Max   float64
	Gain  float64
	Pitch float64 // semitones; pitch shifting is not rendered, the sample is used as recorded
}

// The drumkit.xml forms: the oldest has <filename> right in <instrument>,
// later ones <layer>s in <instrument>, Hydrogen ≥ 0.9.7 wraps them in
// <instrumentComponent>. Namespaced files may use either of the last two.
type xmlKit struct {
	Name        string          `xml:"name"`
	Author      string          `xml:"author"`
	License     string          `xml:"license"`
	Licence     string          `xml:"licence"`
	Instruments []xmlInstrument `xml:"instrumentList>instrument"`
}

type xmlInstrument struct {
	ID         string         `xml:"id"`
	Name       string         `xml:"name"`
	Filename   string         `xml:"filename"`
	Volume     string         `xml:"volume"`
	Gain       string         `xml:"gain"`
	PanL       string         `xml:"pan_L"`
	PanR       string         `xml:"pan_R"`
	Pan        string         `xml:"pan"`
	MuteGroup  string         `xml:"muteGroup"`
	IsHihat    string         `xml:"isHihat"`
	MIDIOut    string         `xml:"midiOutNote"`
	Layers     []xmlLayer     `xml:"layer"`
	Components []xmlComponent `xml:"instrumentComponent"`
}

type xmlComponent struct {
	Gain   string     `xml:"gain"`
	Layers []xmlLayer `xml:"layer"`
}

type xmlLayer struct {
	Filename string `xml:"filename"`
	Min      string `xml:"min"`
	Max      string `xml:"max"`
	Gain     string `xml:"gain"`
	Pitch    string `xml:"pitch"`
}

// LoadKit reads dir/drumkit.xml. Layers whose sample file does not exist
// are dropped (and listed in Missing), then instruments left without a
// layer.
func LoadKit(dir string) (*Kit, error) {
	f, err := os.Open(filepath.Join(dir, "drumkit.xml"))
	if err != nil {
		return nil, fmt.Errorf("load kit: %w", err)
	}
	defer f.Close()
	k, err := ParseKit(f, dir)
	if err != nil {
		return nil, err
	}
	kept := k.Instruments[:0]
	for _, in := range k.Instruments {
		layers := in.Layers[:0]
		for _, l := range in.Layers {
			if st, err := os.Stat(l.File); err != nil || st.IsDir() {
				k.Missing = append(k.Missing, l.File)
				continue
			}
			layers = append(layers, l)
		}
		if in.Layers = layers; len(layers) > 0 {
			kept = append(kept, in)
		}
	}
	k.Instruments = kept
	return k, nil
}

// ParseKit parses a drumkit.xml; dir is the directory its sample paths are
// relative to. Instruments without samples (Hydrogen pads its list with
// empty slots) are dropped. Every instrument is classified by its name.
func ParseKit(r io.Reader, dir string) (*Kit, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("parse kit %s: %w", dir, err)
	}
	var x xmlKit
	dec := xml.NewDecoder(bytes.NewReader(raw))
	// Kits declare UTF-8 or nothing; read any other label as UTF-8 rather
	// than fail on text that is only displayed.
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("parse kit %s: drumkit.xml: %w", dir, err)
	}
	k := &Kit{Dir: dir, Name: strings.TrimSpace(x.Name), Author: strings.TrimSpace(x.Author)}
	k.License = strings.TrimSpace(x.License)
	if k.License == "" {
		k.License = strings.TrimSpace(x.Licence)
	}
	if k.Name == "" {
		k.Name = filepath.Base(dir)
	}
	namespaced := strings.Contains(string(raw[:min(len(raw), 512)]), "hydrogen-music.org/drumkit")
	k.Form = "hydrogen-old"
	if namespaced {
		k.Form = "hydrogen-0.9.7"
	}
	for i, xi := range x.Instruments {
		in := &Instrument{
			Index:     i,
			ID:        atoi(xi.ID, i),
			Name:      strings.TrimSpace(xi.Name),
			Volume:    atof(xi.Volume, 1),
			Gain:      atof(xi.Gain, 1),
			PanL:      atof(xi.PanL, 1),
			PanR:      atof(xi.PanR, 1),
			MuteGroup: atoi(xi.MuteGroup, -1),
			MIDINote:  atoi(xi.MIDIOut, -1),
		}
		if xi.Pan != "" && xi.PanL == "" && xi.PanR == "" {
			// Hydrogen ≥ 1.2 stores one pan in [-1, 1]; turn it into the
			// balance gains the older form stores.
			p := clamp(atof(xi.Pan, 0), -1, 1)
			in.PanL, in.PanR = min(1, 1-p), min(1, 1+p)
		}
		switch strings.ToLower(strings.TrimSpace(xi.IsHihat)) {
		case "true", "1":
			in.IsHihat = true
		default:
			// Hydrogen 1.x writes an int: -1 for "not a hi-hat".
			in.IsHihat = atoi(xi.IsHihat, -1) > 0
		}
		layers := xi.Layers
		compGain := 1.0
		if len(layers) == 0 {
			for _, c := range xi.Components {
				if len(c.Layers) > 0 {
					// Several components (microphone positions) are rare;
					// the first one with samples is rendered.
					layers, compGain = c.Layers, atof(c.Gain, 1)
					k.Form = "hydrogen-components"
					break
				}
			}
		}
		for _, xl := range layers {
			if l, ok := makeLayer(dir, xl.Filename, atof(xl.Min, 0), atof(xl.Max, 1), atof(xl.Gain, 1)*compGain, atof(xl.Pitch, 0)); ok {
				in.Layers = append(in.Layers, l)
			}
		}
		if len(layers) == 0 && xi.Filename != "" {
			if l, ok := makeLayer(dir, xi.Filename, 0, 1, 1, 0); ok {
				in.Layers = append(in.Layers, l)
			}
		}
		if len(in.Layers) == 0 {
			continue
		}
		note := in.MIDINote
		if note < 0 || (note == 60 && namespaced) {
			// Unset (or Hydrogen's default 60 on every instrument): use
			// Hydrogen's default input map, note 36 + list position.
			note = 36 + i
		}
		in.Piece, in.Variant = Classify(in.Name, note)
		if in.Piece == NoPiece && in.IsHihat {
			in.Piece = PieceHatClosed
		}
		k.Instruments = append(k.Instruments, in)
	}
	// A tom's height is relative to the kit's other toms.
	toms := k.toms()
	for i, t := range toms {
		switch {
		case len(toms) == 1:
			t.Piece = PieceTomMid
		case i == 0:
			t.Piece = PieceTomHigh
		case i == len(toms)-1:
			t.Piece = PieceTomLow
		default:
			t.Piece = PieceTomMid
		}
	}
	return k, nil
}

func makeLayer(dir, name string, lo, hi, gain, pitch float64) (Layer, bool) {
	name = strings.TrimSpace(name)
	if name == "" || strings.EqualFold(name, "emptySample.flac") || strings.EqualFold(name, "emptySample.wav") {
		return Layer{}, false
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, name)
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	return Layer{File: path, Min: clamp(lo, 0, 1), Max: clamp(hi, 0, 1), Gain: gain, Pitch: pitch}, true
}

func atof(s string, def float64) float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return def
	}
	return v
}

func atoi(s string, def int) int {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return def
	}
	return v
}

func clamp(v, lo, hi float64) float64 { return max(lo, min(hi, v)) }

// Instruments returns the kit's instruments that play piece p, plain strokes
// first.
func (k *Kit) instrumentsFor(p Piece) []*Instrument {
	var plain, variants []*Instrument
	for _, in := range k.Instruments {
		if in.Piece != p {
			continue
		}
		if in.Variant {
			variants = append(variants, in)
		} else {
			plain = append(plain, in)
		}
	}
	return append(plain, variants...)
}

// toms returns the kit's toms ordered from high to low.
func (k *Kit) toms() []*Instrument {
	var toms []*Instrument
	for _, in := range k.Instruments {
		if in.Piece.Stem() == Toms && !in.Variant {
			toms = append(toms, in)
		}
	}
	sort.SliceStable(toms, func(i, j int) bool { return tomRank(toms[i].Name) < tomRank(toms[j].Name) })
	return toms
}

// IsDrumKit reports whether the kit is a drum kit: it must have a kick, a
// snare and a hi-hat. Percussion-only and effect kits (circAfrique's
// djembes, Gimme A Hand's hand percussion, belofilms_GuitarStrums) are not;
// the reason says what is missing.
func (k *Kit) IsDrumKit() (ok bool, reason string) {
	var missing []string
	for _, need := range []struct {
		name   string
		pieces []Piece
	}{
		{"kick", []Piece{PieceKick}},
		{"snare", []Piece{PieceSnare, PieceRimshot}},
		{"hi-hat", []Piece{PieceHatClosed, PieceHatPedal, PieceHatHalfOpen, PieceHatOpen}},
	} {
		found := false
		for _, p := range need.pieces {
			if len(k.instrumentsFor(p)) > 0 {
				found = true
			}
		}
		if !found {
			missing = append(missing, need.name)
		}
	}
	if len(missing) > 0 {
		return false, "no " + strings.Join(missing, ", ") + " instrument: not a drum kit"
	}
	return true, ""
}

// FindKits loads every kit in the subdirectories of root that hold a
// drumkit.xml, sorted by directory name. Kits that fail to parse are
// returned as errors alongside the good ones.
func FindKits(root string) ([]*Kit, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("find kits: %w", err)
	}
	var kits []*Kit
	var errs []error
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		if st, err := os.Stat(filepath.Join(dir, "drumkit.xml")); err != nil || st.IsDir() {
			continue
		}
		k, err := LoadKit(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		kits = append(kits, k)
	}
	sort.Slice(kits, func(i, j int) bool { return kits[i].Dir < kits[j].Dir })
	if len(kits) == 0 && len(errs) == 0 {
		return nil, fmt.Errorf("find kits: no drumkit.xml under %s", root)
	}
	return kits, errors.Join(errs...)
}

// Matches reports whether name (case-insensitive) is the kit's directory
// name or its <name>.
func (k *Kit) Matches(name string) bool {
	name = strings.TrimSpace(name)
	return strings.EqualFold(name, filepath.Base(k.Dir)) || strings.EqualFold(name, k.Name)
}

// HeldOut reports whether the kit is one of HeldOutKits.
func (k *Kit) HeldOut() bool {
	for _, h := range HeldOutKits {
		if k.Matches(h) {
			return true
		}
	}
	return false
}

// Skipped is a kit left out of a selection and why.
type Skipped struct {
	Kit    *Kit
	Reason string
}

// Select picks the kits to render from. With no include list it takes every
// drum kit except the held-out ones and those named in exclude; with an
// include list it takes exactly the kits named there (held-out ones too —
// that is how the evaluation set is rendered), minus exclude. A kit that is
// not a drum kit is never selected. Naming a kit that does not exist is an
// error, so a typo cannot silently change a data set.
func Select(kits []*Kit, include, exclude []string) (selected []*Kit, skipped []Skipped, err error) {
	find := func(name string) bool {
		for _, k := range kits {
			if k.Matches(name) {
				return true
			}
		}
		return false
	}
	for _, n := range append(append([]string(nil), include...), exclude...) {
		if !find(n) {
			var have []string
			for _, k := range kits {
				have = append(have, filepath.Base(k.Dir))
			}
			return nil, nil, fmt.Errorf("no kit named %q (kits: %s)", n, strings.Join(have, ", "))
		}
	}
	named := func(k *Kit, list []string) bool {
		for _, n := range list {
			if k.Matches(n) {
				return true
			}
		}
		return false
	}
	for _, k := range kits {
		switch ok, why := k.IsDrumKit(); {
		case !ok:
			skipped = append(skipped, Skipped{k, why})
		case named(k, exclude):
			skipped = append(skipped, Skipped{k, "excluded"})
		case len(include) > 0 && !named(k, include):
			skipped = append(skipped, Skipped{k, "not included"})
		case len(include) == 0 && k.HeldOut():
			skipped = append(skipped, Skipped{k, "held out for evaluation"})
		default:
			selected = append(selected, k)
		}
	}
	if len(selected) == 0 {
		return nil, skipped, errors.New("no drum kit selected")
	}
	return selected, skipped, nil
}
