package main

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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
