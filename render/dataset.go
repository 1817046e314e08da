package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/drumsplit/drumsplit/internal/atomicfile"

	"github.com/drumsplit/drumsplit/audio"
)

// A rendered data set is laid out for training and for MSST-style
// evaluation:
//
//	<out>/<split>/<track>/mixture.wav   the mix: the sum of the stem files
//	<out>/<split>/<track>/<stem>.wav    kick snare toms hh ride crash (or cymbals; other)
//	<out>/<split>/<track>/onsets.json   metadata and ground-truth onsets per stem
//	<out>/<split>/<track>/groove.mid    the same onsets as a General MIDI drum file
//
// WAV files are stereo, 44.1 kHz, 32-bit float, so that the stems read back
// add up to the mixture within float32 rounding (1e-6).

// WAVEncoding is the encoding of every rendered WAV file.
var WAVEncoding = audio.Encoding{Format: "wav", BitDepth: 32}

// TrackInfo is the content of onsets.json.
type TrackInfo struct {
	Format      string                  `json:"format"` // "drumsplit-render"
	Version     int                     `json:"version"`
	Track       string                  `json:"track"`
	Split       string                  `json:"split"`
	Seed        uint64                  `json:"seed"` // the track's own seed
	Source      string                  `json:"source"`
	Kit         string                  `json:"kit"`
	KitDir      string                  `json:"kit_dir"`
	KitAuthor   string                  `json:"kit_author,omitempty"`
	KitLicense  string                  `json:"kit_license,omitempty"`
	Style       string                  `json:"style"`
	BPM         float64                 `json:"bpm"`
	Meter       string                  `json:"meter"`
	SampleRate  int                     `json:"sample_rate"`
	Frames      int                     `json:"frames"`
	Stems       []string                `json:"stems"`
	Instruments map[string]string       `json:"instruments"` // piece → kit instrument
	Dropped     map[string]int          `json:"dropped,omitempty"`
	Augment     *AugmentParams          `json:"augment,omitempty"`
	Onsets      map[string][]OnsetEntry `json:"onsets"` // stem file → strokes in time order
}

// OnsetEntry is one ground-truth stroke in onsets.json.
type OnsetEntry struct {
	Time       float64 `json:"time"`  // seconds: frame / sample_rate
	Frame      int     `json:"frame"` // sample index where the stroke's sound starts
	Piece      string  `json:"piece"`
	Note       int     `json:"note"` // General MIDI note, as in groove.mid
	Velocity   float64 `json:"velocity"`
	Instrument string  `json:"instrument"`
	// SecondAttack, when the stroke's sample has a second attack that
	// sounds in the track (Onset.SecondAttack), is the seconds from Time
	// to it: evaluations can skip the stroke, whose audio holds a hit its
	// annotation lacks.
	SecondAttack float64 `json:"second_attack,omitempty"`
	// Stroke is "grace" for the grace note of a flam or a drag, "roll"
	// for a roll's stroke, and absent otherwise (render --style
	// rudiments writes them; MIDI files never do).
	Stroke string `json:"stroke,omitempty"`
}

// Info returns the onsets.json content for a track rendered from kit.
func (t *Track) Info(name, split string, seed uint64, source string, k *Kit) *TrackInfo {
	info := &TrackInfo{
		Format: "drumsplit-render", Version: 1,
		Track: name, Split: split, Seed: seed, Source: source,
		Kit: k.Name, KitDir: filepath.Base(k.Dir), KitAuthor: k.Author, KitLicense: k.License,
		Style: t.Played.Style, BPM: t.Played.BPM(), Meter: t.Played.Meter.String(),
		SampleRate: SampleRate, Frames: len(t.Mixture[0]),
		Stems:       t.Names,
		Instruments: map[string]string{},
		Onsets:      map[string][]OnsetEntry{},
	}
	for p, n := range t.Instruments {
		info.Instruments[p.String()] = n
	}
	for p, n := range t.Dropped {
		if info.Dropped == nil {
			info.Dropped = map[string]int{}
		}
		info.Dropped[p.String()] = n
	}
	if t.Augment.PeakDB != 0 {
		a := t.Augment
		info.Augment = &a
	}
	for _, n := range t.Names {
		info.Onsets[n] = []OnsetEntry{}
	}
	for _, o := range t.Onsets {
		info.Onsets[o.Output] = append(info.Onsets[o.Output], OnsetEntry{
			Time: o.Time(), Frame: o.Frame, Piece: o.Piece.String(), Note: o.Piece.GMNote(),
			Velocity: math.Round(o.Velocity*1e6) / 1e6, Instrument: o.Instrument,
			SecondAttack: float64(o.SecondAttack) / SampleRate,
			Stroke:       o.Stroke.String(),
		})
	}
	return info
}

// Write writes the track into dir (created if needed): mixture.wav, one WAV
// per stem, onsets.json and groove.mid. Every file is written to a temporary
// name and renamed into place.
func (t *Track) Write(dir string, info *TrackInfo) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write track: %w", err)
	}
	write := func(name string, data [][]float32) error {
		_, err := audio.WriteFile(filepath.Join(dir, name+".wav"), &audio.Buffer{SampleRate: SampleRate, Data: data}, WAVEncoding)
		return err
	}
	if err := write("mixture", t.Mixture); err != nil {
		return fmt.Errorf("write track: %w", err)
	}
	for i, n := range t.Names {
		if err := write(n, t.Stems[i]); err != nil {
			return fmt.Errorf("write track: %w", err)
		}
	}
	js, err := json.MarshalIndent(info, "", " ")
	if err != nil {
		return fmt.Errorf("write track: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "onsets.json"), append(js, '\n')); err != nil {
		return fmt.Errorf("write track: %w", err)
	}
	var mid bytes.Buffer
	if err := WriteMIDI(&mid, t.Played); err != nil {
		return fmt.Errorf("write track: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "groove.mid"), mid.Bytes()); err != nil {
		return fmt.Errorf("write track: %w", err)
	}
	return nil
}

// TrackSeed derives a track's own seed from the set's seed, the split and
// the track's index, so that track i is the same whatever the number of
// tracks rendered, the order they are rendered in, or the number of workers.
func TrackSeed(seed uint64, split string, index int) uint64 {
	h := fnv.New64a()
	h.Write([]byte(split))
	return splitmix(seed ^ splitmix(h.Sum64()^splitmix(uint64(index)+1)))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// NewRand returns the generator drumsplit uses for a seed (PCG from
// math/rand/v2).
func NewRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, splitmix(seed))) }

// CheckSplit refuses to render a training or validation split from a
// held-out kit: those kits are for evaluation only.
func CheckSplit(split string, kits []*Kit) error {
	s := strings.ToLower(split)
	if s != "train" && s != "valid" && s != "validation" && s != "val" {
		return nil
	}
	for _, k := range kits {
		if k.HeldOut() {
			return fmt.Errorf("kit %q is held out for evaluation and cannot be rendered into split %q (render it with --split test)", filepath.Base(k.Dir), split)
		}
	}
	return nil
}

// SetOptions describes a data set to render.
type SetOptions struct {
	Out     string  // root directory; tracks go to Out/Split/<track>
	Split   string  // "train", "valid", "test", …
	Kits    []*Kit  // kits to draw from (see Select)
	Tracks  int     // number of generated tracks
	First   int     // index of the first track, to extend a set
	Seconds float64 // length of a generated track
	Seed    uint64
	Style   string // groove style for every track; "" = random per track
	// MIDI lists Standard MIDI files to render instead of generated grooves,
	// one track each (Tracks is then ignored). Seconds, when > 0, cuts them.
	MIDI    []string
	Options Options
	Jobs    int // parallel workers; ≤ 0 means 1
	Cache   *Cache
	// Progress, if set, is called after each track (from any worker).
	Progress func(TrackResult)
	// Logger receives warnings (e.g. MIDI notes outside the drum map);
	// nil logs nothing.
	Logger *slog.Logger
}

// TrackResult reports one rendered track.
type TrackResult struct {
	Name    string
	Kit     string
	Seconds float64 // audio length
	Elapsed time.Duration
	Dropped map[Piece]int
	Err     error
}

// SetResult sums up a data set render.
type SetResult struct {
	Tracks  int
	Seconds float64 // audio rendered
	Elapsed time.Duration
	Failed  int
}

// RenderSet renders and writes a data set. Each track has its own seed
// (TrackSeed), which picks its kit, groove and augmentation, so results do
// not depend on Jobs. It renders every track it can and returns the first
// error with the others counted in Failed.
func RenderSet(opt SetOptions) (SetResult, error) {
	if len(opt.Kits) == 0 {
		return SetResult{}, errors.New("render set: no kits")
	}
	if err := CheckSplit(opt.Split, opt.Kits); err != nil {
		return SetResult{}, err
	}
	if opt.Split == "" || strings.ContainsAny(opt.Split, `/\`) || opt.Split == "." || opt.Split == ".." {
		return SetResult{}, fmt.Errorf("render set: bad split name %q", opt.Split)
	}
	if opt.Cache == nil {
		opt.Cache = NewCache()
	}
	n := opt.Tracks
	if len(opt.MIDI) > 0 {
		n = len(opt.MIDI)
	} else if !(opt.Seconds > 0) {
		return SetResult{}, fmt.Errorf("render set: track length %g s", opt.Seconds)
	}
	jobs := max(1, opt.Jobs)
	start := time.Now()
	var (
		mu       sync.Mutex
		res      SetResult
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan int)
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := renderOne(&opt, opt.First+i, i)
				mu.Lock()
				if r.Err != nil {
					res.Failed++
					if firstErr == nil {
						firstErr = r.Err
					}
				} else {
					res.Tracks++
					res.Seconds += r.Seconds
				}
				mu.Unlock()
				if opt.Progress != nil {
					opt.Progress(r)
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res, firstErr
}

func renderOne(opt *SetOptions, index, i int) TrackResult {
	t0 := time.Now()
	seed := TrackSeed(opt.Seed, opt.Split, index)
	rng := NewRand(seed)
	k := opt.Kits[rng.IntN(len(opt.Kits))]
	name := fmt.Sprintf("%05d", index)
	var (
		g      *Groove
		err    error
		source = "generated"
	)
	if len(opt.MIDI) > 0 {
		path := opt.MIDI[i]
		source = filepath.Base(path)
		name += "-" + sanitize(strings.TrimSuffix(source, filepath.Ext(source)))
		g, err = readMIDIFile(path, opt.Logger)
		if err == nil && opt.Seconds > 0 && g.Length > opt.Seconds {
			g.Length = opt.Seconds
			kept := g.Hits[:0]
			for _, h := range g.Hits {
				if h.Time < opt.Seconds-0.05 {
					kept = append(kept, h)
				}
			}
			g.Hits = kept
		}
	} else {
		g, err = Generate(GrooveOptions{Seconds: opt.Seconds, Style: opt.Style, AllStems: true}, rng)
	}
	r := TrackResult{Name: name, Kit: filepath.Base(k.Dir)}
	if err != nil {
		r.Err = fmt.Errorf("track %s: %w", name, err)
		return r
	}
	tr, err := Render(g, k, opt.Cache, opt.Options, rng)
	if err != nil {
		r.Err = fmt.Errorf("track %s: %w", name, err)
		return r
	}
	dir := filepath.Join(opt.Out, opt.Split, name)
	if err := tr.Write(dir, tr.Info(name, opt.Split, seed, source, k)); err != nil {
		r.Err = fmt.Errorf("track %s: %w", name, err)
		return r
	}
	r.Seconds = float64(len(tr.Mixture[0])) / SampleRate
	r.Dropped = tr.Dropped
	r.Elapsed = time.Since(t0)
	return r
}

func readMIDIFile(path string, log *slog.Logger) (*Groove, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	g, unmapped, err := ReadMIDI(f, MIDIOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(unmapped) > 0 {
		n := 0
		notes := make([]int, 0, len(unmapped))
		for note, c := range unmapped {
			n += c
			notes = append(notes, note)
		}
		sort.Ints(notes)
		if log != nil {
			log.Warn(fmt.Sprintf("%q: %d drum notes outside the General MIDI drum map skipped (notes %v)", path, n, notes), "file", path)
		}
	}
	return g, nil
}

// sanitize keeps a file name usable as a directory name.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	return b.String()
}
