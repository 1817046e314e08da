package render

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLoadChooseList: kits naming samples they do not ship are told, an
// unknown kit name is an error, and the list shows every kit with its use.
func TestLoadChooseList(t *testing.T) {
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelInfo}))
	kits, err := LoadKits(filepath.Join("testdata", "kits"), logger)
	if err != nil || len(kits) != 3 {
		t.Fatalf("LoadKits = %d kits, %v", len(kits), err)
	}
	if !strings.Contains(log.String(), "sample files it does not ship") {
		t.Errorf("the missing samples were not told:\n%s", log.String())
	}
	if _, err := LoadKits(t.TempDir(), nil); err == nil {
		t.Error("a folder without kits loaded")
	}

	log.Reset()
	if _, err := ChooseKits(kits, []string{"No Such Kit"}, nil, "train", logger); err == nil || !strings.Contains(err.Error(), `"No Such Kit"`) {
		t.Errorf("an unknown kit: %v", err)
	}
	_, skipped, _ := Select(kits, nil, nil)
	var b bytes.Buffer
	if err := WriteKitList(&b, kits, skipped); err != nil {
		t.Fatal(err)
	}
	for _, k := range kits {
		if !strings.Contains(b.String(), filepath.Base(k.Dir)+" ") {
			t.Errorf("kit %s not listed:\n%s", filepath.Base(k.Dir), b.String())
		}
	}
	if n := strings.Count(b.String(), "left out: "); n != len(skipped) {
		t.Errorf("%d kits left out in the list, %d skipped:\n%s", n, len(skipped), b.String())
	}
}

// TestMIDIFolder: .mid and .midi files in any case, in subfolders too,
// sorted; other files are passed over.
func TestMIDIFolder(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.mid", "A.MID", "sub/c.midi", "notes.txt", "sub/d.wav"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := MIDIFolder(dir)
	want := []string{filepath.Join(dir, "A.MID"), filepath.Join(dir, "b.mid"), filepath.Join(dir, "sub", "c.midi")}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("MIDIFolder = %q, %v; want %q", got, err, want)
	}
	if _, err := MIDIFolder(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing folder")
	}
}
