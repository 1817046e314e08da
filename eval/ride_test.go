package eval

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/render"
)

// TestScoreOnsetsRideLabels: bow/bell accuracy is counted on matched ride
// onsets with a labelled reference only; a missed stroke and an unlabelled
// reference count for nothing.
func TestScoreOnsetsRideLabels(t *testing.T) {
	ref := []Onset{
		{Time: 1, Class: "ride", Label: "ride"},
		{Time: 2, Class: "ride", Label: "ride_bell"},
		{Time: 3, Class: "ride", Label: "ride_bell"},
		{Time: 4, Class: "ride", Label: "ride"}, // missed
		{Time: 5, Class: "ride"},                // no label
		{Time: 1, Class: "hh", Label: "hh_open"},
	}
	est := []Onset{
		{Time: 1.01, Class: "ride", Label: "ride"},
		{Time: 2.01, Class: "ride", Label: "ride_bell"},
		{Time: 3.01, Class: "ride", Label: "ride"},
		{Time: 4.5, Class: "ride", Label: "ride"},
		{Time: 5.01, Class: "ride", Label: "ride_bell"},
		{Time: 1.01, Class: "hh", Label: "hh_closed"},
	}
	sc := ScoreOnsets(ref, est)
	if sc.RideMatched != 3 || sc.RideCorrect != 2 {
		t.Errorf("ride matched %d correct %d, want 3 and 2", sc.RideMatched, sc.RideCorrect)
	}
	if sc.HatMatched != 1 || sc.HatCorrect != 0 {
		t.Errorf("hats matched %d correct %d, want 1 and 0 (classes apart)", sc.HatMatched, sc.HatCorrect)
	}
}

// TestSoundingPiece: a reference stroke is labelled with what its kit
// instrument plays: render plays a ride bell stroke on the bow of a kit
// without a bell, a ride stroke on the bell of a kit with only a bell, a
// pedal hat on the closed hat.
func TestSoundingPiece(t *testing.T) {
	for _, tc := range []struct {
		stem              render.Stem
		piece, instrument string
		want              string
	}{
		{render.Ride, "ride_bell", "Ride Jazz", "ride"},
		{render.Ride, "ride", "f4 - ride bell", "ride_bell"},
		{render.Ride, "ride_bell", "Paiste Bell", "ride_bell"},
		{render.Ride, "ride", `Crash/Ride Bow (Paiste Rude Crash/Ride 18")`, "ride"},
		{render.Ride, "ride_bell", "", "ride_bell"},                    // older renders: no instrument
		{render.Ride, "ride_bell", "Thing 3", "ride_bell"},             // a name that says nothing
		{render.HiHat, "hh_pedal", "Closed HH", "hh_closed"},           // kit without a pedal
		{render.HiHat, "hh_open", "Hi Hat Free", "hh_half_open"},       // labelled hh_open by the reader
		{render.Ride, "ride", "Crash (Paiste Rude Thin 18\")", "ride"}, // another stem's piece: as annotated
	} {
		if got := SoundingPiece(tc.stem, tc.piece, tc.instrument); got != tc.want {
			t.Errorf("SoundingPiece(%v, %q, %q) = %q, want %q", tc.stem, tc.piece, tc.instrument, got, tc.want)
		}
	}
}

// rideTrack writes a one-track reference folder: ride strokes at 1, 2, 3
// and 4 s (a bow, a bell, a bell stroke played on the bow of a kit without
// one, a bell) and a single kick, with an (empty) audio file per stem that
// the test's loader stands in for.
func rideTrack(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	track := filepath.Join(dir, "00000")
	if err := os.MkdirAll(track, 0o755); err != nil {
		t.Fatal(err)
	}
	js := `{"onsets": {"ride": [
		{"time": 1.0, "piece": "ride", "velocity": 0.8, "instrument": "Paiste Ride"},
		{"time": 2.0, "piece": "ride_bell", "velocity": 0.8, "instrument": "Paiste Bell"},
		{"time": 3.0, "piece": "ride_bell", "velocity": 0.8, "instrument": "Ride Jazz"},
		{"time": 4.0, "piece": "ride_bell", "velocity": 0.8, "instrument": "Paiste Bell"}],
	  "kick": [{"time": 1.0, "piece": "kick", "velocity": 0.9, "instrument": "Kick"}]}}`
	for name, data := range map[string]string{"onsets.json": js, "ride.wav": "", "kick.wav": ""} {
		if err := os.WriteFile(filepath.Join(track, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestOnsetReportRide: EvaluateOnsetDirs sums the ride bow/bell counts,
// the table prints them, and the JSON report holds them — also for a
// track whose one kick gives no velocity correlation (NaN, which JSON
// cannot encode).
func TestOnsetReportRide(t *testing.T) {
	dir := rideTrack(t)
	load := func(string) ([][]float32, int, error) { return [][]float32{make([]float32, 10)}, 44100, nil }
	fixed := func(map[string][][]float32, int) ([]Onset, error) {
		return []Onset{
			{Time: 1.0, Class: "ride", Label: "ride"},
			{Time: 2.0, Class: "ride", Label: "ride_bell"},
			{Time: 3.0, Class: "ride", Label: "ride"},
			{Time: 4.0, Class: "ride", Label: "ride"},
			{Time: 1.0, Class: "kick"},
		}, nil
	}
	rep, err := EvaluateOnsetDirs(dir, dir, load, []Method{{Name: "fixed", Run: fixed}}, OnsetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tot := rep.Total["fixed"]; tot.RideMatched != 4 || tot.RideCorrect != 3 {
		t.Errorf("total ride matched %d correct %d, want 4 and 3", tot.RideMatched, tot.RideCorrect)
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "ride bow/bell 0.750 (3/4)") {
		t.Errorf("table lacks the ride accuracy:\n%s", table.String())
	}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatalf("JSON report: %v", err)
	}
	var back struct {
		Total map[string]struct {
			RideMatched int `json:"ride_matched"`
			RideCorrect int `json:"ride_correct"`
		} `json:"total"`
	}
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Total["fixed"]; got.RideMatched != 4 || got.RideCorrect != 3 {
		t.Errorf("JSON total %+v, want ride_matched 4, ride_correct 3", got)
	}
}
