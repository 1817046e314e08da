package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drumsplit/drumsplit/audio"
)

// TestSeparateIdentity is the end-to-end check: the identity model returns
// its input as every stem, so each stem file must equal the input within
// the output format's precision, for both overlap-add modes. It also covers
// the defaults: output folder ./separated, {track}/{stem}.{ext}, 24-bit WAV,
// and flags given after the input.
func TestSeparateIdentity(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	in := writeInput(t, filepath.Join(dir, "song.wav"), 30000, 44100, 1)
	id := modelPath(t, "identity.pt")

	r := ds(t, dir, nil, "separate", "song.wav", "-m", id)
	wantCode(t, r, 0)
	if r.stdout != "" {
		t.Errorf("stdout without --json: %q", r.stdout)
	}
	checkClean(t, r.stderr)
	var want []string
	for _, s := range stemNames {
		want = append(want, "song/"+s+".wav")
	}
	slices.Sort(want)
	if got := filesUnder(t, filepath.Join(dir, "separated")); !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	for _, s := range stemNames {
		b, info := decode(t, filepath.Join(dir, "separated", "song", s+".wav"))
		if info.Format != "wav" || info.BitDepth != 24 || info.Float || info.SampleRate != 44100 || info.Channels != 2 {
			t.Errorf("%s: %+v, want 24-bit PCM WAV, 44100 Hz, stereo", s, info)
		}
		// Half a 24-bit step, plus float rounding of the overlap-add.
		if d := maxDiff(t, b.Data, in); d > 1.5/(1<<23) {
			t.Errorf("%s differs from the input by %g", s, d)
		}
	}

	// UVR mode: zero padding and a plain average, still the identity.
	r = ds(t, dir, nil, "separate", "-m", id, "--mode", "uvr", "--stems", "kick", "--bit-depth", "32f", "-o", "uvr", "song.wav")
	wantCode(t, r, 0)
	b, info := decode(t, filepath.Join(dir, "uvr", "song", "kick.wav"))
	if !info.Float || info.BitDepth != 32 {
		t.Errorf("--bit-depth 32f wrote %+v", info)
	}
	if d := maxDiff(t, b.Data, in); d > 1e-6 {
		t.Errorf("uvr: kick differs from the input by %g", d)
	}
}

// TestSeparateFormats checks --format and --bit-depth by decoding the
// files written: the header says what was asked for and the samples equal
// the input within the format's precision.
func TestSeparateFormats(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	in := writeInput(t, filepath.Join(dir, "in.wav"), 20000, 44100, 2)
	id := modelPath(t, "identity.pt")
	for _, tc := range []struct {
		format, depth string
		bits          int
		float         bool
		tol           float64
	}{
		{"wav", "16", 16, false, 0.51 / (1 << 15)},
		{"wav", "24", 24, false, 1.5 / (1 << 23)},
		{"wav", "32f", 32, true, 1e-6},
		{"flac", "16", 16, false, 0.51 / (1 << 15)},
		{"flac", "24", 24, false, 1.5 / (1 << 23)},
	} {
		t.Run(tc.format+tc.depth, func(t *testing.T) {
			t.Parallel()
			out := "out-" + tc.format + tc.depth
			r := ds(t, dir, nil, "separate", "-m", id, "-o", out, "--format", tc.format, "--bit-depth", tc.depth, "--stems", "snare", "in.wav")
			wantCode(t, r, 0)
			path := filepath.Join(dir, out, "in", "snare."+tc.format)
			b, info := decode(t, path)
			if info.Format != tc.format || info.BitDepth != tc.bits || info.Float != tc.float {
				t.Errorf("%s: %+v, want %s %d-bit float=%v", path, info, tc.format, tc.bits, tc.float)
			}
			if d := maxDiff(t, b.Data, in); d > tc.tol {
				t.Errorf("%s differs from the input by %g > %g", path, d, tc.tol)
			}
		})
	}
}

// TestSeparateResample feeds a mono 48 kHz FLAC: the stems are stereo at
// the input's 48 kHz by default (--sample-rate keep; before issue 17 they
// were at the model's 44.1 kHz), and with --sample-rate 44100 at 44.1 kHz,
// equal to the input resampled (both channels the mono signal).
func TestSeparateResample(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	mono := testAudio(24000, 48000, 0.5, 3)[:1]
	writeAudio(t, filepath.Join(dir, "mono.flac"), mono, 48000, audio.Encoding{Format: "flac", BitDepth: 24})
	src, _ := decode(t, filepath.Join(dir, "mono.flac"))
	want, err := audio.Resample(&audio.Buffer{SampleRate: 48000, Data: [][]float32{src.Data[0], src.Data[0]}}, 44100)
	if err != nil {
		t.Fatal(err)
	}
	r := ds(t, dir, nil, "separate", "-m", modelPath(t, "identity.pt"), "--stems", "hh", "--bit-depth", "32f", "--sample-rate", "44100", "mono.flac")
	wantCode(t, r, 0)
	b, info := decode(t, filepath.Join(dir, "separated", "mono", "hh.wav"))
	if info.SampleRate != 44100 || info.Channels != 2 {
		t.Fatalf("stem is %+v, want 44100 Hz stereo", info)
	}
	if d := maxDiff(t, b.Data, want.Data); d > 1e-5 {
		t.Errorf("stem differs from the resampled input by %g", d)
	}

	r = ds(t, dir, nil, "separate", "-m", modelPath(t, "identity.pt"), "--stems", "hh", "--bit-depth", "32f", "-o", "keep", "--json", "mono.flac")
	wantCode(t, r, 0)
	b, info = decode(t, filepath.Join(dir, "keep", "mono", "hh.wav"))
	if info.SampleRate != 48000 || info.Channels != 2 || b.Frames() != 24000 {
		t.Fatalf("stem is %+v, want 24000 frames at 48000 Hz, stereo", info)
	}
	if fs := only(events(t, r.stdout), "file_start"); len(fs) != 1 || fs[0].num("out_sample_rate") != 48000 || fs[0].num("sample_rate") != 48000 {
		t.Errorf("file_start events %v", fs)
	}
}

// TestSeparateResidual: with --residual the stems written and other.wav
// add up to the input within float32 rounding at --bit-depth 32f, at the
// input's rate although the model runs at 44.1 kHz; the residual follows
// --filename.
func TestSeparateResidual(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	in := testAudio(9000, 48000, 0.5, 5)
	writeAudio(t, filepath.Join(dir, "in.wav"), in, 48000, audio.Encoding{Format: "wav", BitDepth: 32})
	src, _ := decode(t, filepath.Join(dir, "in.wav"))
	r := ds(t, dir, nil, "in.wav", "-m", modelPath(t, "tiny6.pt"), "--stems", "kick,hh", "--residual", "--bit-depth", "32f",
		"--filename", "{track}-{stem}.{ext}", "--json")
	wantCode(t, r, 0)
	if got := filesUnder(t, filepath.Join(dir, "separated")); !slices.Equal(got, []string{"in-hh.wav", "in-kick.wav", "in-other.wav"}) {
		t.Fatalf("files %v", got)
	}
	if st := startOf(t, r); st["residual"] != true {
		t.Errorf("start event %v lacks residual", st)
	}
	sum := [][]float32{make([]float32, src.Frames()), make([]float32, src.Frames())}
	sum64 := [][]float64{make([]float64, src.Frames()), make([]float64, src.Frames())}
	for _, s := range []string{"kick", "hh", "other"} {
		b, info := decode(t, filepath.Join(dir, "separated", "in-"+s+".wav"))
		if info.SampleRate != 48000 || b.Frames() != src.Frames() {
			t.Fatalf("%s: %+v, want %d frames at 48000 Hz", s, info, src.Frames())
		}
		for ch := range sum64 {
			for i, v := range b.Data[ch] {
				sum64[ch][i] += float64(v)
			}
		}
	}
	for ch := range sum {
		for i, v := range sum64[ch] {
			sum[ch][i] = float32(v)
		}
	}
	if d := maxDiff(t, sum, src.Data); d > 1e-6 {
		t.Errorf("kick + hh + other differ from the input by %g", d)
	}
	// The stems are not silent: other is not the input itself.
	b, _ := decode(t, filepath.Join(dir, "separated", "in-other.wav"))
	if d := maxDiff(t, b.Data, src.Data); d < 1e-3 {
		t.Errorf("other equals the input within %g: the stems are silent", d)
	}
}

// TestSeparateTiny runs the tiny TFC-TDF v3 model through the flags that
// change the computation: --stft model and go agree, --overlap, --batch,
// --mode, --threads and --tta reach the separator (start event, -v log),
// and --overlap and --tta change the result.
func TestSeparateTiny(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "t.wav"), 8000, 44100, 4)
	tiny := modelPath(t, "tiny6.pt")
	run := func(out string, args ...string) (result, [][]float32) {
		t.Helper()
		args = append([]string{"separate", "-m", tiny, "--json", "--bit-depth", "32f", "--stems", "kick,toms", "-o", out, "t.wav"}, args...)
		r := ds(t, dir, nil, args...)
		wantCode(t, r, 0)
		b, _ := decode(t, filepath.Join(dir, out, "t", "toms.wav"))
		return r, b.Data
	}
	rModel, model := run("model", "--stft", "model", "--batch", "4")
	_, goSTFT := run("go", "--stft", "go", "--batch", "4")
	rUVR, uvr := run("uvr", "--mode", "uvr", "--overlap", "2", "--batch", "3", "--threads", "1", "-v")
	rTTA, tta := run("tta", "--stft", "model", "--batch", "4", "--tta")

	ev := startOf(t, rModel)
	if ev.str("stft") != "model" || ev.str("mode") != "msst" || ev.num("overlap") != 4 || ev.num("batch") != 4 || ev.str("device") != "cpu" {
		t.Errorf("start event %v: want stft model, mode msst, the model's overlap 4, batch 4, cpu", ev)
	}
	if _, on := ev["tta"]; on {
		t.Errorf("start event %v: tta without --tta", ev)
	}
	if ev := startOf(t, rTTA); ev["tta"] != true {
		t.Errorf("start event %v: want tta true with --tta", ev)
	}
	ev = startOf(t, rUVR)
	if ev.str("mode") != "uvr" || ev.num("overlap") != 2 || ev.num("batch") != 3 {
		t.Errorf("start event %v: want mode uvr, overlap 2, batch 3", ev)
	}
	if !strings.Contains(rUVR.stderr, "libtorch uses 1 CPU threads") {
		t.Errorf("--threads 1 -v: stderr does not report 1 thread:\n%s", rUVR.stderr)
	}
	peak := 0.0
	for _, ch := range model {
		for _, v := range ch {
			peak = max(peak, float64(v), -float64(v))
		}
	}
	if peak < 1e-4 {
		t.Fatalf("tiny6 output is silent (peak %g); the comparisons below would prove nothing", peak)
	}
	if d := maxDiff(t, model, goSTFT); d > 1e-4*peak {
		t.Errorf("--stft go differs from --stft model by %g (peak %g)", d, peak)
	}
	if d := maxDiff(t, model, uvr); d < 1e-3*peak {
		t.Errorf("--mode uvr --overlap 2 gives the same output as msst/4 (diff %g): flags not applied?", d)
	}
	if d := maxDiff(t, model, tta); d < 1e-3*peak {
		t.Errorf("--tta gives the same output as without (diff %g): flag not applied?", d)
	}
}

// TestSeparateDevicePrecision checks --device and --precision: cpu and
// fp32 are used as asked; a device this machine lacks falls back with one
// warning; fp16 on the CPU runs in fp32 with a warning.
func TestSeparateDevicePrecision(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "in.wav"), 5000, 44100, 5)
	id := modelPath(t, "identity.pt")

	// Which devices this machine has decides what a fallback looks like.
	r := ds(t, dir, nil, "devices", "--json")
	wantCode(t, r, 0)
	have := func(dev string) bool { return strings.Contains(r.stdout, `"device": "`+dev+`"`) }

	for _, tc := range []struct {
		device, precision string
	}{
		{"cpu", "fp32"}, {"cpu", "fp16"}, {"cuda", "auto"}, {"cuda:7", "fp32"}, {"mps", "auto"}, {"auto", "auto"},
	} {
		t.Run(strings.ReplaceAll(tc.device, ":", "")+"-"+tc.precision, func(t *testing.T) {
			t.Parallel()
			out := "out-" + strings.ReplaceAll(tc.device, ":", "") + "-" + tc.precision
			r := ds(t, dir, nil, "separate", "-m", id, "--json", "--stems", "kick", "-o", out,
				"--device", tc.device, "--precision", tc.precision, "in.wav")
			wantCode(t, r, 0)
			ev := startOf(t, r)
			// The warning names the file being loaded (issue 17).
			warned := strings.Contains(r.stderr, "warning: "+strconv.Quote(id)+": device "+tc.device) && strings.Contains(r.stderr, "not available")
			avail := tc.device == "cpu" || tc.device == "auto" || have(tc.device) || (tc.device == "cuda" && have("cuda:0"))
			switch {
			case avail && warned:
				t.Errorf("unexpected device warning:\n%s", r.stderr)
			case !avail && !warned:
				t.Errorf("--device %s is not available here but no warning says so:\n%s", tc.device, r.stderr)
			case !avail && len(only(events(t, r.stdout), "warning")) == 0:
				t.Errorf("no warning event for the fallback:\n%s", r.stdout)
			}
			if tc.device == "cpu" && ev.str("device") != "cpu" {
				t.Errorf("--device cpu ran on %s", ev.str("device"))
			}
			if tc.precision == "fp32" && ev.str("precision") != "fp32" {
				t.Errorf("--precision fp32 ran in %s", ev.str("precision"))
			}
			if tc.precision == "fp16" && tc.device == "cpu" {
				if ev.str("precision") != "fp32" || !strings.Contains(r.stderr, "fp16 is not supported on the CPU") {
					t.Errorf("fp16 on the CPU: precision %s, stderr %q; want fp32 with a warning", ev.str("precision"), r.stderr)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, out, "in", "kick.wav")); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestSeparateTemplate checks --filename with every variable, and that
// stems are filtered by --stems (any case) into the model's order.
func TestSeparateTemplate(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "take 1.wav"), 5000, 44100, 6)
	r := ds(t, dir, nil, "separate", "-m", modelPath(t, "identity.pt"), "-o", "o", "--format", "flac",
		"--filename", "{model}/{track}-{stem}.{ext}", "--stems", "SNARE, kick", "take 1.wav")
	wantCode(t, r, 0)
	want := []string{"identity/take 1-kick.flac", "identity/take 1-snare.flac"}
	if got := filesUnder(t, filepath.Join(dir, "o")); !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
}

// TestSeparateExisting checks the overwrite policy: refuse by default
// (one line naming the file, exit 1, files untouched), --skip-existing
// (skip, or write only the missing stems), --overwrite (replace).
func TestSeparateExisting(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "a.wav"), 4000, 44100, 7)
	id := modelPath(t, "identity.pt")
	args := []string{"separate", "-m", id, "--stems", "kick,snare,toms", "a.wav"}
	kick := filepath.Join(dir, "separated", "a", "kick.wav")
	snare := filepath.Join(dir, "separated", "a", "snare.wav")
	wantCode(t, ds(t, dir, nil, args...), 0)

	// Age the files, so that a rewrite shows in their times.
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	for _, s := range []string{"kick", "snare", "toms"} {
		if err := os.Chtimes(filepath.Join(dir, "separated", "a", s+".wav"), old, old); err != nil {
			t.Fatal(err)
		}
	}
	modTime := func(p string) time.Time {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return st.ModTime()
	}

	r := ds(t, dir, nil, args...)
	wantCode(t, r, 1)
	wantOneLine(t, r, "a.wav", kick[len(dir)+1:], "exists", "--overwrite")
	if !modTime(kick).Equal(old) {
		t.Error("refused run changed kick.wav")
	}

	r = ds(t, dir, nil, append(args, "--skip-existing", "--json")...)
	wantCode(t, r, 0)
	if done := only(events(t, r.stdout), "file_done"); len(done) != 1 || done[0].str("status") != "skipped" {
		t.Errorf("--skip-existing: file_done events %v, want one skipped", done)
	}

	if err := os.Remove(snare); err != nil {
		t.Fatal(err)
	}
	r = ds(t, dir, nil, append(args, "--skip-existing")...)
	wantCode(t, r, 0)
	if !modTime(kick).Equal(old) || modTime(snare).Equal(old) {
		t.Errorf("--skip-existing with snare missing: kick %v snare %v, want kick kept and snare written", modTime(kick), modTime(snare))
	}

	// --overwrite replaces: write a different input under the same name.
	in2 := writeInput(t, filepath.Join(dir, "a.wav"), 4000, 44100, 8)
	r = ds(t, dir, nil, append(args, "--overwrite")...)
	wantCode(t, r, 0)
	b, _ := decode(t, kick)
	if d := maxDiff(t, b.Data, in2); d > 1.5/(1<<23) {
		t.Errorf("--overwrite: kick.wav is not the new input's (diff %g)", d)
	}

	r = ds(t, dir, nil, append(args, "--overwrite", "--skip-existing")...)
	wantCode(t, r, 2)
	wantOneLine(t, r, "--overwrite", "--skip-existing")
}

// TestSeparateFolderJSON runs a folder tree holding good files (WAV with
// an upper-case extension, FLAC, MP3, a WAV named .mp3), a damaged FLAC,
// files that are not audio by name, a hidden file and the output folder
// itself: the good files are written, the bad one is reported once and
// leaves nothing, every --json line parses, the summary counts, exit 1.
func TestSeparateFolderJSON(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	root := filepath.Join(dir, "in")
	writeInput(t, filepath.Join(root, "b", "one.WAV"), 6000, 44100, 9)
	writeAudio(t, filepath.Join(root, "a", "two.flac"), testAudio(6000, 44100, 0.5, 10), 44100, audio.Encoding{Format: "flac", BitDepth: 16})
	copyFile(t, filepath.Join("..", "..", "audio", "testdata", "tones-mpeg1-id3.mp3"), filepath.Join(root, "c", "three.mp3"))
	writeInput(t, filepath.Join(root, "c", "sub", "four.mp3"), 3000, 44100, 11) // a WAV, named .mp3
	// A FLAC cut in the middle: it opens, then fails while being read.
	writeAudio(t, filepath.Join(dir, "whole.flac"), testAudio(200000, 44100, 0.5, 12), 44100, audio.Encoding{Format: "flac", BitDepth: 16})
	whole, err := os.ReadFile(filepath.Join(dir, "whole.flac"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "c", "bad.flac"), whole[:len(whole)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"notes.txt", ".hidden.wav", "cover.jpg"} {
		if err := os.WriteFile(filepath.Join(root, name), []byte("not audio"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(root, "out") // inside the input folder: must not be searched
	if err := os.MkdirAll(filepath.Join(out, "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeInput(t, filepath.Join(out, "old", "kick.wav"), 1000, 44100, 13)

	r := ds(t, dir, nil, "separate", "--json", "-m", modelPath(t, "identity.pt"), "-o", out, "--stems", "kick", "in")
	wantCode(t, r, 1)
	evs := events(t, r.stdout)
	if evs[0].kind() != "loading" || evs[1].kind() != "start" || evs[len(evs)-1].kind() != "summary" {
		t.Errorf("events do not run from loading and start to summary:\n%s", r.stdout)
	}
	var order []string
	for _, e := range only(evs, "file_start") {
		order = append(order, filepath.ToSlash(e.str("file")))
	}
	wantOrder := []string{"in/a/two.flac", "in/b/one.WAV", "in/c/bad.flac", "in/c/sub/four.mp3", "in/c/three.mp3"}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("files processed %v, want %v", order, wantOrder)
	}
	for _, kind := range []string{"progress", "file_done", "error"} {
		if len(only(evs, kind)) == 0 {
			t.Errorf("no %s event:\n%s", kind, r.stdout)
		}
	}
	for _, e := range only(evs, "file_done") {
		stems, _ := e["stems"].([]any)
		if len(stems) != 1 || e.num("seconds") <= 0 || e.num("rtf") <= 0 || e.str("status") != "done" {
			t.Errorf("file_done %v: want one stem, seconds, rtf, status done", e)
			continue
		}
		p := stems[0].(map[string]any)["path"].(string)
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil && !filepath.IsAbs(p) {
			t.Errorf("file_done names %s: %v", p, err)
		} else if filepath.IsAbs(p) {
			if _, err := os.Stat(p); err != nil {
				t.Error(err)
			}
		}
	}
	errs := only(evs, "error")
	if len(errs) != 1 || filepath.ToSlash(errs[0].str("file")) != "in/c/bad.flac" || errs[0].str("message") == "" {
		t.Errorf("error events %v, want one for in/c/bad.flac", errs)
	}
	sum := evs[len(evs)-1]
	if sum.num("inputs") != 5 || sum.num("done") != 4 || sum.num("failed") != 1 || sum.num("exit_code") != 1 || sum["interrupted"] != false {
		t.Errorf("summary %v, want 5 inputs, 4 done, 1 failed, exit_code 1", sum)
	}
	// stderr: the bad file's one line, nothing else (no summary with --json).
	wantOneLine(t, r, "in/c/bad.flac", "truncated")

	got := filesUnder(t, out)
	want := []string{"four/kick.wav", "old/kick.wav", "one/kick.wav", "three/kick.wav", "two/kick.wav"}
	if !slices.Equal(got, want) {
		t.Errorf("output files %v, want %v (nothing for bad.flac, no temporary files)", got, want)
	}
	if _, err := os.Stat(filepath.Join(out, "bad")); err == nil {
		t.Error("the failed input left its folder behind")
	}
}

// TestSeparateQuietVerbose checks -q and -v, before and after the
// subcommand: -q prints nothing on success and still prints errors, -v
// prints the model's settings.
func TestSeparateQuietVerbose(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "in.wav"), 3000, 44100, 14)
	id := modelPath(t, "identity.pt")
	base := []string{"-m", id, "--stems", "kick", "--overwrite", "in.wav"}

	r := ds(t, dir, nil, append([]string{"separate"}, base...)...)
	wantCode(t, r, 0)
	if len(r.lines()) != 1 || !strings.Contains(r.stderr, "in.wav") {
		t.Errorf("default: want one line about in.wav, got %q", r.stderr)
	}
	for _, args := range [][]string{
		append([]string{"separate", "-q"}, base...),
		append([]string{"-q", "separate"}, base...),
		append(append([]string{"separate"}, base...), "--quiet"),
	} {
		r := ds(t, dir, nil, args...)
		wantCode(t, r, 0)
		if r.stderr != "" || r.stdout != "" {
			t.Errorf("%v: want no output, got %s", args, r)
		}
	}
	r = ds(t, dir, nil, "separate", "-q", "-m", id, "missing.wav")
	wantCode(t, r, 1)
	wantOneLine(t, r, "missing.wav", "no such file")

	for _, args := range [][]string{
		append([]string{"separate", "-v"}, base...),
		append([]string{"--verbose", "separate"}, base...),
	} {
		r := ds(t, dir, nil, args...)
		wantCode(t, r, 0)
		if !strings.Contains(r.stderr, "model ready") || !strings.Contains(r.stderr, "chunk=130560") {
			t.Errorf("%v: -v does not show the model's settings:\n%s", args, r.stderr)
		}
	}
}

// TestSeparateClipping writes a float input with peaks at 1.5 to 16-bit
// stems: each clipped stem file gets one warning line with its count,
// which the --json event reports exactly.
func TestSeparateClipping(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	sig := testAudio(4000, 44100, 0.5, 15)
	want := 0
	for ch := range sig {
		for i := 100 * (ch + 1); i < len(sig[ch]); i += 397 {
			sig[ch][i] = 1.5
			want++
		}
	}
	writeAudio(t, filepath.Join(dir, "loud.wav"), sig, 44100, audio.Encoding{Format: "wav", BitDepth: 32})
	r := ds(t, dir, nil, "separate", "--json", "-m", modelPath(t, "identity.pt"), "--bit-depth", "16", "--stems", "kick,snare", "loud.wav")
	wantCode(t, r, 0)
	done := only(events(t, r.stdout), "file_done")
	if len(done) != 1 {
		t.Fatalf("file_done events: %v", done)
	}
	for _, s := range done[0]["stems"].([]any) {
		if c := s.(map[string]any)["clipped"].(float64); int(c) != want {
			t.Errorf("stem %v: clipped %v, want %d", s, c, want)
		}
	}
	lines := r.lines()
	if len(lines) != 2 {
		t.Fatalf("want one clipping warning per stem file, got:\n%s", r.stderr)
	}
	for i, s := range []string{"kick", "snare"} {
		if !strings.Contains(lines[i], "warning") || !strings.Contains(lines[i], s+".wav") || !strings.Contains(lines[i], strconv.Itoa(want)+" samples clipped") {
			t.Errorf("warning %q: want the file %s.wav and %d samples clipped", lines[i], s, want)
		}
	}
}
