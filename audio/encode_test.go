package audio

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEncodeRoundTrip writes every output encoding and decodes it again,
// with our decoder and, when installed, with sox and flac.
func TestEncodeRoundTrip(t *testing.T) {
	dir := t.TempDir()
	const rate = 48000
	sig := testSignal(2, 10007, rate, 0.95) // not a multiple of the FLAC block size
	for _, tc := range []struct {
		enc Encoding
		tol float64
	}{
		{Encoding{"wav", 16}, 0.5 / 32768},
		{Encoding{"wav", 24}, 0.5 / 8388608},
		{Encoding{"wav", 32}, 0},
		{Encoding{"flac", 16}, 0.5 / 32768},
		{Encoding{"flac", 24}, 0.5 / 8388608},
	} {
		t.Run(tc.enc.String(), func(t *testing.T) {
			p := filepath.Join(dir, "out."+tc.enc.Format)
			clipped, err := WriteFile(p, &Buffer{SampleRate: rate, Data: sig}, tc.enc)
			if err != nil {
				t.Fatal(err)
			}
			if clipped != 0 {
				t.Errorf("clipped %d", clipped)
			}
			b, info, err := DecodeFile(p)
			if err != nil {
				t.Fatal(err)
			}
			want := Info{tc.enc.Format, rate, 2, tc.enc.BitDepth, tc.enc.BitDepth == 32, 10007}
			if info != want {
				t.Errorf("info %+v, want %+v", info, want)
			}
			if d := maxAbsDiff(b.Data, sig); d > tc.tol*1.0001 || b.Frames() != 10007 {
				t.Errorf("%d frames, max error %g > %g", b.Frames(), d, tc.tol)
			}
			leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
			if len(leftovers) > 0 {
				t.Errorf("temporary files left: %v", leftovers)
			}
		})
	}
}

// TestEncodeExternalTools checks that sox and the reference FLAC decoder
// accept our files (headers, sizes, StreamInfo MD5) and read the same samples.
func TestEncodeExternalTools(t *testing.T) {
	requireTool(t, "sox")
	dir := t.TempDir()
	sig := testSignal(2, 20001, 44100, 0.9)
	for _, enc := range []Encoding{{"wav", 16}, {"wav", 24}, {"wav", 32}, {"flac", 16}, {"flac", 24}} {
		t.Run(enc.String(), func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(enc.String(), "/", "-")+"."+enc.Format)
			if _, err := WriteFile(p, &Buffer{SampleRate: 44100, Data: sig}, enc); err != nil {
				t.Fatal(err)
			}
			if enc.Format == "flac" {
				// -t decodes and verifies the MD5 in StreamInfo.
				runTool(t, "flac", "-s", "-t", p)
			}
			// sox re-encodes as float WAV; our decoder reads that back.
			q := p + ".sox.wav"
			runTool(t, "sox", p, "-e", "floating-point", "-b", "32", q)
			a, _, err := DecodeFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b, _, err := DecodeFile(q)
			if err != nil {
				t.Fatal(err)
			}
			if a.Frames() != b.Frames() || maxAbsDiff(a.Data, b.Data) > 1e-7 {
				t.Errorf("sox reads %d frames, max diff %g", b.Frames(), maxAbsDiff(a.Data, b.Data))
			}
		})
	}
}

// TestEncodeClipping checks that integer output clips (never wraps) and
// counts what it clipped.
func TestEncodeClipping(t *testing.T) {
	dir := t.TempDir()
	in := []float32{0, 1, -1, 1.5, -1.5, 0.999, float32(math.NaN()), 2e9, -2e9}
	// +1 maps to the largest integer without counting; NaN counts.
	wantClipped := int64(5)
	for _, enc := range []Encoding{{"wav", 16}, {"wav", 24}, {"flac", 16}, {"flac", 24}} {
		p := filepath.Join(dir, "clip."+enc.Format)
		w, err := Create(p, 8000, 1, enc)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write([][]float32{in}); err != nil {
			t.Fatal(err)
		}
		if w.Clipped() != wantClipped {
			t.Errorf("%v: Clipped() = %d, want %d", enc, w.Clipped(), wantClipped)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		b, _, err := DecodeFile(p)
		if err != nil {
			t.Fatal(err)
		}
		top := float32(1 - math.Ldexp(1, 1-enc.BitDepth))
		want := []float32{0, top, -1, top, -1, b.Data[0][5], 0, top, -1}
		for i, v := range b.Data[0] {
			if v != want[i] {
				t.Errorf("%v: sample %d = %g, want %g", enc, i, v, want[i])
			}
		}
		if math.Abs(float64(b.Data[0][5])-0.999) > 1e-4 {
			t.Errorf("%v: 0.999 decoded as %g", enc, b.Data[0][5])
		}
	}
	// 32-bit float stores values beyond ±1 unchanged.
	p := filepath.Join(dir, "float.wav")
	c, err := WriteFile(p, &Buffer{SampleRate: 8000, Data: [][]float32{{1.5, -3}}}, Encoding{"wav", 32})
	if err != nil || c != 0 {
		t.Fatalf("clipped %d, %v", c, err)
	}
	b, _, _ := DecodeFile(p)
	if b.Data[0][0] != 1.5 || b.Data[0][1] != -3 {
		t.Errorf("float WAV changed samples: %v", b.Data[0])
	}
}

// TestAtomicWrite checks that nothing appears at the destination before
// Close, and that Abort and failures leave nothing behind.
func TestAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	sig := testSignal(2, 1000, 8000, 0.5)
	for _, format := range []string{"wav", "flac"} {
		p := filepath.Join(dir, "stem."+format)
		w, err := Create(p, 8000, 2, Encoding{format, 16})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(sig); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s: destination exists before Close", format)
		}
		if err := w.Abort(); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(sig); err == nil {
			t.Errorf("%s: Write after Abort succeeded", format)
		}
		if err := w.Close(); err == nil {
			t.Errorf("%s: Close after Abort succeeded", format)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s: files left after Abort: %v", format, entries)
		}

		// A write that fails (wrong channel layout is a caller error and
		// keeps the Writer usable; the 4 GiB WAV limit is not tested here).
		w, err = Create(p, 8000, 2, Encoding{format, 16})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(sig[:1]); err == nil {
			t.Errorf("%s: Write with 1 of 2 channels succeeded", format)
		}
		if err := w.Write(sig); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Abort(); err != nil {
			t.Fatal(err)
		}
		if b, _, err := DecodeFile(p); err != nil || b.Frames() != 1000 {
			t.Fatalf("%s: after Close: %v", format, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("%s: want only the output file, have %v", format, entries)
		}
		os.Remove(p)
	}
}

// TestCreateErrors checks that unusable destinations fail at Create with one
// line naming the file, and leave nothing behind.
func TestCreateErrors(t *testing.T) {
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path string
		enc  Encoding
		want string
	}{
		{filepath.Join(dir, "missing", "x.wav"), Encoding{"wav", 16}, "no such file or directory"},
		{dir, Encoding{"wav", 16}, "is a directory"},
		{filepath.Join(dir, "x.flac"), Encoding{"flac", 32}, "WAV only"},
		{filepath.Join(dir, "x.mp3"), Encoding{"mp3", 16}, "unsupported output format"},
		{filepath.Join(dir, "x.wav"), Encoding{"wav", 8}, "bit depth 8"},
	}
	if os.Geteuid() != 0 { // root can write anywhere
		cases = append(cases, struct {
			path string
			enc  Encoding
			want string
		}{filepath.Join(ro, "x.wav"), Encoding{"wav", 16}, "permission denied"})
	}
	for _, tc := range cases {
		_, err := Create(tc.path, 44100, 2, tc.enc)
		checkOneLine(t, err, tc.path)
		if err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not say %q", tc.path, err, tc.want)
		}
	}
	if entries, _ := os.ReadDir(ro); len(entries) != 0 {
		t.Errorf("files left in read-only dir: %v", entries)
	}
}

// TestEncodeEmpty checks that a file with no frames is valid.
func TestEncodeEmpty(t *testing.T) {
	dir := t.TempDir()
	for _, enc := range []Encoding{{"wav", 16}, {"wav", 32}, {"flac", 24}} {
		p := filepath.Join(dir, "empty."+enc.Format)
		w, err := Create(p, 44100, 2, enc)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		b, info, err := DecodeFile(p)
		if err != nil {
			t.Fatalf("%v: %v", enc, err)
		}
		if b.Frames() != 0 || info.Channels != 2 {
			t.Errorf("%v: %d frames, %d channels", enc, b.Frames(), info.Channels)
		}
	}
}
