package transcribe

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/drumsplit/drumsplit/internal/atomicfile"
)

// DirOptions configure TranscribeDir.
type DirOptions struct {
	// Out is the MIDI file written; "" is DIR/drums.mid.
	Out string
	// BPM is the tempo written; with AutoTempo it is estimated from the
	// notes (EstimateTempo) instead.
	BPM       float64
	AutoTempo bool
	// Quantize snaps the notes to a grid of 1/Quantize notes (0: exact
	// times).
	Quantize int
	// Map gives the notes; nil is General MIDI.
	Map *DrumMap
	// Plot, when set, is an SVG or PNG file the piano roll is drawn to.
	Plot string
}

// DirResult is what TranscribeDir did.
type DirResult struct {
	Dir   string
	Notes []Note
	BPM   float64 // the tempo written
	Out   string  // the MIDI file written
}

// TranscribeDir transcribes the stems in dir (ReadDir) into a General MIDI
// drum file. The file is written under a temporary name and renamed into
// place, so that a failed write leaves no partial file.
func TranscribeDir(dir string, o DirOptions) (DirResult, error) {
	res := DirResult{Dir: dir, BPM: o.BPM, Out: o.Out}
	in, err := ReadDir(dir)
	if err != nil {
		return res, err
	}
	if res.Notes, err = Transcribe(in, Options{Map: o.Map}); err != nil {
		return res, fmt.Errorf("%q: %w", dir, err)
	}
	if o.AutoTempo {
		res.BPM = EstimateTempo(res.Notes)
	}
	var buf bytes.Buffer
	if err := WriteSMF(&buf, res.Notes, SMFOptions{BPM: res.BPM, Quantize: o.Quantize, Map: o.Map}); err != nil {
		return res, err
	}
	if res.Out == "" {
		res.Out = filepath.Join(dir, "drums.mid")
	}
	if err := atomicfile.WriteFile(res.Out, buf.Bytes()); err != nil {
		return res, err
	}
	if o.Plot != "" {
		if err := PlotFile(o.Plot, in, res.Notes); err != nil {
			return res, err
		}
	}
	return res, nil
}

// String is the line `drumsplit transcribe` prints for the folder:
// "DIR: 12 notes (kick 4, snare 4, hh 4) at 120 BPM → DIR/drums.mid",
// the stems in StemNames order, then others by name.
func (r DirResult) String() string {
	count := map[string]int{}
	for _, n := range r.Notes {
		count[n.Stem]++
	}
	var parts []string
	for _, s := range StemNames {
		if n, ok := count[s]; ok {
			parts = append(parts, fmt.Sprintf("%s %d", s, n))
			delete(count, s)
		}
	}
	var rest []string
	for s := range count {
		rest = append(rest, s)
	}
	sort.Strings(rest)
	for _, s := range rest {
		parts = append(parts, fmt.Sprintf("%s %d", s, count[s]))
	}
	detail := ""
	if len(parts) > 0 {
		detail = " (" + strings.Join(parts, ", ") + ")"
	}
	return fmt.Sprintf("%s: %d notes%s at %g BPM → %s", r.Dir, len(r.Notes), detail, r.BPM, r.Out)
}
