package transcribe

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestTranscribeDir: a folder of stems becomes DIR/drums.mid, the line
// counts the notes per stem, and a MIDI file that cannot be written leaves
// no temporary file behind.
func TestTranscribeDir(t *testing.T) {
	in, want := synthTrack(3)
	dir := t.TempDir()
	for _, s := range in.Stems {
		writeWAV(t, filepath.Join(dir, s.Name+".wav"), rate, s.Data[0])
	}
	res, err := TranscribeDir(dir, DirOptions{BPM: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.Out != filepath.Join(dir, "drums.mid") || res.BPM != 100 || len(res.Notes) == 0 {
		t.Errorf("result %+v", res)
	}
	b, err := os.ReadFile(res.Out)
	if err != nil {
		t.Fatal(err)
	}
	if notes, bpm := readBack(t, b); len(notes) != len(res.Notes) || bpm != 100 {
		t.Errorf("%s: %d notes at %g BPM, want %d at 100", res.Out, len(notes), bpm, len(res.Notes))
	}
	line := res.String()
	if !strings.HasPrefix(line, dir+": ") || !strings.Contains(line, " (kick ") || !strings.HasSuffix(line, " at 100 BPM → "+res.Out) {
		t.Errorf("line %q", line)
	}
	kicks := 0
	for _, n := range res.Notes {
		if n.Stem == "kick" {
			kicks++
		}
	}
	if kicks != len(want["kick"]) || !strings.Contains(line, "(kick "+strconv.Itoa(kicks)+", snare ") {
		t.Errorf("line %q: want the %d kicks first", line, len(want["kick"]))
	}

	bad := filepath.Join(dir, "no-such-dir", "x.mid")
	if _, err := TranscribeDir(dir, DirOptions{BPM: 100, Out: bad}); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("left %s behind", e.Name())
		}
	}
	if _, err := TranscribeDir(filepath.Join(dir, "missing"), DirOptions{BPM: 100}); err == nil {
		t.Error("a missing folder transcribed")
	}
}
