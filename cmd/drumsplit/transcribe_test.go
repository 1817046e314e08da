package main

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gitlab.com/gomidi/midi/v2/smf"

	"github.com/drumsplit/drumsplit/audio"
)

// drumHits returns stereo audio of the given length holding a decaying
// noise burst (a hit, peak amp) at each of times, silent between them.
func drumHits(seconds float64, rate int, amp float64, times []float64) [][]float32 {
	rng := rand.New(rand.NewPCG(3, 4))
	n := int(seconds * float64(rate))
	d := [][]float32{make([]float32, n), make([]float32, n)}
	for _, at := range times {
		s := int(at * float64(rate))
		for i := 0; i < rate/10 && s+i < n; i++ {
			v := float32(amp * math.Exp(-float64(i)/float64(rate)*40) * (2*rng.Float64() - 1))
			d[0][s+i], d[1][s+i] = v, v
		}
	}
	return d
}

// TestSeparateMIDI runs separate --midi: the MIDI file is written beside
// the stems as --filename names it, file_done lists it, and it is the file
// transcribe writes from the stems (32-bit float stems: the same samples).
func TestSeparateMIDI(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	writeAudio(t, filepath.Join(dir, "song.wav"), drumHits(1.5, 44100, 0.8, []float64{0.2, 0.5, 0.9, 1.2}), 44100, wav16)
	r := ds(t, dir, nil, "separate", "-m", modelPath(t, "identity.pt"), "--midi", "--json", "--bit-depth", "32f",
		"--filename", "{track}-{stem}.{ext}", "-o", "o", "song.wav")
	wantCode(t, r, 0)
	want := []string{"song-drums.mid"}
	for _, s := range stemNames {
		want = append(want, "song-"+s+".wav")
	}
	slices.Sort(want)
	if got := filesUnder(t, filepath.Join(dir, "o")); !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	done := only(events(t, r.stdout), "file_done")
	midi := filepath.Join(dir, "o", "song-drums.mid")
	if len(done) != 1 {
		t.Fatalf("file_done events: %v", done)
	}
	m, _ := done[0]["midi"].(map[string]any)
	if m == nil || m["path"] != filepath.Join("o", "song-drums.mid") || m["notes"].(float64) < 4 {
		t.Errorf("file_done midi: %v", done[0]["midi"])
	}

	// transcribe reads the stems back (only the stem files of the folder)
	// and must write the same file.
	stems := filepath.Join(dir, "stems")
	os.MkdirAll(stems, 0o755)
	for _, s := range stemNames {
		copyFile(t, filepath.Join(dir, "o", "song-"+s+".wav"), filepath.Join(stems, s+".wav"))
	}
	wantCode(t, ds(t, dir, nil, "transcribe", "stems"), 0)
	a, err := os.ReadFile(midi)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(stems, "drums.mid"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("separate --midi wrote %d bytes, transcribe of its stems %d: they differ", len(a), len(b))
	}

	// The MIDI file follows the rules for existing files.
	r = ds(t, dir, nil, "separate", "-m", modelPath(t, "identity.pt"), "--midi", "--stems", "kick", "-o", "o",
		"--filename", "{track}-{stem}.{ext}", "song.wav")
	wantCode(t, r, 1)
	wantOneLine(t, r, "exists")
	if !strings.Contains(r.stderr, "song-") {
		t.Errorf("stderr %q names no file", r.stderr)
	}
}

// midiNotes reads a MIDI file with gomidi and returns its note-ons as
// "channel:key" strings, with their times in seconds through the tempo map.
func midiNotes(t *testing.T, path string) (keys []string, times []float64) {
	t.Helper()
	f, err := smf.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, tr := range f.Tracks {
		var tick int64
		for _, ev := range tr {
			tick += int64(ev.Delta)
			var ch, key, vel uint8
			if ev.Message.GetNoteStart(&ch, &key, &vel) {
				keys = append(keys, fmt.Sprintf("%d:%d", ch+1, key))
				times = append(times, float64(f.TimeAt(tick))/1e6)
			}
		}
	}
	return keys, times
}

// TestTranscribeCommand runs drumsplit transcribe on folders of stems
// written by the test: good ones (a kick with hits beside a silent snare
// and other files; -o; --drum-map), and every bad input, each of which
// fails its folder with one line and exit 1 while the others are written.
func TestTranscribeCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hits := []float64{0.2, 0.7, 1.1, 1.6}
	kick := drumHits(2, 44100, 0.8, hits)
	silent := [][]float32{make([]float32, len(kick[0])), make([]float32, len(kick[0]))}
	writeAudio(t, filepath.Join(dir, "song", "kick.wav"), kick, 44100, wav16)
	writeAudio(t, filepath.Join(dir, "song", "snare.flac"), silent, 44100, audio.Encoding{Format: "flac", BitDepth: 16})
	writeAudio(t, filepath.Join(dir, "song", "mixture.wav"), kick, 44100, wav16) // not a stem: ignored
	os.WriteFile(filepath.Join(dir, "song", "notes.txt"), []byte("x"), 0o644)

	r := ds(t, dir, nil, "transcribe", "song")
	wantCode(t, r, 0)
	if r.stderr != "" || !strings.Contains(r.stdout, "4 notes (kick 4)") || !strings.Contains(r.stdout, filepath.Join("song", "drums.mid")) {
		t.Errorf("transcribe song: %s", r)
	}
	keys, times := midiNotes(t, filepath.Join(dir, "song", "drums.mid"))
	if !slices.Equal(keys, []string{"10:36", "10:36", "10:36", "10:36"}) {
		t.Errorf("notes %v, want four kicks (36) on channel 10", keys)
	}
	for i, tm := range times {
		if i < len(hits) && math.Abs(tm-hits[i]) > 0.002 {
			t.Errorf("note %d at %.4f s, hit at %.4f s", i, tm, hits[i])
		}
	}

	// -o and a drum map file.
	os.MkdirAll(filepath.Join(dir, "midi"), 0o755)
	m := `{"name": "test", "channel": 1, "notes": {"kick": 35, "snare": 40, "hh_closed": 42, "hh_pedal": 44,
		"hh_open": 46, "ride": 51, "ride_bell": 53, "crash": 57}, "toms": [48, 45, 41]}`
	os.WriteFile(filepath.Join(dir, "map.json"), []byte(m), 0o644)
	r = ds(t, dir, nil, "transcribe", "-o", filepath.Join("midi", "x.mid"), "--drum-map", "map.json", "song")
	wantCode(t, r, 0)
	if keys, _ := midiNotes(t, filepath.Join(dir, "midi", "x.mid")); !slices.Equal(keys, []string{"1:35", "1:35", "1:35", "1:35"}) {
		t.Errorf("with the map: notes %v, want four 35s on channel 1", keys)
	}

	// Silent stems: no notes, no error.
	writeAudio(t, filepath.Join(dir, "quiet", "hh.wav"), silent, 44100, wav16)
	writeAudio(t, filepath.Join(dir, "quiet", "toms.wav"), silent, 44100, wav16)
	r = ds(t, dir, nil, "transcribe", "quiet")
	wantCode(t, r, 0)
	if keys, _ := midiNotes(t, filepath.Join(dir, "quiet", "drums.mid")); len(keys) != 0 || !strings.Contains(r.stdout, "0 notes") {
		t.Errorf("silent stems: notes %v, %s", keys, r)
	}

	// Bad folders: each is one line naming the cause and file.
	writeAudio(t, filepath.Join(dir, "len", "kick.wav"), kick, 44100, wav16)
	writeAudio(t, filepath.Join(dir, "len", "snare.wav"), [][]float32{kick[0][:1000], kick[1][:1000]}, 44100, wav16)
	writeAudio(t, filepath.Join(dir, "rate", "kick.wav"), kick, 44100, wav16)
	writeAudio(t, filepath.Join(dir, "rate", "hh.wav"), kick, 48000, wav16)
	os.MkdirAll(filepath.Join(dir, "empty"), 0o755)
	writeAudio(t, filepath.Join(dir, "empty", "mixture.wav"), kick, 44100, wav16)
	os.MkdirAll(filepath.Join(dir, "bad"), 0o755)
	os.WriteFile(filepath.Join(dir, "bad", "kick.wav"), []byte("not audio at all"), 0o644)
	for _, tc := range []struct {
		dir   string
		parts []string
	}{
		{"len", []string{"differ in length", strconv.Quote(filepath.Join("len", "snare.wav")), "1000 samples"}},
		{"rate", []string{"differ in sample rate", strconv.Quote(filepath.Join("rate", "hh.wav")), "48000 Hz"}},
		{"empty", []string{"no stems", strconv.Quote("empty"), "kick, snare, toms, hh, ride, crash"}},
		{"gone", []string{"gone"}},
		{"bad", []string{filepath.Join("bad", "kick.wav")}},
	} {
		r := ds(t, dir, nil, "transcribe", tc.dir)
		wantCode(t, r, 1)
		wantOneLine(t, r, tc.parts...)
		if strings.Contains(r.stderr, "*") || strings.Contains(r.stderr, "transcribe.") {
			t.Errorf("%s: a Go name in %q", tc.dir, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, tc.dir, "drums.mid")); err == nil {
			t.Errorf("%s: drums.mid written", tc.dir)
		}
	}
	// One bad folder among good ones fails the run, the others are done.
	os.Remove(filepath.Join(dir, "song", "drums.mid"))
	r = ds(t, dir, nil, "transcribe", "len", "song")
	wantCode(t, r, 1)
	wantOneLine(t, r, "len")
	if _, err := os.Stat(filepath.Join(dir, "song", "drums.mid")); err != nil {
		t.Errorf("the good folder after a bad one: %v", err)
	}

	// Command line errors: exit 2.
	for _, args := range [][]string{
		{"transcribe"},
		{"transcribe", "--tempo", "fast", "song"},
		{"transcribe", "--quantize", "1/7", "song"},
		{"transcribe", "--drum-map", "nosuch.json", "song"},
		{"transcribe", "-o", "a.mid", "song", "quiet"},
		{"transcribe", "--plot", "roll.jpg", "song"},
	} {
		r := ds(t, dir, nil, args...)
		wantCode(t, r, 2)
		if len(r.lines()) == 0 {
			t.Errorf("%v: no message", args)
		}
	}
	r = ds(t, dir, nil, "transcribe", "--drum-map", "nosuch.json", "song")
	wantOneLine(t, r, `"nosuch.json"`, "no such file")
	bad := filepath.Join(dir, "badmap.json")
	os.WriteFile(bad, []byte(`{"name": "x", "channel": 10, "notes": {"kik": 36}}`), 0o644)
	r = ds(t, dir, nil, "transcribe", "--drum-map", "badmap.json", "song")
	wantCode(t, r, 2)
	wantOneLine(t, r, "badmap.json")
}
