package audio

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorType checks that errors are *Error values with a kind errors.Is
// recognises, and that their text is one line for the user: the quoted file
// name (a newline in it cannot start a second line), then the cause, with no
// package prefix.
func TestErrorType(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.wav")
	_, _, err := DecodeFile(missing)
	checkOneLine(t, err, missing)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%v: not fs.ErrNotExist", err)
	}
	if want := `"` + missing + `": open: no such file or directory`; err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}

	sig := testSignal(1, 100, 8000, 0.5)
	fmt16 := fmtBody(wavFormatPCM, 1, 8000, 16, false)
	good := buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmt16}, wavChunk{id: "data", body: pcmData(sig, wavFormatPCM, 16)})
	forged := "x.wav\n\"y.wav\": all is well"
	for _, tc := range []struct {
		name string
		file []byte
		kind error
		text string
	}{
		{"truncated.wav", good[:len(good)-10], ErrDamaged, `"truncated.wav": truncated WAV data chunk (header says 200 bytes, file has 190)`},
		{forged, good[:len(good)-10], ErrDamaged, `"x.wav\n\"y.wav\": all is well": truncated WAV data chunk (header says 200 bytes, file has 190)`},
		{"text.wav", []byte("not audio at all"), ErrUnsupported, `"text.wav": unrecognised audio format (not WAV, AIFF, FLAC or MP3)`},
		{"rate.wav", buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmtBody(wavFormatPCM, 1, 1, 16, false)}, wavChunk{id: "data", body: make([]byte, 100)}),
			ErrRate, `"rate.wav": sample rate 1 Hz is not supported (1000 to 768000 Hz are)`},
	} {
		_, _, err := decodeBytes(tc.file, tc.name)
		checkOneLine(t, err, tc.name)
		if !errors.Is(err, tc.kind) {
			t.Errorf("%q: error %q is not %v", tc.name, err, tc.kind)
		}
		if err != nil && err.Error() != tc.text {
			t.Errorf("error %q, want %q", err, tc.text)
		}
	}

	// Errors about no file: no name, no prefix.
	for _, tc := range []struct {
		err  error
		kind error
		text string
	}{
		{Encoding{"flac", 32}.Validate(), ErrUnsupported, "32-bit float output is WAV only, not FLAC"},
		{func() error { _, err := NewResampler(1, 44100, 2); return err }(), ErrRate,
			"sample rate 1 Hz is not supported (1000 to 768000 Hz are)"},
	} {
		var ae *Error
		if !errors.As(tc.err, &ae) || !errors.Is(tc.err, tc.kind) || tc.err.Error() != tc.text {
			t.Errorf("error %v (%T), want *Error %q of kind %v", tc.err, tc.err, tc.text, tc.kind)
		}
	}
	// An output encoding refused at Create names the file.
	_, err = Create(filepath.Join(dir, "out.flac"), 44100, 2, Encoding{"flac", 32})
	checkOneLine(t, err, filepath.Join(dir, "out.flac"))
	if !errors.Is(err, ErrUnsupported) || !strings.HasSuffix(err.Error(), ": 32-bit float output is WAV only, not FLAC") {
		t.Errorf("Create: error %q", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left behind: %v", entries)
	}
}
