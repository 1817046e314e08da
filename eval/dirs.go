package eval

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// Directory layouts read by EvaluateDirs:
//
//	reference:  <reference>/<track>/<stem>.wav   as drumsplit render writes a split
//	                                             (mixture.wav, onsets.json… are ignored)
//	estimates:  <estimates>/<track>/<stem>.<ext> as drumsplit separate writes with its
//	                                             default template {track}/{stem}.{ext}
//	            <estimates>/<track>/mixture/<stem>.<ext>
//	                                             the same, when each track's mixture.wav
//	                                             was separated into a folder of its own
//
// <ext> is any extension the Loader reads (wav, flac, mp3). The stems scored
// are those present among the estimates. An estimate named "cymbals" is
// scored against ride + crash when the reference has no cymbals file, and
// "hihat" is read as "hh" (LarsNet's names).

// Loader reads an audio file as planar samples.
type Loader func(path string) (data [][]float32, sampleRate int, err error)

// AudioExts are the file extensions EvaluateDirs looks for.
var AudioExts = []string{".wav", ".flac", ".mp3"}

// Score is one stem of one track.
type Score struct {
	SDR    float64 `json:"sdr"`
	SISDR  float64 `json:"si_sdr"`
	Frames int     `json:"frames"`
	// Silent marks a reference stem without signal (energy < Epsilon): its
	// SDR says nothing about the separation, so it is left out of the
	// averages (MSST would count −80 dB-like scores there).
	Silent bool `json:"silent_reference,omitempty"`
	// LengthMismatch is the estimate's frames minus the reference's before
	// both were trimmed to the shorter.
	LengthMismatch int `json:"length_mismatch,omitempty"`
}

// TrackScores holds one track's scores by stem.
type TrackScores struct {
	Track string           `json:"track"`
	Stems map[string]Score `json:"stems"`
}

// Summary aggregates one stem over the tracks where its reference is not
// silent.
type Summary struct {
	Tracks      int     `json:"tracks"`
	SDRMean     float64 `json:"sdr_mean"`
	SDRMedian   float64 `json:"sdr_median"`
	SISDRMean   float64 `json:"si_sdr_mean"`
	SISDRMedian float64 `json:"si_sdr_median"`
}

// Report is the result of an evaluation.
type Report struct {
	Epsilon float64            `json:"epsilon"`
	Stems   []string           `json:"stems"`
	Tracks  []TrackScores      `json:"tracks"`
	PerStem map[string]Summary `json:"per_stem"`
	// SDRMean and SISDRMean average the per-stem means (MSST's "Metric avg
	// sdr"): every stem weighs the same whatever its number of tracks.
	SDRMean   float64 `json:"sdr_mean"`
	SISDRMean float64 `json:"si_sdr_mean"`
}

// stemOrder lists the usual stems first, in drumsplit's output order.
var stemOrder = []string{"kick", "snare", "toms", "hh", "ride", "crash", "cymbals", "other"}

// Evaluate scores the estimates of one track against its references, both
// keyed by stem name. Stems missing from refs are skipped.
func Evaluate(track string, refs, ests map[string][][]float32) (TrackScores, error) {
	ts := TrackScores{Track: track, Stems: map[string]Score{}}
	for name, est := range ests {
		ref, ok := refs[name]
		if !ok {
			continue
		}
		r, e, err := Trim(ref, est)
		if err != nil {
			return ts, fmt.Errorf("track %s, stem %s: %w", track, name, err)
		}
		s := Score{SDR: SDR(r, e), SISDR: SISDR(r, e), Frames: frames(r)}
		s.Silent = Energy(r) < Epsilon
		s.LengthMismatch = frames(est) - frames(ref)
		ts.Stems[name] = s
	}
	return ts, nil
}

func frames(x [][]float32) int {
	if len(x) == 0 {
		return 0
	}
	return len(x[0])
}

// Summarize builds a report from track scores.
func Summarize(tracks []TrackScores) *Report {
	rep := &Report{Epsilon: Epsilon, Tracks: tracks, PerStem: map[string]Summary{}}
	seen := map[string]bool{}
	for _, t := range tracks {
		for n := range t.Stems {
			seen[n] = true
		}
	}
	rep.Stems = orderStems(seen)
	var sdrs, sis []float64
	for _, n := range rep.Stems {
		var a, b []float64
		for _, t := range tracks {
			if s, ok := t.Stems[n]; ok && !s.Silent {
				a = append(a, s.SDR)
				b = append(b, s.SISDR)
			}
		}
		sum := Summary{Tracks: len(a)}
		if len(a) > 0 {
			sum.SDRMean, sum.SDRMedian = mean(a), median(a)
			sum.SISDRMean, sum.SISDRMedian = mean(b), median(b)
			sdrs = append(sdrs, sum.SDRMean)
			sis = append(sis, sum.SISDRMean)
		}
		rep.PerStem[n] = sum
	}
	if len(sdrs) > 0 {
		rep.SDRMean, rep.SISDRMean = mean(sdrs), mean(sis)
	}
	return rep
}

func orderStems(seen map[string]bool) []string {
	var out []string
	for _, n := range stemOrder {
		if seen[n] {
			out = append(out, n)
		}
	}
	var rest []string
	for n := range seen {
		known := false
		for _, k := range stemOrder {
			known = known || k == n
		}
		if !known {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func median(x []float64) float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// EvaluateDirs scores every track of a reference directory against the
// estimates directory (layouts above). A reference track without estimates
// is an error: a partial evaluation would read as a complete one.
func EvaluateDirs(reference, estimates string, load Loader) (*Report, error) {
	entries, err := os.ReadDir(reference)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	var tracks []TrackScores
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		refDir := filepath.Join(reference, e.Name())
		refFiles := audioFiles(refDir)
		if len(refFiles) == 0 {
			continue
		}
		estDir, estFiles := filepath.Join(estimates, e.Name()), map[string]string(nil)
		for _, d := range []string{estDir, filepath.Join(estDir, "mixture")} {
			if f := audioFiles(d); len(f) > 0 {
				estDir, estFiles = d, f
				break
			}
		}
		if estFiles == nil {
			return nil, fmt.Errorf("evaluate: no estimates for track %s (looked for %s/<stem>.wav)", e.Name(), estDir)
		}
		ts, err := evaluateTrack(e.Name(), refFiles, estFiles, load)
		if err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
		if len(ts.Stems) == 0 {
			return nil, fmt.Errorf("evaluate: track %s: no estimate matches a reference stem (estimates: %s)", e.Name(), strings.Join(keys(estFiles), ", "))
		}
		tracks = append(tracks, ts)
	}
	if len(tracks) == 0 {
		return nil, fmt.Errorf("evaluate: no tracks in %s (want <track>/<stem>.wav folders)", reference)
	}
	return Summarize(tracks), nil
}

func keys(m map[string]string) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

// audioFiles maps stem names to the audio files of a directory, leaving the
// mixture out and reading "hihat" as "hh".
func audioFiles(dir string) map[string]string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	files := map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		ext := strings.ToLower(filepath.Ext(e.Name()))
		known := false
		for _, x := range AudioExts {
			known = known || x == ext
		}
		if !known {
			continue
		}
		stem := strings.ToLower(strings.TrimSuffix(e.Name(), filepath.Ext(e.Name())))
		switch stem {
		case "mixture", "mix":
			continue
		case "hihat", "hi-hat":
			stem = "hh"
		}
		if _, dup := files[stem]; !dup {
			files[stem] = filepath.Join(dir, e.Name())
		}
	}
	return files
}

func evaluateTrack(track string, refFiles, estFiles map[string]string, load Loader) (TrackScores, error) {
	refs := map[string][][]float32{}
	ests := map[string][][]float32{}
	rate := 0
	read := func(path string) ([][]float32, error) {
		data, sr, err := load(path)
		if err != nil {
			return nil, err
		}
		if rate == 0 {
			rate = sr
		} else if sr != rate {
			return nil, fmt.Errorf("%s: sample rate %d Hz, other files of track %s have %d Hz", path, sr, track, rate)
		}
		return data, nil
	}
	for stem, path := range estFiles {
		est, err := read(path)
		if err != nil {
			return TrackScores{}, err
		}
		var ref [][]float32
		switch p, ok := refFiles[stem]; {
		case ok:
			if ref, err = read(p); err != nil {
				return TrackScores{}, err
			}
		case stem == "cymbals" && refFiles["ride"] != "" && refFiles["crash"] != "":
			ride, err := read(refFiles["ride"])
			if err != nil {
				return TrackScores{}, err
			}
			crash, err := read(refFiles["crash"])
			if err != nil {
				return TrackScores{}, err
			}
			if ref, err = sum(ride, crash); err != nil {
				return TrackScores{}, fmt.Errorf("track %s: cymbals = ride + crash: %w", track, err)
			}
		default:
			continue // an estimate with no reference (e.g. "other")
		}
		refs[stem], ests[stem] = ref, est
	}
	return Evaluate(track, refs, ests)
}

func sum(a, b [][]float32) ([][]float32, error) {
	if len(a) != len(b) || frames(a) != frames(b) {
		return nil, errors.New("shapes differ")
	}
	out := make([][]float32, len(a))
	for c := range a {
		out[c] = make([]float32, len(a[c]))
		for i := range a[c] {
			out[c][i] = a[c][i] + b[c][i]
		}
	}
	return out, nil
}

// WriteTable prints the report as text: SDR per track and stem, then the
// per-stem mean and median SDR and SI-SDR and their averages over stems.
// Silent references show as "-".
func (r *Report) WriteTable(w io.Writer) error {
	labels := []string{"SDR (dB)", "SDR mean", "SDR median", "SI-SDR mean", "SI-SDR median"}
	for _, t := range r.Tracks {
		labels = append(labels, t.Track)
	}
	width := 0
	for _, l := range labels {
		width = max(width, utf8.RuneCountInString(l))
	}
	// The first column is padded here so that its labels read left-aligned
	// while the tabwriter right-aligns the numbers.
	label := func(s string) string { return s + strings.Repeat(" ", width-utf8.RuneCountInString(s)) + "\t" }

	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := label("SDR (dB)")
	for _, s := range r.Stems {
		head += s + "\t"
	}
	fmt.Fprintln(tw, head+"mean\t")
	for _, t := range r.Tracks {
		line := label(t.Track)
		var vals []float64
		for _, s := range r.Stems {
			sc, ok := t.Stems[s]
			switch {
			case !ok || sc.Silent:
				line += "-\t"
			default:
				line += fmt.Sprintf("%.3f\t", sc.SDR)
				vals = append(vals, sc.SDR)
			}
		}
		if len(vals) > 0 {
			line += fmt.Sprintf("%.3f\t", mean(vals))
		} else {
			line += "-\t"
		}
		fmt.Fprintln(tw, line)
	}
	row := func(name string, f func(Summary) float64, all float64) {
		line := label(name)
		for _, s := range r.Stems {
			if sum := r.PerStem[s]; sum.Tracks > 0 {
				line += fmt.Sprintf("%.3f\t", f(sum))
			} else {
				line += "-\t"
			}
		}
		if math.IsNaN(all) {
			line += "\t"
		} else {
			line += fmt.Sprintf("%.3f\t", all)
		}
		fmt.Fprintln(tw, line)
	}
	row("SDR mean", func(s Summary) float64 { return s.SDRMean }, r.SDRMean)
	row("SDR median", func(s Summary) float64 { return s.SDRMedian }, math.NaN())
	row("SI-SDR mean", func(s Summary) float64 { return s.SISDRMean }, r.SISDRMean)
	row("SI-SDR median", func(s Summary) float64 { return s.SISDRMedian }, math.NaN())
	if err := tw.Flush(); err != nil {
		return err
	}
	// Rules under the header and above the summary rows, as wide as the
	// widest row; trailing padding removed.
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	wide := 0
	for i, l := range lines {
		// Every row starts with the padding of its first cell.
		lines[i] = strings.TrimRight(strings.TrimPrefix(l, "  "), " ")
		wide = max(wide, utf8.RuneCountInString(lines[i]))
	}
	rule := strings.Repeat("-", wide)
	var out strings.Builder
	for i, l := range lines {
		if i == 1 || i == 1+len(r.Tracks) {
			out.WriteString(rule + "\n")
		}
		out.WriteString(l + "\n")
	}
	fmt.Fprintf(&out, "%s; simple SDR and SI-SDR as MSST computes them, epsilon %g\n", plural(len(r.Tracks), "track"), r.Epsilon)
	_, err := io.WriteString(w, out.String())
	return err
}

// plural returns "1 track", "2 tracks", "0 tracks": n and the noun, with
// an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
