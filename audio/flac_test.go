package audio

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// TestFLACBadInputs: damaged FLAC files give one clear line, without panics
// or allocations driven by header claims.
func TestFLACBadInputs(t *testing.T) {
	p := filepath.Join(t.TempDir(), "good.flac")
	if _, err := WriteFile(p, &Buffer{SampleRate: 44100, Data: testSignal(2, 20000, 44100, 0.5)}, Encoding{"flac", 16}); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	mod := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	// StreamInfo body starts at byte 8; total samples are the low 36 bits
	// of the 8 bytes at 18.
	setSamples := func(b []byte, n uint64) {
		v := binary.BigEndian.Uint64(b[18:])
		binary.BigEndian.PutUint64(b[18:], v&^(1<<36-1)|n)
	}
	for _, tc := range []struct {
		name, want string
		file       []byte
	}{
		{"magic-only", "truncated FLAC stream", good[:4]},
		{"cut-in-streaminfo", "truncated FLAC stream", good[:20]},
		{"streaminfo-only", "truncated FLAC stream (0 of 20000 frames)", good[:42]},
		{"truncated-half", "truncated FLAC stream", good[:len(good)/2]},
		{"corrupt-frame", "invalid FLAC frame", mod(func(b []byte) { b[len(b)/2] ^= 0x55 })},
		{"lying-sample-count", "truncated FLAC stream (20000 of 68719476735 frames)", mod(func(b []byte) { setSamples(b, 1<<36-1) })},
		{"too-many-samples", "longer than its header says", mod(func(b []byte) { setSamples(b, 100) })},
		{"bad-bit-depth", "bad FLAC bit depth 1", mod(func(b []byte) { b[20] = 0; b[21] = 0 })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The decoded audio itself is 160 kB; headers must not add more.
			checkBadInput(t, tc.name, tc.file, tc.want, 8<<20)
		})
	}
}
