package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestWAVFormats decodes hand-built files in every supported sample format
// and checks the samples exactly (the test encodes with the same scaling).
func TestWAVFormats(t *testing.T) {
	const rate, frames = 22050, 1000
	for _, tc := range []struct {
		name      string
		tag, bits int
		ext       bool // WAVE_FORMAT_EXTENSIBLE
		valid     int
		channels  int
		tol       float64
	}{
		{"pcm8", wavFormatPCM, 8, false, 0, 2, 0.5 / 128},
		{"pcm16", wavFormatPCM, 16, false, 0, 2, 0.5 / 32767},
		{"pcm24", wavFormatPCM, 24, false, 0, 1, 0.5 / 8388607},
		{"pcm32", wavFormatPCM, 32, false, 0, 3, 1e-7},
		{"float32", wavFormatFloat, 32, false, 0, 2, 0},
		{"float64", wavFormatFloat, 64, false, 0, 2, 1e-7},
		{"ext-pcm16", wavFormatPCM, 16, true, 16, 2, 0.5 / 32767},
		{"ext-pcm24-valid20", wavFormatPCM, 24, true, 20, 2, 0.5 / 8388607},
		{"ext-pcm32", wavFormatPCM, 32, true, 32, 2, 1e-7},
		{"ext-float32", wavFormatFloat, 32, true, 32, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig := testSignal(tc.channels, frames, rate, 0.9)
			fb := fmtBody(tc.tag, tc.channels, rate, tc.bits, tc.tag == wavFormatFloat)
			if tc.ext {
				fb = extensibleBody(tc.tag, tc.channels, rate, tc.bits, tc.valid)
			}
			file := buildRIFF("RIFF", wavChunk{id: "fmt ", body: fb}, wavChunk{id: "data", body: pcmData(sig, tc.tag, tc.bits)})
			b, info, err := decodeBytes(file, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			want := Info{Format: "wav", SampleRate: rate, Channels: tc.channels, BitDepth: tc.bits,
				Float: tc.tag == wavFormatFloat, Frames: frames}
			if info != want {
				t.Errorf("info %+v, want %+v", info, want)
			}
			if b.Frames() != frames || b.NumChannels() != tc.channels || b.SampleRate != rate {
				t.Fatalf("got %d frames × %d channels at %d Hz", b.Frames(), b.NumChannels(), b.SampleRate)
			}
			// The test writes v·(2^(n-1)-1); we decode by 2^(n-1).
			scale := 1.0
			if tc.tag == wavFormatPCM {
				full := math.Ldexp(1, tc.bits-1)
				scale = (full - 1) / full
			}
			for ch := range sig {
				for i := range sig[ch] {
					sig[ch][i] = float32(float64(sig[ch][i]) * scale)
				}
			}
			if d := maxAbsDiff(b.Data, sig); d > tc.tol+1e-7 {
				t.Errorf("max error %g, want ≤ %g", d, tc.tol)
			}
		})
	}
}

// TestWAVLayouts covers chunk layouts that real writers produce.
func TestWAVLayouts(t *testing.T) {
	sig := testSignal(2, 301, 8000, 0.5) // odd frame count × 2 ch × 1 byte → odd data size
	data8 := pcmData(sig, wavFormatPCM, 8)
	data16 := pcmData(sig, wavFormatPCM, 16)
	fmt8 := fmtBody(wavFormatPCM, 2, 8000, 8, false)
	fmt16 := fmtBody(wavFormatPCM, 2, 8000, 16, false)
	list := wavChunk{id: "LIST", body: append([]byte("INFOISFT"), []byte("\x05\x00\x00\x00test\x00")...)}
	ds64 := func(dataLen uint64) wavChunk {
		b := make([]byte, 28)
		binary.LittleEndian.PutUint64(b[8:], dataLen)
		binary.LittleEndian.PutUint64(b[16:], dataLen/4)
		return wavChunk{id: "ds64", body: b}
	}
	for _, tc := range []struct {
		name   string
		file   []byte
		frames int
	}{
		{"list-before-fmt", buildRIFF("RIFF", list, wavChunk{id: "fmt ", body: fmt16}, wavChunk{id: "data", body: data16}), 301},
		{"junk-fact-between", buildRIFF("RIFF", wavChunk{id: "JUNK", body: make([]byte, 28)},
			wavChunk{id: "fmt ", body: fmt16}, wavChunk{id: "fact", body: []byte{45, 1, 0, 0}},
			wavChunk{id: "odd!", body: []byte{1, 2, 3}}, wavChunk{id: "data", body: data16}), 301},
		{"odd-data-then-list", buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmt8}, wavChunk{id: "data", body: data8}, list), 301},
		{"fmt-18-and-40-bytes", buildRIFF("RIFF", wavChunk{id: "fmt ", body: append(fmtBody(wavFormatPCM, 2, 8000, 16, true), make([]byte, 22)...)},
			wavChunk{id: "data", body: data16}), 301},
		{"data-before-fmt", buildRIFF("RIFF", wavChunk{id: "data", body: data16}, wavChunk{id: "fmt ", body: fmt16}), 301},
		{"size-zero-streaming", buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmt16}, wavChunk{id: "data", body: data16, size: u32p(0)}), 301},
		{"size-ffffffff-streaming", buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmt16}, wavChunk{id: "data", body: data16, size: u32p(0xFFFFFFFF)}), 301},
		{"streaming-partial-last-frame", buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmt16}, wavChunk{id: "data", body: data16[:len(data16)-3], size: u32p(0)}), 300},
		{"rf64", buildRIFF("RF64", ds64(uint64(len(data16))), wavChunk{id: "fmt ", body: fmt16}, wavChunk{id: "data", body: data16, size: u32p(0xFFFFFFFF)}), 301},
		{"data-shorter-than-file", buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmt16}, wavChunk{id: "data", body: data16, size: u32p(400)}), 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, info, err := decodeBytes(tc.file, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if b.Frames() != tc.frames || info.Frames != int64(tc.frames) {
				t.Fatalf("got %d frames (info %d), want %d", b.Frames(), info.Frames, tc.frames)
			}
			tol := 1.0 / 32767
			if info.BitDepth == 8 {
				tol = 1.0 / 127
			}
			for ch := range sig {
				sig[ch] = sig[ch][:tc.frames]
			}
			if d := maxAbsDiff(b.Data, sig); d > tol {
				t.Errorf("max error %g", d)
			}
			sig = testSignal(2, 301, 8000, 0.5)
		})
	}
}

// TestWAVBadInputs checks that damaged files give one clear line and never a
// panic, a hang or a large allocation.
func TestWAVBadInputs(t *testing.T) {
	sig := testSignal(2, 100, 8000, 0.5)
	data := pcmData(sig, wavFormatPCM, 16)
	fmt16 := fmtBody(wavFormatPCM, 2, 8000, 16, false)
	good := buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmt16}, wavChunk{id: "data", body: data})
	for _, tc := range []struct {
		name, want string
		file       []byte
	}{
		{"empty", "empty file", nil},
		{"riff-only", "truncated WAV header", []byte("RIFF")},
		{"header-only", "truncated WAV header", good[:12]},
		{"truncated-data", "truncated WAV data chunk", good[:len(good)-10]},
		{"lying-size-2^31-frames", "truncated WAV data chunk", buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmt16},
			wavChunk{id: "data", body: data, size: u32p(0xFFFFFFF0)})},
		{"truncated-fmt", "truncated WAV fmt chunk", good[:12+8+10]},
		{"no-fmt", "no fmt chunk", buildRIFF("RIFF", wavChunk{id: "data", body: data, size: u32p(0)})},
		{"no-data", "no data chunk", buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmt16})},
		{"fmt-too-short", "fmt chunk too short", buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmt16[:14]}, wavChunk{id: "data", body: data})},
		{"adpcm", "Microsoft ADPCM WAV (format tag 0x0002) is not supported", buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmtBody(2, 2, 8000, 4, false)}, wavChunk{id: "data", body: data})},
		{"ima-adpcm-extensible", "IMA ADPCM WAV (format tag 0x0011) is not supported", buildRIFF("RIFF", wavChunk{id: "fmt ", body: extensibleBody(0x11, 2, 8000, 4, 4)}, wavChunk{id: "data", body: data})},
		{"unknown-tag", "unsupported WAV format tag 0x1234", buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmtBody(0x1234, 2, 8000, 16, false)}, wavChunk{id: "data", body: data})},
		{"g711-16bit", "unsupported G.711 WAV bit depth 16", buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmtBody(wavFormatALaw, 2, 8000, 16, false)}, wavChunk{id: "data", body: data})},
		{"packed-12", "packed 12-bit WAV PCM is not supported", buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmtBody(1, 2, 8000, 12, false)}, wavChunk{id: "data", body: data})},
		{"bits-40", "unsupported WAV PCM bit depth 40", buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmtBody(1, 2, 8000, 40, false)}, wavChunk{id: "data", body: data})},
		{"channels-0", "bad WAV channel count 0", buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmtBody(1, 0, 8000, 16, false)}, wavChunk{id: "data", body: data})},
		{"rate-0", "bad WAV sample rate 0", buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmtBody(1, 2, 0, 16, false)}, wavChunk{id: "data", body: data})},
		{"ext-bad-guid", "unsupported WAVE_FORMAT_EXTENSIBLE subformat", buildRIFF("RIFF",
			wavChunk{id: "fmt ", body: append(extensibleBody(1, 2, 8000, 16, 16)[:39], 0)}, wavChunk{id: "data", body: data})},
		{"not-wave", "not WAVE", append([]byte("RIFF\x04\x00\x00\x00AVI "), data...)},
		{"text", "unrecognised audio format", []byte("hello, this is not audio at all\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkBadInput(t, tc.name, tc.file, tc.want, 1<<20)
		})
	}
}

// TestReaderProtocol checks the io.Reader-like contract: short dst, n > 0
// with nil error, then 0, io.EOF, and repeated EOF.
func TestReaderProtocol(t *testing.T) {
	sig := testSignal(2, 1000, 8000, 0.5)
	file := buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmtBody(wavFormatFloat, 2, 8000, 32, true)},
		wavChunk{id: "data", body: pcmData(sig, wavFormatFloat, 32)})
	r, err := NewReader(bytes.NewReader(file), "mem")
	if err != nil {
		t.Fatal(err)
	}
	dst := [][]float32{make([]float32, 333), make([]float32, 333)}
	total := 0
	for {
		n, err := r.Read(dst)
		if err == io.EOF {
			if n != 0 {
				t.Fatalf("EOF with n = %d", n)
			}
			break
		}
		if err != nil || n == 0 {
			t.Fatalf("Read = %d, %v", n, err)
		}
		for i := 0; i < n; i++ {
			if dst[0][i] != sig[0][total+i] {
				t.Fatalf("frame %d differs", total+i)
			}
		}
		total += n
	}
	if total != 1000 {
		t.Errorf("read %d frames", total)
	}
	if n, err := r.Read(dst); n != 0 || err != io.EOF {
		t.Errorf("Read after EOF = %d, %v", n, err)
	}
	if _, err := r.Read(dst[:1]); err == nil {
		t.Errorf("Read with wrong channel count succeeded")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestOpenSniffsContent checks that the extension does not matter and that
// errors name the file.
func TestOpenSniffsContent(t *testing.T) {
	dir := t.TempDir()
	sig := testSignal(1, 500, 16000, 0.5)
	file := buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmtBody(wavFormatPCM, 1, 16000, 16, false)},
		wavChunk{id: "data", body: pcmData(sig, wavFormatPCM, 16)})
	p := filepath.Join(dir, "actually-a-wav.mp3")
	if err := os.WriteFile(p, file, 0o644); err != nil {
		t.Fatal(err)
	}
	b, info, err := DecodeFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if info.Format != "wav" || b.Frames() != 500 {
		t.Errorf("got %+v, %d frames", info, b.Frames())
	}
	_, _, err = DecodeFile(filepath.Join(dir, "missing.wav"))
	checkOneLine(t, err, filepath.Join(dir, "missing.wav"))
	_, _, err = DecodeFile(dir)
	checkOneLine(t, err, dir)
}

// TestStereo checks channel adaptation.
func TestStereo(t *testing.T) {
	for _, channels := range []int{1, 2, 3, 6} {
		sig := testSignal(channels, 20000, 8000, 0.5)
		file := buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmtBody(wavFormatFloat, channels, 8000, 32, true)},
			wavChunk{id: "data", body: pcmData(sig, wavFormatFloat, 32)})
		r, err := NewReader(bytes.NewReader(file), "mem")
		if err != nil {
			t.Fatal(err)
		}
		s := Stereo(r)
		if s.Info().Channels != 2 {
			t.Fatalf("%d channels: Stereo has %d", channels, s.Info().Channels)
		}
		b, err := ReadAll(s)
		if err != nil {
			t.Fatal(err)
		}
		want := [][]float32{sig[0], sig[0]}
		if channels > 1 {
			want[1] = sig[1]
		}
		if b.Frames() != 20000 || maxAbsDiff(b.Data, want) != 0 {
			t.Errorf("%d channels: wrong output", channels)
		}
	}
}

// TestWAVNonFinite checks that a float WAV holding NaN or an infinity is
// refused with one line naming the time of the first bad sample, as a
// *SampleError inside an ErrDamaged *Error, instead of decoding to audio
// that silences seconds of every stem downstream.
func TestWAVNonFinite(t *testing.T) {
	const rate, frames = 44100, 70000
	for _, tc := range []struct {
		name       string
		bits       int
		frame, ch  int
		value      float64
		text       string
		otherFrame int // a later bad sample that must not be the one named
	}{
		{"nan32", 32, 54419, 1, math.NaN(), "sample 54419 of channel 2 (at 0:01.233) is NaN; the file is damaged", 60000},
		{"inf32", 32, 9000, 0, math.Inf(1), "sample 9000 of channel 1 (at 0:00.204) is +Inf; the file is damaged", 9001},
		{"neginf32-first-frame", 32, 0, 1, math.Inf(-1), "sample 0 of channel 2 (at 0:00.000) is -Inf; the file is damaged", 1},
		{"nan64", 64, 8192, 0, math.NaN(), "sample 8192 of channel 1 (at 0:00.185) is NaN; the file is damaged", 69999},
		{"huge64", 64, 69999, 1, 1e300, "sample 69999 of channel 2 (at 0:01.587) is 1e+300, too large for audio; the file is damaged", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig := testSignal(2, frames, rate, 0.5)
			data := pcmData(sig, wavFormatFloat, tc.bits)
			put := func(frame, ch int, v float64) {
				off := (frame*2 + ch) * tc.bits / 8
				if tc.bits == 32 {
					binary.LittleEndian.PutUint32(data[off:], math.Float32bits(float32(v)))
				} else {
					binary.LittleEndian.PutUint64(data[off:], math.Float64bits(v))
				}
			}
			put(tc.frame, tc.ch, tc.value)
			if tc.otherFrame >= 0 {
				put(tc.otherFrame, 1-tc.ch, math.NaN())
			}
			file := buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmtBody(wavFormatFloat, 2, rate, tc.bits, true)},
				wavChunk{id: "data", body: data})
			name := tc.name + ".wav"
			b, _, err := decodeBytes(file, name)
			checkOneLine(t, err, name)
			if err == nil {
				t.Fatal("decoded without error")
			}
			if want := strconv.Quote(name) + ": " + tc.text; err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
			var se *SampleError
			if !errors.Is(err, ErrDamaged) || !errors.As(err, &se) {
				t.Fatalf("error %v is not an ErrDamaged *SampleError", err)
			}
			if se.Frame != int64(tc.frame) || se.Channel != tc.ch || se.Rate != rate {
				t.Errorf("SampleError %+v, want frame %d channel %d", se, tc.frame, tc.ch)
			}
			// Everything before the bad sample was delivered, nothing after.
			if b.Frames() != tc.frame {
				t.Errorf("delivered %d frames before the error, want %d", b.Frames(), tc.frame)
			}
		})
	}
}
