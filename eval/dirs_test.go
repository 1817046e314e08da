package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeFiles creates empty files and a loader serving their content from
// memory, so that the directory logic is tested without an audio codec.
type fakeFiles map[string][][]float32

func (f fakeFiles) add(t *testing.T, path string, x [][]float32) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f[path] = x
}

func (f fakeFiles) load(path string) ([][]float32, int, error) {
	x, ok := f[path]
	if !ok {
		return nil, 0, fmt.Errorf("%s: not a fake file", path)
	}
	return x, 44100, nil
}

func signal(seed, n int, scale float32) [][]float32 {
	x := [][]float32{make([]float32, n), make([]float32, n)}
	s := uint32(seed*7919 + 1)
	for c := range x {
		for i := range x[c] {
			s = s*1664525 + 1013904223
			x[c][i] = scale * (float32(s>>8)/float32(1<<24) - 0.5)
		}
	}
	return x
}

func scaled(x [][]float32, g float32) [][]float32 {
	out := make([][]float32, len(x))
	for c := range x {
		out[c] = make([]float32, len(x[c]))
		for i, v := range x[c] {
			out[c][i] = g * v
		}
	}
	return out
}

func TestEvaluateDirs(t *testing.T) {
	root := t.TempDir()
	ref, est := filepath.Join(root, "ref"), filepath.Join(root, "est")
	files := fakeFiles{}
	long := signal(1, 520, 1)
	kick := [][]float32{long[0][:500], long[1][:500]}
	ride, crash := signal(2, 500, 0.5), signal(3, 500, 0.3)
	silent := [][]float32{make([]float32, 500), make([]float32, 500)}
	for _, tr := range []string{"00000", "00001"} {
		files.add(t, filepath.Join(ref, tr, "kick.wav"), kick)
		files.add(t, filepath.Join(ref, tr, "ride.wav"), ride)
		files.add(t, filepath.Join(ref, tr, "crash.wav"), crash)
		files.add(t, filepath.Join(ref, tr, "toms.wav"), silent)
		files.add(t, filepath.Join(ref, tr, "mixture.wav"), kick)
		if err := os.WriteFile(filepath.Join(ref, tr, "onsets.json"), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Track 0: flat layout, a half-level kick (6.02 dB), a longer estimate,
	// and toms against a silent reference. Track 1: nested under mixture/,
	// a perfect kick, cymbals scored against ride + crash, "hihat" with no
	// reference, an "other" stem without a reference.
	files.add(t, filepath.Join(est, "00000", "kick.wav"), scaled(long, 0.5))
	files.add(t, filepath.Join(est, "00000", "toms.flac"), signal(9, 500, 0.1))
	cym := [][]float32{make([]float32, 500), make([]float32, 500)}
	for c := range cym {
		for i := range cym[c] {
			cym[c][i] = ride[c][i] + crash[c][i]
		}
	}
	files.add(t, filepath.Join(est, "00001", "mixture", "kick.wav"), kick)
	files.add(t, filepath.Join(est, "00001", "mixture", "cymbals.wav"), cym)
	files.add(t, filepath.Join(est, "00001", "mixture", "other.wav"), kick)
	rep, err := EvaluateDirs(ref, est, files.load)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Tracks) != 2 || strings.Join(rep.Stems, ",") != "kick,toms,cymbals" {
		t.Fatalf("tracks %d, stems %q", len(rep.Tracks), rep.Stems)
	}
	k0 := rep.Tracks[0].Stems["kick"]
	if math.Abs(k0.SDR-10*math.Log10(4)) > 1e-6 || k0.LengthMismatch != 20 || k0.Frames != 500 {
		t.Errorf("track 0 kick %+v", k0)
	}
	if !rep.Tracks[0].Stems["toms"].Silent || rep.PerStem["toms"].Tracks != 0 {
		t.Errorf("silent toms: %+v, summary %+v", rep.Tracks[0].Stems["toms"], rep.PerStem["toms"])
	}
	perfect := 10 * math.Log10((Energy(kick)+Epsilon)/Epsilon)
	if k1 := rep.Tracks[1].Stems["kick"]; math.Abs(k1.SDR-perfect) > 1e-9 {
		t.Errorf("track 1 kick %+v, want %v", k1, perfect)
	}
	if c := rep.Tracks[1].Stems["cymbals"]; c.SDR < 80 { // float32 rounding of the sum only
		t.Errorf("cymbals vs ride + crash: %+v", c)
	}
	ks := rep.PerStem["kick"]
	if ks.Tracks != 2 || math.Abs(ks.SDRMean-(k0.SDR+perfect)/2) > 1e-9 || math.Abs(ks.SDRMedian-ks.SDRMean) > 1e-9 {
		t.Errorf("kick summary %+v", ks)
	}
	// The overall mean averages the stems' means (toms has none).
	if want := (ks.SDRMean + rep.PerStem["cymbals"].SDRMean) / 2; math.Abs(rep.SDRMean-want) > 1e-9 {
		t.Errorf("mean SDR %v, want %v", rep.SDRMean, want)
	}

	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"SDR (dB)", "00000", "00001", "6.021", "SDR mean", "SI-SDR median", "2 tracks", "epsilon 1e-08"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	js, err := json.Marshal(rep)
	if err != nil || !bytes.Contains(js, []byte(`"silent_reference":true`)) || !bytes.Contains(js, []byte(`"sdr_mean"`)) {
		t.Errorf("json %s, %v", js, err)
	}

	// A reference track without estimates fails the whole evaluation.
	files.add(t, filepath.Join(ref, "00002", "kick.wav"), kick)
	if _, err := EvaluateDirs(ref, est, files.load); err == nil || !strings.Contains(err.Error(), "00002") {
		t.Errorf("missing estimates: %v", err)
	}
	if _, err := EvaluateDirs(filepath.Join(root, "none"), est, files.load); err == nil {
		t.Error("missing reference folder accepted")
	}
	if _, err := EvaluateDirs(root, est, files.load); err == nil {
		t.Error("a folder without tracks at its top accepted")
	}
}

// TestWriteTableLayout: the rules span the table, under the header and
// above the summary; the labels are left-aligned and every number ends in
// its column; the count is "1 track" for one track.
func TestWriteTableLayout(t *testing.T) {
	for _, n := range []int{1, 2} {
		r := &Report{Stems: []string{"kick", "snare"}, Epsilon: 1e-8,
			PerStem: map[string]Summary{"kick": {Tracks: n, SDRMean: 12.3}, "snare": {Tracks: n, SDRMean: -3.25}},
			SDRMean: 4.5, SISDRMean: 1}
		for i := 0; i < n; i++ {
			r.Tracks = append(r.Tracks, TrackScores{Track: fmt.Sprintf("track-with-a-long-name-%d", i),
				Stems: map[string]Score{"kick": {SDR: 112.3456}, "snare": {SDR: -3.2}}})
		}
		var b strings.Builder
		if err := r.WriteTable(&b); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		if want := 1 + 1 + n + 1 + 4 + 1; len(lines) != want {
			t.Fatalf("%d lines, want %d:\n%s", len(lines), want, b.String())
		}
		rule := strings.Repeat("-", len(lines[0]))
		if lines[1] != rule || lines[2+n] != rule {
			t.Errorf("rules are not under the header and above the summary, as wide as the header:\n%s", b.String())
		}
		// Columns end at the same place in the header, the tracks and the
		// summary: "mean", "4.573", "4.500".
		table := append([]string{lines[0]}, lines[2:2+n]...)
		table = append(table, lines[3+n], lines[5+n])
		for _, l := range table {
			if len(l) != len(lines[0]) {
				t.Errorf("row %q is %d wide, the header %d:\n%s", l, len(l), len(lines[0]), b.String())
			}
			if l[0] == ' ' {
				t.Errorf("row %q: label not left-aligned", l)
			}
		}
		want := fmt.Sprintf("%d tracks;", n)
		if n == 1 {
			want = "1 track;"
		}
		if last := lines[len(lines)-1]; !strings.HasPrefix(last, want) {
			t.Errorf("last line %q, want it to start with %q", last, want)
		}
	}
}
