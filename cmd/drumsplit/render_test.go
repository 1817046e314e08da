package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/eval"
	"github.com/drumsplit/drumsplit/render"
)

func needKits(t *testing.T) {
	if _, err := os.Stat(render.DefaultKitsDir); err != nil {
		t.Skipf("hydrogen-drumkits not installed (%v)", err)
	}
}

// TestRenderEvalCommands renders a tiny held-out set, then scores it against
// itself (every stem perfect, capped by epsilon) and against a copy with
// one stem at half level.
func TestRenderEvalCommands(t *testing.T) {
	needKits(t)
	dir := t.TempDir()
	out, err := runModelCommand(t, "render", "--out", dir, "--held-out", "--kits-exclude", "ForzeeStereo",
		"--tracks", "2", "--seconds", "6", "--seed", "5", "--jobs", "2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "rendered 2 tracks (12.0 s of audio)") {
		t.Errorf("render printed %q", out)
	}
	ref := filepath.Join(dir, "test")
	for _, tr := range []string{"00000", "00001"} {
		data, err := os.ReadFile(filepath.Join(ref, tr, "onsets.json"))
		if err != nil {
			t.Fatal(err)
		}
		var info render.TrackInfo
		if err := json.Unmarshal(data, &info); err != nil || info.KitDir != "The Black Pearl 1.0" {
			t.Errorf("%s: kit %q, %v", tr, info.KitDir, err)
		}
	}

	js, err := runModelCommand(t, "eval", "--reference", ref, "--estimates", ref, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep eval.Report
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Tracks) != 2 || strings.Join(rep.Stems, ",") != "kick,snare,toms,hh,ride,crash" {
		t.Fatalf("tracks %d, stems %q", len(rep.Tracks), rep.Stems)
	}
	for _, s := range rep.Stems {
		if sum := rep.PerStem[s]; sum.SDRMean < 60 {
			t.Errorf("%s: perfect estimates score %+v", s, sum)
		}
	}

	// Estimates nested as separate -o est/TRACK writes them, kick at half level.
	est := filepath.Join(dir, "est")
	for _, tr := range []string{"00000", "00001"} {
		d := filepath.Join(est, tr, "mixture")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		data, _, err := eval.LoadStereo(filepath.Join(ref, tr, "kick.wav"))
		if err != nil {
			t.Fatal(err)
		}
		for c := range data {
			for i := range data[c] {
				data[c][i] *= 0.5
			}
		}
		writeFloatWAV(t, filepath.Join(d, "kick.wav"), data)
	}
	table, err := runModelCommand(t, "eval", "--reference", ref, "--estimates", est)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table, "6.021") || !strings.Contains(table, "2 tracks") {
		t.Errorf("table:\n%s", table)
	}

	for _, args := range [][]string{
		{"render", "--tracks", "1"},                                // no --out
		{"render", "--out", dir, "--kits-include", "Nope"},         // unknown kit
		{"render", "--out", dir, "--kits-include", "ForzeeStereo"}, // held out into train
		{"render", "--out", dir, "--stems", "4"},
		{"render", "--out", dir, "--style", "polka2"},
		{"eval", "--reference", ref},
	} {
		if _, err := runModelCommand(t, args...); !isUsage(err) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	if _, err := runModelCommand(t, "eval", "--reference", ref, "--estimates", filepath.Join(dir, "none")); err == nil || isUsage(err) {
		t.Errorf("eval without estimates: %v", err)
	}
}

func TestRenderListKits(t *testing.T) {
	needKits(t)
	out, err := runModelCommand(t, "render", "--list-kits")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"The Black Pearl 1.0", "held out for evaluation", "circAfrique v4", "not a drum kit", "Pearl Tom Floor", "toms / tom_low"} {
		if !strings.Contains(out, want) {
			t.Errorf("--list-kits lacks %q", want)
		}
	}
}

// writeFloatWAV writes stereo 44.1 kHz float samples.
func writeFloatWAV(t *testing.T, path string, data [][]float32) {
	t.Helper()
	if _, err := audio.WriteFile(path, &audio.Buffer{SampleRate: 44100, Data: data}, render.WAVEncoding); err != nil {
		t.Fatal(err)
	}
}
