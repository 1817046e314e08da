package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drumsplit/drumsplit/audio"
	"github.com/drumsplit/drumsplit/model"
)

// TestExportInt8AndSeparate exports a random-weight tiny model at fp32 and
// at int8 (calibrated on generated drum-like audio), separates one file
// with both through the C ABI on the CPU, and checks that the int8 stems
// are close to the fp32 stems but not equal to them, that the metadata
// says int8 with the measured fidelity, and that info shows it.
func TestExportInt8AndSeparate(t *testing.T) {
	needLib(t)
	py := realPython(t)
	dir := t.TempDir()
	cfg, ck := tinyCheckpoint(t, py, dir, 5)
	calib := filepath.Join(dir, "calib")
	for i := range 4 {
		// A folder per track with a mixture and a stem: only mixtures count.
		track := filepath.Join(calib, "t"+string(rune('0'+i)))
		writeAudio(t, filepath.Join(track, "mixture.wav"), testAudio(22050, 44100, 0.5, uint64(i)), 44100, wav16)
		writeAudio(t, filepath.Join(track, "kick.wav"), testAudio(22050, 44100, 0.5, uint64(10+i)), 44100, wav16)
	}
	if err := os.WriteFile(filepath.Join(calib, "notes.txt"), []byte("not audio\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f32, i8 := filepath.Join(dir, "f32.pt"), filepath.Join(dir, "i8.pt")
	if _, err := runModelCommand(t, "export", "--checkpoint", ck, "--config", cfg, "-o", f32); err != nil {
		t.Fatal(err)
	}
	stdout, err := runModelCommand(t, "export", "--checkpoint", ck, "--config", cfg, "-o", i8,
		"--precision", "int8", "--calibrate", calib, "--python", py)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "int8: ") {
		t.Errorf("export stdout %q does not report int8", stdout)
	}
	info, err := model.ReadInfo(i8)
	if err != nil {
		t.Fatal(err)
	}
	// 4 files, each 0.5 s = 22 chunks of 960 samples: the fourth file is the check set.
	if info.Precision != "int8" || info.Int8 == nil || len(info.Int8.Layers) == 0 ||
		info.Int8.CalibrationChunks != 3*22 || info.Int8.CheckChunks != 22 || len(info.Int8.SDR) != 6 {
		t.Fatalf("metadata precision %q, int8 %+v", info.Precision, info.Int8)
	}

	r := ds(t, dir, nil, "info", "i8.pt")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "precision:    int8\n") || !strings.Contains(r.stdout, "int8 vs fp32: SDR kick ") {
		t.Errorf("info says:\n%s", r.stdout)
	}

	writeInput(t, filepath.Join(dir, "in.wav"), 30000, 44100, 7)
	for _, m := range []string{"f32", "i8"} {
		r := ds(t, dir, nil, "separate", "-m", m+".pt", "--bit-depth", "32f", "-o", m, "in.wav")
		wantCode(t, r, 0)
	}
	for _, stem := range []string{"kick", "snare", "toms", "hh", "ride", "crash"} {
		want, _ := decode(t, filepath.Join(dir, "f32", "in", stem+".wav"))
		got, _ := decode(t, filepath.Join(dir, "i8", "in", stem+".wav"))
		sdr := stemSDR(want, got)
		// Random weights are no trained model; the bar is "same function up
		// to quantisation noise", not the shipped model's 30 dB.
		if sdr < 20 || math.IsInf(sdr, 1) {
			t.Errorf("%s: int8 stem %.1f dB from fp32's (want 20 dB to finite)", stem, sdr)
		}
	}

	// What the int8 model cannot do is a usage error from its metadata,
	// before the output folder is made or the library loaded.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--device", "cuda"}, "an int8 model runs on the CPU only, not cuda:0"},
		{[]string{"--device", "cpu,mps"}, "an int8 model runs on the CPU only, not mps"},
		{[]string{"--precision", "fp16"}, "runs at precision int8 only, not fp16"},
	} {
		args := append(append([]string{"separate", "-m", "i8.pt"}, c.args...), "-o", "refused", "in.wav")
		r := ds(t, dir, nil, args...)
		wantCode(t, r, 2)
		wantOneLine(t, r, `model "i8.pt"`, c.want)
		if _, err := os.Stat(filepath.Join(dir, "refused")); !os.IsNotExist(err) {
			t.Errorf("%v: output folder made (%v)", c.args, err)
		}
	}
	r = ds(t, dir, nil, "separate", "-m", "f32.pt", "--precision", "int8", "-o", "refused", "in.wav")
	wantCode(t, r, 2)
	wantOneLine(t, r, "precision int8 needs a model exported with --precision int8")
}

// stemSDR is 10·log10(Σref² / Σ(ref-est)²) over both channels, in dB.
func stemSDR(ref, est *audio.Buffer) float64 {
	var sig, noise float64
	for ch := range ref.Data {
		for i, r := range ref.Data[ch] {
			d := float64(r) - float64(est.Data[ch][i])
			sig += float64(r) * float64(r)
			noise += d * d
		}
	}
	return 10 * math.Log10(sig/noise)
}

// TestExportInt8FlagErrors: int8 without --calibrate, --calibrate without
// int8, and a calibration folder without usable audio are one-line errors
// that write nothing.
func TestExportInt8FlagErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := "../../configs/tiny_6stem.yaml"
	ck := filepath.Join(dir, "drums.ckpt")
	if err := os.WriteFile(ck, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "m.pt")
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	quiet := filepath.Join(dir, "quiet")
	writeAudio(t, filepath.Join(quiet, "silence.wav"), [][]float32{make([]float32, 44100), make([]float32, 44100)}, 44100, wav16)
	cases := []struct {
		args []string
		want string
		py   bool // needs the exporter (to describe the config)
	}{
		{[]string{"--precision", "int8"}, "--precision int8 needs --calibrate DIR", false},
		{[]string{"--calibrate", empty}, "--calibrate goes with --precision int8 only", false},
		{[]string{"--precision", "int8", "--calibrate", filepath.Join(dir, "missing")}, "no such file or directory", true},
		{[]string{"--precision", "int8", "--calibrate", empty}, "not enough audio to calibrate on", true},
		{[]string{"--precision", "int8", "--calibrate", quiet}, "has 0 non-silent chunks", true},
	}
	for _, c := range cases {
		if c.py {
			realPython(t)
		}
		_, err := runExport(t, append([]string{"export", "--checkpoint", ck, "--config", cfg, "-o", out}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: got %v, want one line with %q", c.args, err, c.want)
		}
		if _, serr := os.Stat(out); serr == nil {
			t.Errorf("%v: %s was written", c.args, out)
		}
	}
}
