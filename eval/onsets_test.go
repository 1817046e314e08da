package eval

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// maxMatching is the size of a maximum one-to-one matching of ref and est
// times within ±tol (|e − r| ≤ tol, mir_eval's hit window), found by
// augmenting paths over every pair: the definition MatchOnsets must meet.
func maxMatching(ref, est []float64, tol float64) int {
	owner := make([]int, len(est)) // est j is matched to ref owner[j]-1
	var try func(i int, seen []bool) bool
	try = func(i int, seen []bool) bool {
		for j, e := range est {
			if seen[j] || math.Abs(e-ref[i]) > tol {
				continue
			}
			seen[j] = true
			if owner[j] == 0 || try(owner[j]-1, seen) {
				owner[j] = i + 1
				return true
			}
		}
		return false
	}
	n := 0
	for i := range ref {
		if try(i, make([]bool, len(est))) {
			n++
		}
	}
	return n
}

// checkPairs fails unless pairs is a valid one-to-one matching within tol.
func checkPairs(t *testing.T, ref, est []float64, tol float64, pairs [][2]int) {
	t.Helper()
	ur, ue := map[int]bool{}, map[int]bool{}
	for _, p := range pairs {
		if ur[p[0]] || ue[p[1]] {
			t.Fatalf("pair %v reuses an onset: %v", p, pairs)
		}
		ur[p[0]], ue[p[1]] = true, true
		if d := math.Abs(ref[p[0]] - est[p[1]]); d > tol {
			t.Fatalf("pair %v is %g apart, more than %g", p, d, tol)
		}
	}
}

// TestMatchOnsetsMaximal compares the greedy matching with a maximum
// matching by augmenting paths on random cases dense enough that windows
// overlap and greedy choices matter (times on a 1/64 s grid, so that the
// ±tol boundary is hit exactly).
func TestMatchOnsetsMaximal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	grid := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = float64(rng.IntN(64)) / 64
		}
		sort.Float64s(x)
		return x
	}
	for c := 0; c < 3000; c++ {
		ref, est := grid(rng.IntN(12)), grid(rng.IntN(12))
		tol := []float64{1.0 / 64, 2.0 / 64, 3.0 / 64, 0.05}[rng.IntN(4)]
		pairs := MatchOnsets(ref, est, tol)
		checkPairs(t, ref, est, tol, pairs)
		if want := maxMatching(ref, est, tol); len(pairs) != want {
			t.Fatalf("ref %v est %v tol %g: %d pairs, a maximum matching has %d", ref, est, tol, len(pairs), want)
		}
	}
}

// TestMatchOnsetsBoundary: an estimate exactly tol away is a hit (the
// window is closed, as mir_eval's), one just beyond is not, on either side.
func TestMatchOnsetsBoundary(t *testing.T) {
	const tol = 0.046875 // 3/64: exact in binary, so r ± tol is exact
	for _, tc := range []struct {
		est  float64
		hits int
	}{
		{1 - tol, 1}, {1 + tol, 1},
		{math.Nextafter(1-tol, 0), 0}, {math.Nextafter(1+tol, 2), 0},
	} {
		if got := len(MatchOnsets([]float64{1}, []float64{tc.est}, tol)); got != tc.hits {
			t.Errorf("estimate %.17g for reference 1, tol %g: %d hits, want %d", tc.est, tol, got, tc.hits)
		}
	}
	// Pairing the first reference with its nearest estimate (1/64 after
	// it) would take the only estimate of the second; the matching must
	// pair both.
	ref, est := []float64{1, 1 + 4.0/64}, []float64{1 - 2.0/64, 1 + 1.0/64}
	if got := len(MatchOnsets(ref, est, tol)); got != 2 {
		t.Errorf("chain: %d pairs, want 2", got)
	}
}

// TestScoreOnsetsFlams: same-class reference onsets under FlamWindow apart
// count once, and a second estimate on a flam is a false positive;
// classes are scored apart.
func TestScoreOnsetsFlams(t *testing.T) {
	ref := []Onset{
		{Time: 1.000, Class: "snare"}, {Time: 1.006, Class: "snare"}, // flam: one
		{Time: 2.000, Class: "snare"}, {Time: 2.015, Class: "snare"}, // 15 ms: two
		{Time: 1.003, Class: "kick"},
	}
	est := []Onset{
		{Time: 1.001, Class: "snare"}, {Time: 1.007, Class: "snare"},
		{Time: 2.001, Class: "snare"}, {Time: 2.016, Class: "snare"},
		{Time: 1.300, Class: "kick"},
	}
	sc := ScoreOnsets(ref, est)
	if got, want := sc.Classes["snare"]["50ms"], (Counts{Ref: 3, Est: 4, Hits: 3}); got != want {
		t.Errorf("snare %+v, want %+v", got, want)
	}
	if got, want := sc.Classes["kick"]["50ms"], (Counts{Ref: 1, Est: 1, Hits: 0}); got != want {
		t.Errorf("kick %+v, want %+v (a kick estimate 297 ms late)", got, want)
	}
	if got := sc.Classes["snare"]["50ms"].F(); math.Abs(got-6.0/7) > 1e-12 {
		t.Errorf("snare F %g, want 6/7", got)
	}
	// 20 ms: the estimate 16 ms after 2.000 also falls within 20 ms of
	// 2.015; one to one, still 3 hits.
	if got := sc.Classes["snare"]["20ms"].Hits; got != 3 {
		t.Errorf("snare hits at 20 ms: %d, want 3", got)
	}
	// Empty cases: no reference and no estimate is perfect; estimates
	// without references score 0.
	if c := (Counts{}); c.F() != 1 || c.Precision() != 1 || c.Recall() != 1 {
		t.Errorf("empty counts: F %g P %g R %g", c.F(), c.Precision(), c.Recall())
	}
	if c := (Counts{Est: 3}); c.F() != 0 || c.Precision() != 0 {
		t.Errorf("estimates only: F %g P %g", c.F(), c.Precision())
	}
}

// TestScoreOnsetsHatLabels: articulation is counted on matched hi-hats
// only, against the reference's label.
func TestScoreOnsetsHatLabels(t *testing.T) {
	ref := []Onset{{Time: 1, Class: "hh", Label: "hh_open"}, {Time: 2, Class: "hh", Label: "hh_closed"}, {Time: 3, Class: "hh", Label: "hh_pedal"}}
	est := []Onset{{Time: 1.01, Class: "hh", Label: "hh_open"}, {Time: 2.01, Class: "hh", Label: "hh_open"}, {Time: 3.5, Class: "hh", Label: "hh_pedal"}}
	sc := ScoreOnsets(ref, est)
	if sc.HatMatched != 2 || sc.HatCorrect != 1 {
		t.Errorf("hats matched %d correct %d, want 2 and 1", sc.HatMatched, sc.HatCorrect)
	}
}

// spearmanRef is Spearman's rho by its definition, computed another way:
// each value's rank is 1 + the number of smaller values + half the number
// of other equal ones (the mean rank of its ties), then Pearson's r.
func spearmanRef(a, b []float64) float64 {
	rank := func(x []float64) []float64 {
		r := make([]float64, len(x))
		for i := range x {
			r[i] = 1
			for j := range x {
				switch {
				case x[j] < x[i]:
					r[i]++
				case j != i && x[j] == x[i]:
					r[i] += 0.5
				}
			}
		}
		return r
	}
	ra, rb := rank(a), rank(b)
	n := float64(len(a))
	var sa, sb, sab, saa, sbb float64
	for i := range ra {
		sa += ra[i]
		sb += rb[i]
	}
	for i := range ra {
		da, db := ra[i]-sa/n, rb[i]-sb/n
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	return sab / math.Sqrt(saa*sbb)
}

func TestSpearman(t *testing.T) {
	for _, tc := range []struct {
		a, b []float64
		want float64
	}{
		{[]float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}, 1},
		{[]float64{1, 2, 3, 4}, []float64{1, 8, 27, 1000}, 1}, // ranks only
		{[]float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}, -1},
		// Ties get their mean rank: a ranks 1, 2.5, 2.5, 4.
		{[]float64{1, 2, 2, 3}, []float64{1, 3, 2, 4}, 0.9486832980505138},
	} {
		if got := Spearman(tc.a, tc.b); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Spearman(%v, %v) = %.16g, want %.16g", tc.a, tc.b, got, tc.want)
		}
	}
	for _, tc := range [][2][]float64{
		{{1, 2}, {1, 2}},       // fewer than 3 pairs
		{{1, 1, 1}, {1, 2, 3}}, // a constant side
		{{1, 2, 3}, {1, 2}},    // lengths differ
	} {
		if got := Spearman(tc[0], tc[1]); !math.IsNaN(got) {
			t.Errorf("Spearman(%v, %v) = %g, want NaN", tc[0], tc[1], got)
		}
	}
	// Random cases with many ties (velocities on a coarse scale).
	rng := rand.New(rand.NewPCG(3, 4))
	for c := 0; c < 500; c++ {
		n := 3 + rng.IntN(30)
		a, b := make([]float64, n), make([]float64, n)
		for i := range a {
			a[i] = float64(rng.IntN(5))
			b[i] = float64(rng.IntN(4)) + 0.5*a[i]
		}
		want, got := spearmanRef(a, b), Spearman(a, b)
		if math.IsNaN(want) != math.IsNaN(got) || (!math.IsNaN(want) && math.Abs(got-want) > 1e-12) {
			t.Fatalf("Spearman(%v, %v) = %g, want %g", a, b, got, want)
		}
	}
}

// TestSkipSecondAttacks: a ride stroke whose sample strikes again 80 ms
// in, found twice by a detector that hears both strikes: scored as
// annotated it costs a false positive; skipped, its region (its class
// only, from 50 ms before it to 50 ms after the second attack) leaves the
// counts, and the strokes around it and of other classes stay.
func TestSkipSecondAttacks(t *testing.T) {
	dir := t.TempDir()
	js := `{"onsets": {"ride": [
		{"time": 1.0, "piece": "ride", "velocity": 0.8},
		{"time": 2.0, "piece": "ride", "velocity": 0.8, "second_attack": 0.08},
		{"time": 2.2, "piece": "ride", "velocity": 0.8}],
	  "kick": [{"time": 2.05, "piece": "kick", "velocity": 0.9}]}}`
	path := filepath.Join(dir, "onsets.json")
	if err := os.WriteFile(path, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	ref, err := ReadReferenceOnsets(path)
	if err != nil {
		t.Fatal(err)
	}
	est := []Onset{
		{Time: 1.001, Class: "ride"}, {Time: 2.001, Class: "ride"}, {Time: 2.081, Class: "ride"},
		{Time: 2.201, Class: "ride"}, {Time: 2.05, Class: "kick"},
	}
	kept := ScoreOnsets(ref, est).Classes["ride"]["50ms"]
	if kept != (Counts{Ref: 3, Est: 4, Hits: 3}) {
		t.Errorf("scored as annotated: %+v, want 3 ref, 4 est, 3 hits", kept)
	}
	r, e, sr, se := SkipSecondAttacks(ref, est, 0.050)
	if sr != 1 || se != 2 {
		t.Errorf("skipped %d reference and %d estimated onsets, want 1 and 2", sr, se)
	}
	sc := ScoreOnsets(r, e)
	if c := sc.Classes["ride"]["50ms"]; c != (Counts{Ref: 2, Est: 2, Hits: 2}) {
		t.Errorf("ride with the flagged stroke skipped: %+v, want 2 ref, 2 est, 2 hits", c)
	}
	if c := sc.Classes["kick"]["50ms"]; c != (Counts{Ref: 1, Est: 1, Hits: 1}) {
		t.Errorf("kick: %+v, want it untouched", c)
	}
	// Nothing flagged: nothing skipped.
	r2, e2, sr, se := SkipSecondAttacks(ref[:1], est, 0.050)
	if sr != 0 || se != 0 || len(r2) != 1 || len(e2) != len(est) {
		t.Errorf("no flagged stroke: skipped %d and %d", sr, se)
	}
}
