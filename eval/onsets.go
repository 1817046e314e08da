package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"text/tabwriter"

	"github.com/drumsplit/drumsplit/render"
)

// Onset is one hit, in a reference or an estimate.
type Onset struct {
	Time  float64 `json:"time"`  // seconds
	Class string  `json:"class"` // the stem: kick snare toms hh ride crash
	// Label is the articulation for the hi-hat (hh_closed, hh_pedal,
	// hh_open) and the ride (ride for the bow, ride_bell); empty when
	// unknown.
	Label string `json:"label,omitempty"`
	// Strength is the hit's strength (reference: velocity 0–1; estimate:
	// MIDI velocity), compared by rank only.
	Strength float64 `json:"strength"`
	// SecondAttack, in a reference, is the seconds from Time to a second
	// attack in the stroke's kit sample (render's audit: a second strike
	// or a late energy peak that the annotation lacks); 0 for none.
	SecondAttack float64 `json:"second_attack,omitempty"`
}

// SkipSecondAttacks leaves out of a track's reference and estimated
// onsets the strokes flagged with a second attack: for each, every onset
// of its class from tol before its time to tol after its second attack.
// There, a detector that finds the second attack is right about the audio
// and wrong about the annotation, so the region measures the data, not the
// detector. It returns the onsets kept and how many of each it left out.
func SkipSecondAttacks(ref, est []Onset, tol float64) (keptRef, keptEst []Onset, skippedRef, skippedEst int) {
	type region struct{ a, b float64 }
	regions := map[string][]region{}
	for _, o := range ref {
		if o.SecondAttack > 0 {
			regions[o.Class] = append(regions[o.Class], region{o.Time - tol, o.Time + o.SecondAttack + tol})
		}
	}
	if len(regions) == 0 {
		return ref, est, 0, 0
	}
	in := func(o Onset) bool {
		for _, r := range regions[o.Class] {
			if o.Time >= r.a && o.Time <= r.b {
				return true
			}
		}
		return false
	}
	for _, o := range ref {
		if in(o) {
			skippedRef++
		} else {
			keptRef = append(keptRef, o)
		}
	}
	for _, o := range est {
		if in(o) {
			skippedEst++
		} else {
			keptEst = append(keptEst, o)
		}
	}
	return keptRef, keptEst, skippedRef, skippedEst
}

// Tolerances are the onset windows scored: ±50 ms (mir_eval's default) and
// ±20 ms.
var Tolerances = []float64{0.050, 0.020}

// FlamWindow merges same-class reference onsets closer than this: a flam
// counts once, as in ADTOF's evaluation.
const FlamWindow = 0.010

// MatchOnsets pairs estimated with reference onset times one to one within
// ±tol and returns the pairs (indices into ref and est). Both must be
// sorted. On a line with a symmetric window, pairing greedily in time order
// (the earliest unmatched estimate in the window of each reference) gives a
// maximum matching, as mir_eval's bipartite matching does.
func MatchOnsets(ref, est []float64, tol float64) [][2]int {
	var pairs [][2]int
	j := 0
	for i, r := range ref {
		for j < len(est) && est[j] < r-tol {
			j++
		}
		if j < len(est) && math.Abs(est[j]-r) <= tol {
			pairs = append(pairs, [2]int{i, j})
			j++
		}
	}
	return pairs
}

// Counts are the numbers behind precision, recall and F-measure.
type Counts struct {
	Ref  int `json:"ref"`
	Est  int `json:"est"`
	Hits int `json:"hits"`
}

// Add sums counts.
func (c *Counts) Add(o Counts) { c.Ref += o.Ref; c.Est += o.Est; c.Hits += o.Hits }

// Precision is hits / estimates (1 with no estimates and no references).
func (c Counts) Precision() float64 { return ratio(c.Hits, c.Est, c.Ref == 0) }

// Recall is hits / references (1 with no references and no estimates).
func (c Counts) Recall() float64 { return ratio(c.Hits, c.Ref, c.Est == 0) }

// F is the harmonic mean of precision and recall.
func (c Counts) F() float64 {
	if c.Ref == 0 && c.Est == 0 {
		return 1
	}
	if c.Ref+c.Est == 0 {
		return 0
	}
	return 2 * float64(c.Hits) / float64(c.Ref+c.Est)
}

func ratio(a, b int, empty bool) float64 {
	if b == 0 {
		if empty {
			return 1
		}
		return 0
	}
	return float64(a) / float64(b)
}

// OnsetScore is one method's score on one track (or on all tracks summed).
type OnsetScore struct {
	// Counts per class and tolerance ("50ms", "20ms").
	Classes map[string]map[string]Counts `json:"classes"`
	// HatCorrect of HatMatched matched hi-hat onsets (±50 ms) have the
	// reference's articulation.
	HatMatched int `json:"hh_matched"`
	HatCorrect int `json:"hh_correct"`
	// RideCorrect of RideMatched matched ride onsets (±50 ms) with a
	// labelled reference have its label, bow (ride) or bell (ride_bell).
	RideMatched int `json:"ride_matched"`
	RideCorrect int `json:"ride_correct"`
	// VelocityRho is Spearman's rank correlation of matched strengths per
	// class (kick, snare); a class with fewer than 3 pairs or a constant
	// side has none (JSON cannot hold NaN).
	VelocityRho map[string]float64 `json:"velocity_rho,omitempty"`
	// Flagged reference strokes have a second attack in their sample;
	// SkippedRef reference and SkippedEst estimated onsets in their regions
	// were left out of the counts (SkipSecondAttacks), unless kept by
	// OnsetOptions.KeepSecondAttacks.
	Flagged    int `json:"second_attacks"`
	SkippedRef int `json:"skipped_ref"`
	SkippedEst int `json:"skipped_est"`
}

func tolName(tol float64) string { return fmt.Sprintf("%gms", math.Round(tol*1000)) }

// ScoreOnsets scores estimated onsets against reference onsets, class by
// class.
func ScoreOnsets(ref, est []Onset) OnsetScore {
	byClass := func(os []Onset) map[string][]Onset {
		m := map[string][]Onset{}
		for _, o := range os {
			m[o.Class] = append(m[o.Class], o)
		}
		for _, v := range m {
			sort.SliceStable(v, func(i, j int) bool { return v[i].Time < v[j].Time })
		}
		return m
	}
	R, E := byClass(ref), byClass(est)
	sc := OnsetScore{Classes: map[string]map[string]Counts{}, VelocityRho: map[string]float64{}}
	classes := map[string]bool{}
	for c := range R {
		classes[c] = true
	}
	for c := range E {
		classes[c] = true
	}
	for c := range classes {
		r := mergeFlams(R[c])
		e := E[c]
		rt, et := times(r), times(e)
		sc.Classes[c] = map[string]Counts{}
		for _, tol := range Tolerances {
			pairs := MatchOnsets(rt, et, tol)
			sc.Classes[c][tolName(tol)] = Counts{Ref: len(r), Est: len(e), Hits: len(pairs)}
			if tol != Tolerances[0] {
				continue
			}
			switch c {
			case "hh":
				sc.HatMatched, sc.HatCorrect = labelAgreement(r, e, pairs)
			case "ride":
				sc.RideMatched, sc.RideCorrect = labelAgreement(r, e, pairs)
			}
			if c == "kick" || c == "snare" {
				var a, b []float64
				for _, p := range pairs {
					a = append(a, r[p[0]].Strength)
					b = append(b, e[p[1]].Strength)
				}
				if rho := Spearman(a, b); !math.IsNaN(rho) {
					sc.VelocityRho[c] = rho
				}
			}
		}
	}
	return sc
}

// labelAgreement counts the matched pairs whose reference has a label and,
// of those, the ones whose estimate has the same label.
func labelAgreement(ref, est []Onset, pairs [][2]int) (matched, correct int) {
	for _, p := range pairs {
		if ref[p[0]].Label == "" {
			continue
		}
		matched++
		if ref[p[0]].Label == est[p[1]].Label {
			correct++
		}
	}
	return matched, correct
}

func times(os []Onset) []float64 {
	t := make([]float64, len(os))
	for i, o := range os {
		t[i] = o.Time
	}
	return t
}

// mergeFlams keeps the first of same-class onsets closer than FlamWindow.
func mergeFlams(os []Onset) []Onset {
	var out []Onset
	for _, o := range os {
		if len(out) > 0 && o.Time-out[len(out)-1].Time < FlamWindow {
			continue
		}
		out = append(out, o)
	}
	return out
}

// Spearman is the rank correlation of a and b (ties get their mean rank);
// NaN with fewer than 3 pairs or a constant side.
func Spearman(a, b []float64) float64 {
	if len(a) != len(b) || len(a) < 3 {
		return math.NaN()
	}
	ra, rb := ranks(a), ranks(b)
	ma, mb := mean(ra), mean(rb)
	var sab, saa, sbb float64
	for i := range ra {
		da, db := ra[i]-ma, rb[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa == 0 || sbb == 0 {
		return math.NaN()
	}
	return sab / math.Sqrt(saa*sbb)
}

func ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return x[idx[i]] < x[idx[j]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		for k := i; k <= j; k++ {
			r[idx[k]] = float64(i+j)/2 + 1
		}
		i = j + 1
	}
	return r
}

// ReadReferenceOnsets reads the ground truth of a rendered track
// (onsets.json, as drumsplit render writes it). A stem file "cymbals" is
// kept as is. Hi-hat and ride onsets are labelled with what their kit
// instrument plays (SoundingPiece), which is not always the annotated
// piece: a kit without a ride bell plays the bell's strokes on its bow.
// "hh_half_open" is labelled hh_open (General MIDI has no half-open hat).
func ReadReferenceOnsets(path string) ([]Onset, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var info struct {
		Onsets map[string][]struct {
			Time         float64 `json:"time"`
			Piece        string  `json:"piece"`
			Instrument   string  `json:"instrument"`
			Velocity     float64 `json:"velocity"`
			SecondAttack float64 `json:"second_attack"`
		} `json:"onsets"`
	}
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, fmt.Errorf("%q: %w", path, err)
	}
	if info.Onsets == nil {
		return nil, fmt.Errorf("%q: no onsets (not a drumsplit render onsets.json)", path)
	}
	var out []Onset
	for stem, os := range info.Onsets {
		for _, o := range os {
			label := ""
			switch stem {
			case "hh":
				label = SoundingPiece(render.HiHat, o.Piece, o.Instrument)
				if label == "hh_half_open" {
					label = "hh_open"
				}
			case "ride":
				label = SoundingPiece(render.Ride, o.Piece, o.Instrument)
			}
			out = append(out, Onset{Time: o.Time, Class: stem, Label: label, Strength: o.Velocity, SecondAttack: o.SecondAttack})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time < out[j].Time })
	return out, nil
}

// SoundingPiece is the piece a rendered stroke sounds as: the piece its kit
// instrument's name says it plays (render.Classify, as render assigns
// instruments) when that piece belongs to stem, else the annotated piece.
// They differ where the kit lacks the annotated piece and render played
// another instrument of the stem in its place (a ride bell stroke on a
// kit without a bell is a bow stroke).
func SoundingPiece(stem render.Stem, piece, instrument string) string {
	if instrument != "" {
		if p, _ := render.Classify(instrument, -1); p != render.NoPiece && p.Stem() == stem {
			return p.String()
		}
	}
	return piece
}

// Transcriber turns one track's stems (by stem name, planar) into onsets.
type Transcriber func(stems map[string][][]float32, rate int) ([]Onset, error)

// Method is a named transcriber compared by EvaluateOnsetDirs.
type Method struct {
	Name string
	Run  Transcriber
}

// OnsetReport holds every method's scores per track and summed.
type OnsetReport struct {
	Methods  []string                         `json:"methods"`
	Tracks   []string                         `json:"tracks"`
	PerTrack map[string]map[string]OnsetScore `json:"per_track"` // method → track → score
	Total    map[string]OnsetScore            `json:"total"`     // method → summed counts
}

// OnsetOptions controls EvaluateOnsetDirs. The zero value skips the
// regions of strokes flagged with a second attack.
type OnsetOptions struct {
	// KeepSecondAttacks scores the strokes flagged with a second attack
	// (onsets.json's second_attack) as annotated, instead of leaving
	// their regions out (SkipSecondAttacks at ±50 ms).
	KeepSecondAttacks bool
}

// EvaluateOnsetDirs runs each method on the stems of every track under
// estimates (laid out as EvaluateDirs reads them; the reference folder
// itself for its true stems) and scores the onsets against
// reference/<track>/onsets.json.
func EvaluateOnsetDirs(reference, estimates string, load Loader, methods []Method, opt OnsetOptions) (*OnsetReport, error) {
	entries, err := os.ReadDir(reference)
	if err != nil {
		return nil, fmt.Errorf("evaluate onsets: %w", err)
	}
	rep := &OnsetReport{PerTrack: map[string]map[string]OnsetScore{}, Total: map[string]OnsetScore{}}
	for _, m := range methods {
		rep.Methods = append(rep.Methods, m.Name)
		rep.PerTrack[m.Name] = map[string]OnsetScore{}
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		refPath := filepath.Join(reference, e.Name(), "onsets.json")
		if _, err := os.Stat(refPath); err != nil {
			continue
		}
		ref, err := ReadReferenceOnsets(refPath)
		if err != nil {
			return nil, fmt.Errorf("evaluate onsets: %w", err)
		}
		estDir, estFiles := filepath.Join(estimates, e.Name()), map[string]string(nil)
		for _, d := range []string{estDir, filepath.Join(estDir, "mixture")} {
			if f := audioFiles(d); len(f) > 0 {
				estDir, estFiles = d, f
				break
			}
		}
		if estFiles == nil {
			return nil, fmt.Errorf("evaluate onsets: no stems for track %s (looked for %s/<stem>.wav)", e.Name(), estDir)
		}
		stems := map[string][][]float32{}
		rate := 0
		for stem, path := range estFiles {
			data, sr, err := load(path)
			if err != nil {
				return nil, fmt.Errorf("evaluate onsets: %w", err)
			}
			if rate != 0 && sr != rate {
				return nil, fmt.Errorf("evaluate onsets: %q: sample rate %d Hz, other stems %d Hz", path, sr, rate)
			}
			rate, stems[stem] = sr, data
		}
		rep.Tracks = append(rep.Tracks, e.Name())
		for _, m := range methods {
			est, err := m.Run(stems, rate)
			if err != nil {
				return nil, fmt.Errorf("evaluate onsets: track %s, %s: %w", e.Name(), m.Name, err)
			}
			r, es, sr, se := ref, est, 0, 0
			if !opt.KeepSecondAttacks {
				r, es, sr, se = SkipSecondAttacks(ref, est, Tolerances[0])
			}
			sc := ScoreOnsets(r, es)
			for _, o := range ref {
				if o.SecondAttack > 0 {
					sc.Flagged++
				}
			}
			sc.SkippedRef, sc.SkippedEst = sr, se
			rep.PerTrack[m.Name][e.Name()] = sc
		}
	}
	if len(rep.Tracks) == 0 {
		return nil, fmt.Errorf("evaluate onsets: no tracks in %q (want <track>/onsets.json folders)", reference)
	}
	for _, m := range rep.Methods {
		tot := OnsetScore{Classes: map[string]map[string]Counts{}}
		for _, s := range rep.PerTrack[m] {
			for c, byTol := range s.Classes {
				if tot.Classes[c] == nil {
					tot.Classes[c] = map[string]Counts{}
				}
				for tol, n := range byTol {
					x := tot.Classes[c][tol]
					x.Add(n)
					tot.Classes[c][tol] = x
				}
			}
			tot.HatMatched += s.HatMatched
			tot.HatCorrect += s.HatCorrect
			tot.RideMatched += s.RideMatched
			tot.RideCorrect += s.RideCorrect
			tot.Flagged += s.Flagged
			tot.SkippedRef += s.SkippedRef
			tot.SkippedEst += s.SkippedEst
		}
		rep.Total[m] = tot
	}
	return rep, nil
}

// MeanF is the mean over classes with reference onsets of the summed
// F-measure at a tolerance ("50ms", "20ms").
func (s OnsetScore) MeanF(tol string) float64 {
	var sum float64
	n := 0
	for _, byTol := range s.Classes {
		c := byTol[tol]
		if c.Ref == 0 {
			continue
		}
		sum += c.F()
		n++
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// WriteTable prints, per method, F-measure at 50 and 20 ms with precision
// and recall at 50 ms for each class summed over tracks, their mean over
// classes, hi-hat articulation and ride bow/bell accuracy and the
// per-track velocity rank correlation (mean and minimum) for kick and
// snare.
func (r *OnsetReport) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	classes := map[string]bool{}
	for _, s := range r.Total {
		for c := range s.Classes {
			classes[c] = true
		}
	}
	order := orderStems(classes)
	fmt.Fprintf(tw, "method\tclass\tref\test\tF@50ms\tP@50ms\tR@50ms\tF@20ms\t\n")
	for _, m := range r.Methods {
		tot := r.Total[m]
		for _, c := range order {
			a, b := tot.Classes[c]["50ms"], tot.Classes[c]["20ms"]
			if a.Ref == 0 && a.Est == 0 {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t\n", m, c, a.Ref, a.Est, a.F(), a.Precision(), a.Recall(), b.F())
		}
		fmt.Fprintf(tw, "%s\tmean\t\t\t%.3f\t\t\t%.3f\t\n", m, tot.MeanF("50ms"), tot.MeanF("20ms"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, m := range r.Methods {
		tot := r.Total[m]
		line := fmt.Sprintf("%s: hi-hat articulation %s; ride bow/bell %s", m, accuracy(tot.HatCorrect, tot.HatMatched), accuracy(tot.RideCorrect, tot.RideMatched))
		for _, c := range []string{"kick", "snare"} {
			var rhos []float64
			for _, t := range r.Tracks {
				if v, ok := r.PerTrack[m][t].VelocityRho[c]; ok && !math.IsNaN(v) {
					rhos = append(rhos, v)
				}
			}
			if len(rhos) > 0 {
				sort.Float64s(rhos)
				line += fmt.Sprintf("; %s velocity rho mean %.2f, min %.2f (%s)", c, mean(rhos), rhos[0], plural(len(rhos), "track"))
			}
		}
		if tot.Flagged > 0 {
			if tot.SkippedRef+tot.SkippedEst > 0 {
				line += fmt.Sprintf("; %d strokes flagged with a second attack in their sample, their regions skipped (%d reference, %d estimated onsets)", tot.Flagged, tot.SkippedRef, tot.SkippedEst)
			} else {
				line += fmt.Sprintf("; %d strokes flagged with a second attack in their sample, scored as annotated", tot.Flagged)
			}
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}

func accuracy(k, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f (%d/%d)", float64(k)/float64(n), k, n)
}
