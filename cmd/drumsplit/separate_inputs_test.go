package main

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// writeAIFF writes data as 16-bit PCM AIFF (sowt false) or little-endian
// AIFF-C "sowt" at rate 44100 and returns the samples as the decoder will
// deliver them.
func writeAIFF(t *testing.T, path string, data [][]float32, sowt bool) [][]float32 {
	t.Helper()
	frames := len(data[0])
	comm := binary.BigEndian.AppendUint16(nil, uint16(len(data)))
	comm = binary.BigEndian.AppendUint32(comm, uint32(frames))
	comm = binary.BigEndian.AppendUint16(comm, 16)
	// 44100 as an 80-bit extended float: 2^15 × 1.3458…
	comm = append(comm, 0x40, 0x0e, 0xac, 0x44, 0, 0, 0, 0, 0, 0)
	kind := "AIFF"
	if sowt {
		kind = "AIFC"
		comm = append(comm, "sowt\x00\x00"...)
	}
	snd := make([]byte, 8, 8+2*frames*len(data))
	want := make([][]float32, len(data))
	for ch := range want {
		want[ch] = make([]float32, frames)
	}
	for i := range frames {
		for ch := range data {
			v := int16(math.Round(float64(data[ch][i]) * 32767))
			want[ch][i] = float32(v) / 32768
			if sowt {
				snd = binary.LittleEndian.AppendUint16(snd, uint16(v))
			} else {
				snd = binary.BigEndian.AppendUint16(snd, uint16(v))
			}
		}
	}
	body := []byte(kind)
	for _, c := range []struct {
		id string
		b  []byte
	}{{"COMM", comm}, {"SSND", snd}} {
		body = append(body, c.id...)
		body = binary.BigEndian.AppendUint32(body, uint32(len(c.b)))
		body = append(body, c.b...)
	}
	file := append(binary.BigEndian.AppendUint32([]byte("FORM"), uint32(len(body))), body...)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	return want
}

// TestSeparateAIFF: a folder's .aif/.aiff/.aifc files are found and
// separated (they were passed over, and an AIFF named directly was refused
// as an unrecognised format); a mono one gives stereo stems.
func TestSeparateAIFF(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	stereo := writeAIFF(t, filepath.Join(dir, "in", "take1.aiff"), testAudio(9000, 44100, 0.5, 4), false)
	mono := writeAIFF(t, filepath.Join(dir, "in", "take2.AIFC"), testAudio(7000, 44100, 0.5, 5)[:1], true)
	r := ds(t, dir, nil, "separate", "-m", modelPath(t, "identity.pt"), "--stems", "kick", "--bit-depth", "32f", "in")
	wantCode(t, r, 0)
	if got, want := filesUnder(t, filepath.Join(dir, "separated")), []string{"take1/kick.wav", "take2/kick.wav"}; !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	for name, in := range map[string][][]float32{"take1": stereo, "take2": {mono[0], mono[0]}} {
		b, info := decode(t, filepath.Join(dir, "separated", name, "kick.wav"))
		if info.Channels != 2 {
			t.Errorf("%s: %d channels", name, info.Channels)
		}
		if d := maxDiff(t, b.Data, in); d > 1e-6 {
			t.Errorf("%s: kick differs from the input by %g", name, d)
		}
	}
}

// TestSeparateClash: lib/a/song.wav and lib/b/song.wav under the default
// template are refused before anything is separated: exit 2, one line
// naming both and {dir}, nothing written (before, a/song was separated and
// b/song failed after it, exit 1). With {dir} both are separated apart.
func TestSeparateClash(t *testing.T) {
	needLib(t)
	t.Parallel()
	dir := t.TempDir()
	writeInput(t, filepath.Join(dir, "lib", "a", "song.wav"), 3000, 44100, 1)
	writeInput(t, filepath.Join(dir, "lib", "b", "song.wav"), 3000, 44100, 2)
	id := modelPath(t, "identity.pt")
	r := ds(t, dir, nil, "separate", "-m", id, "lib")
	wantCode(t, r, 2)
	wantOneLine(t, r, `"lib/a/song.wav" and "lib/b/song.wav" would both write "separated/song/kick.wav"`,
		`nothing was separated`, `--filename "{dir}/{track}/{stem}.{ext}"`)
	if _, err := os.Stat(filepath.Join(dir, "separated")); !os.IsNotExist(err) {
		t.Errorf("output folder made: %v", err)
	}
	r = ds(t, dir, nil, "separate", "-m", id, "--json", "lib")
	wantCode(t, r, 2)
	if evs := events(t, r.stdout); len(evs) != 1 || evs[0].kind() != "error" {
		t.Errorf("--json: events %v, want the one error", evs)
	}

	r = ds(t, dir, nil, "separate", "-m", id, "--stems", "kick", "--filename", "{dir}/{track}/{stem}.{ext}", "lib", "lib/a/song.wav")
	wantCode(t, r, 0)
	if got, want := filesUnder(t, filepath.Join(dir, "separated")), []string{"a/song/kick.wav", "b/song/kick.wav"}; !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	r = ds(t, dir, nil, "separate", "-m", id, "--filename", "{dir}-{track}/{stem}.{ext}", "lib")
	wantCode(t, r, 2)
	wantOneLine(t, r, "{dir} must be folders of its own")
}
