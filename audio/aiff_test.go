package audio

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"testing"
)

// aiffComm builds a COMM chunk body; comp "" makes a plain AIFF one (18
// bytes), anything else an AIFF-C one with that compression type.
func aiffComm(channels int, frames uint32, bits int, rate float64, comp string) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint16(b, uint16(channels))
	b = binary.BigEndian.AppendUint32(b, frames)
	b = binary.BigEndian.AppendUint16(b, uint16(bits))
	b = append(b, extended80(rate)...)
	if comp != "" {
		b = append(b, comp...)
		b = append(b, 0, 0) // empty Pascal string, padded to even
	}
	return b
}

// extended80 encodes v >= 0 as an IEEE 754 80-bit extended float.
func extended80(v float64) []byte {
	b := make([]byte, 10)
	if v == 0 {
		return b
	}
	frac, exp := math.Frexp(v) // v = frac × 2^exp, frac in [0.5, 1)
	binary.BigEndian.PutUint16(b, uint16(exp-1+16383))
	binary.BigEndian.PutUint64(b[2:], uint64(frac*(1<<64)))
	return b
}

// ssnd builds an SSND chunk body: offset, block size 0, then the offset's
// bytes of padding and data.
func ssnd(offset int, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(offset))
	b = binary.BigEndian.AppendUint32(b, 0)
	b = append(b, make([]byte, offset)...)
	return append(b, data...)
}

// buildFORM builds an IEEE FORM file of the given type ("AIFF", "AIFC")
// from chunks; a chunk's size, when set, is written instead of its length.
func buildFORM(kind string, chunks ...wavChunk) []byte {
	body := []byte(kind)
	for _, c := range chunks {
		body = append(body, c.id...)
		n := uint32(len(c.body))
		if c.size != nil {
			n = *c.size
		}
		body = binary.BigEndian.AppendUint32(body, n)
		body = append(body, c.body...)
		if len(c.body)%2 == 1 {
			body = append(body, 0)
		}
	}
	return append(binary.BigEndian.AppendUint32([]byte("FORM"), uint32(len(body))), body...)
}

// aiffSamples stores the integers v (interleaved, full scale 2^(8w-1) for
// w-byte samples) as comp lays them out.
func aiffSamples(v []int32, w int, littleEndian bool) []byte {
	var out []byte
	for _, x := range v {
		b := binary.BigEndian.AppendUint32(nil, uint32(x)<<(32-8*w))[:w]
		if littleEndian {
			for i, j := 0, w-1; i < j; i, j = i+1, j-1 {
				b[i], b[j] = b[j], b[i]
			}
		}
		out = append(out, b...)
	}
	return out
}

// TestAIFFFormats decodes every stored sample layout, exactly.
func TestAIFFFormats(t *testing.T) {
	ints := func(bits int) []int32 {
		full := int64(1) << (bits - 1)
		var s []int32
		for _, v := range []int64{0, full - 1, -full, full / 2, -full / 4, 1, -1, 0, 3, -3} {
			s = append(s, int32(v))
		}
		return s
	}
	scaled := func(v []int32, bits int) []float32 {
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(float64(x) / math.Ldexp(1, bits-1))
		}
		return out
	}
	f32 := []float32{0, 0.5, -0.25, 1, -1, 1e-7, 0.75, -0.125}
	var fl32, fl64 []byte
	for _, v := range f32 {
		fl32 = binary.BigEndian.AppendUint32(fl32, math.Float32bits(v))
		fl64 = binary.BigEndian.AppendUint64(fl64, math.Float64bits(float64(v)))
	}
	// G.711 codes 0x00..0x07 with the tables as the reference, which
	// TestG711 checks against the standard.
	codes := []byte{0x00, 0x55, 0x80, 0xd5, 0xff, 0x7f, 0x2a, 0xaa}
	tableOf := func(tab *[256]float32) []float32 {
		out := make([]float32, len(codes))
		for i, c := range codes {
			out[i] = tab[c]
		}
		return out
	}
	raw := []byte{0, 64, 128, 192, 255, 127}
	rawWant := []float32{-1, -0.5, 0, 0.5, 127.0 / 128, -1.0 / 128}

	for _, tc := range []struct {
		name     string
		kind     string // AIFF or AIFC
		comp     string
		channels int
		bits     int
		rate     float64
		data     []byte
		want     []float32 // interleaved
		info     Info
	}{
		{"aiff-16-stereo", "AIFF", "", 2, 16, 44100, aiffSamples(ints(16), 2, false), scaled(ints(16), 16), Info{"aiff", 44100, 2, 16, false, 5}},
		{"aiff-24-mono", "AIFF", "", 1, 24, 48000, aiffSamples(ints(24), 3, false), scaled(ints(24), 24), Info{"aiff", 48000, 1, 24, false, 10}},
		{"aiff-8", "AIFF", "", 1, 8, 22050, aiffSamples(ints(8), 1, false), scaled(ints(8), 8), Info{"aiff", 22050, 1, 8, false, 10}},
		{"aiff-32", "AIFF", "", 2, 32, 96000, aiffSamples(ints(32), 4, false), scaled(ints(32), 32), Info{"aiff", 96000, 2, 32, false, 5}},
		// 12 bits in 16, left-justified: decoded as the container.
		{"aiff-12-in-16", "AIFF", "", 2, 12, 8000, aiffSamples(ints(16), 2, false), scaled(ints(16), 16), Info{"aiff", 8000, 2, 12, false, 5}},
		{"aifc-none-32", "AIFC", "NONE", 2, 32, 96000, aiffSamples(ints(32), 4, false), scaled(ints(32), 32), Info{"aifc", 96000, 2, 32, false, 5}},
		{"aifc-twos-16", "AIFC", "twos", 2, 16, 44100, aiffSamples(ints(16), 2, false), scaled(ints(16), 16), Info{"aifc", 44100, 2, 16, false, 5}},
		{"aifc-in24", "AIFC", "in24", 2, 24, 44100, aiffSamples(ints(24), 3, false), scaled(ints(24), 24), Info{"aifc", 44100, 2, 24, false, 5}},
		{"aifc-sowt-16", "AIFC", "sowt", 2, 16, 44100, aiffSamples(ints(16), 2, true), scaled(ints(16), 16), Info{"aifc", 44100, 2, 16, false, 5}},
		{"aifc-sowt-24", "AIFC", "sowt", 1, 24, 44100, aiffSamples(ints(24), 3, true), scaled(ints(24), 24), Info{"aifc", 44100, 1, 24, false, 10}},
		{"aifc-23ni", "AIFC", "23ni", 1, 24, 44100, aiffSamples(ints(24), 3, true), scaled(ints(24), 24), Info{"aifc", 44100, 1, 24, false, 10}},
		{"aifc-raw", "AIFC", "raw ", 2, 8, 11025, raw, rawWant, Info{"aifc", 11025, 2, 8, false, 3}},
		{"aifc-fl32", "AIFC", "fl32", 2, 32, 44100, fl32, f32, Info{"aifc", 44100, 2, 32, true, 4}},
		{"aifc-FL32", "AIFC", "FL32", 1, 32, 44100, fl32, f32, Info{"aifc", 44100, 1, 32, true, 8}},
		{"aifc-fl64", "AIFC", "fl64", 2, 64, 44100, fl64, f32, Info{"aifc", 44100, 2, 64, true, 4}},
		{"aifc-FL64", "AIFC", "FL64", 2, 64, 44100, fl64, f32, Info{"aifc", 44100, 2, 64, true, 4}},
		{"aifc-ulaw", "AIFC", "ulaw", 2, 16, 8000, codes, tableOf(&muLaw), Info{"aifc", 8000, 2, 8, false, 4}},
		{"aifc-alaw", "AIFC", "alaw", 1, 16, 8000, codes, tableOf(&aLaw), Info{"aifc", 8000, 1, 8, false, 8}},
		{"aifc-ULAW", "AIFC", "ULAW", 1, 16, 8000, codes, tableOf(&muLaw), Info{"aifc", 8000, 1, 8, false, 8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frames := len(tc.want) / tc.channels
			var comm []byte
			if tc.kind == "AIFF" {
				comm = aiffComm(tc.channels, uint32(frames), tc.bits, tc.rate, "")
			} else {
				comm = aiffComm(tc.channels, uint32(frames), tc.bits, tc.rate, tc.comp)
			}
			// Chunks around and between, an odd one padded, SSND with
			// an offset: what real writers produce.
			file := buildFORM(tc.kind, wavChunk{id: "FVER", body: []byte{0xa2, 0x80, 0x51, 0x40}},
				wavChunk{id: "NAME", body: []byte("odd")}, wavChunk{id: "COMM", body: comm},
				wavChunk{id: "SSND", body: ssnd(4, tc.data)}, wavChunk{id: "ANNO", body: []byte("after")})
			b, info, err := decodeBytes(file, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if info != tc.info {
				t.Errorf("info %+v, want %+v", info, tc.info)
			}
			if b.SampleRate != int(tc.rate) || b.NumChannels() != tc.channels || b.Frames() != frames {
				t.Fatalf("%d Hz, %d channels, %d frames", b.SampleRate, b.NumChannels(), b.Frames())
			}
			for i, w := range tc.want {
				if got := b.Data[i%tc.channels][i/tc.channels]; got != w {
					t.Errorf("sample %d = %v, want %v", i, got, w)
				}
			}
		})
	}
}

// TestAIFFChunkOrder: SSND before COMM, as the format allows.
func TestAIFFChunkOrder(t *testing.T) {
	data := aiffSamples([]int32{100, -100, 200, -200}, 2, false)
	file := buildFORM("AIFF", wavChunk{id: "SSND", body: ssnd(0, data)},
		wavChunk{id: "COMM", body: aiffComm(2, 2, 16, 44100, "")})
	b, _, err := decodeBytes(file, "x.aiff")
	if err != nil {
		t.Fatal(err)
	}
	if b.Frames() != 2 || b.Data[1][1] != -200.0/32768 {
		t.Errorf("got %v", b.Data)
	}
}

// TestAIFFBadInputs: damaged, lying and unsupported AIFF files are one-line
// errors of the right kind, and a header claiming gigabytes costs nothing.
func TestAIFFBadInputs(t *testing.T) {
	data := aiffSamples(make([]int32, 200), 2, false) // 100 stereo frames
	comm := aiffComm(2, 100, 16, 8000, "")
	good := buildFORM("AIFF", wavChunk{id: "COMM", body: comm}, wavChunk{id: "SSND", body: ssnd(0, data)})
	withComm := func(c []byte) []byte {
		return buildFORM("AIFF", wavChunk{id: "COMM", body: c}, wavChunk{id: "SSND", body: ssnd(0, data)})
	}
	aifc := func(comp string) []byte {
		return buildFORM("AIFC", wavChunk{id: "COMM", body: aiffComm(2, 100, 16, 8000, comp)}, wavChunk{id: "SSND", body: ssnd(0, data)})
	}
	badRate := append([]byte(nil), comm...)
	copy(badRate[8:], []byte{0x7f, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0}) // infinity
	negRate := append([]byte(nil), comm...)
	negRate[8] |= 0x80
	for _, tc := range []struct {
		name, want string
		kind       error
		file       []byte
	}{
		{"form-only", "truncated AIFF header", ErrDamaged, []byte("FORM")},
		{"header-only", "AIFF file has no COMM chunk", ErrDamaged, good[:12]},
		{"truncated-comm", "truncated AIFF COMM chunk", ErrDamaged, good[:12+8+10]},
		{"comm-too-short", "AIFF COMM chunk too short (16 bytes)", ErrDamaged, withComm(comm[:16])},
		{"aifc-comm-without-type", "AIFF-C COMM chunk too short (18 bytes)", ErrDamaged,
			buildFORM("AIFC", wavChunk{id: "COMM", body: comm}, wavChunk{id: "SSND", body: ssnd(0, data)})},
		{"no-ssnd", "AIFF file has no SSND chunk", ErrDamaged, buildFORM("AIFF", wavChunk{id: "COMM", body: comm})},
		{"truncated-ssnd-header", "truncated AIFF SSND chunk", ErrDamaged, good[:12+8+18+8+4]},
		{"truncated-data", "truncated AIFF sound data (COMM says 100 frames, the file holds 97)", ErrDamaged, good[:len(good)-10]},
		{"ssnd-offset-past-chunk", "AIFF SSND offset 4294967295 is past its chunk", ErrDamaged,
			buildFORM("AIFF", wavChunk{id: "COMM", body: comm},
				wavChunk{id: "SSND", body: append(binary.BigEndian.AppendUint32(nil, 0xFFFFFFFF), make([]byte, 4)...)})},
		{"ssnd-smaller-than-comm", "AIFF SSND chunk holds 50 frames, COMM says 100", ErrDamaged,
			buildFORM("AIFF", wavChunk{id: "COMM", body: comm}, wavChunk{id: "SSND", body: ssnd(0, data[:200])}, wavChunk{id: "ANNO", body: data[200:]})},
		// 2^32-1 frames of 1024 channels of 32-bit: 16 TiB claimed by a
		// file of a few hundred bytes.
		{"huge-frames-and-channels", "truncated AIFF sound data", ErrDamaged, withComm(aiffComm(1024, 0xFFFFFFFF, 32, 8000, ""))},
		{"huge-ssnd-size", "truncated AIFF sound data", ErrDamaged,
			buildFORM("AIFF", wavChunk{id: "COMM", body: aiffComm(2, 0xFFFFFFFF, 16, 8000, "")},
				wavChunk{id: "SSND", body: ssnd(0, data), size: u32p(0xFFFFFFF0)})},
		{"channels-0", "bad AIFF channel count 0", ErrDamaged, withComm(aiffComm(0, 100, 16, 8000, ""))},
		{"channels-65535", "bad AIFF channel count 65535", ErrDamaged, withComm(aiffComm(65535, 100, 16, 8000, ""))},
		{"rate-0", "sample rate 0 Hz is not supported", ErrRate, withComm(aiffComm(2, 100, 16, 0, ""))},
		{"rate-1e30", "sample rate 9223372036854775807 Hz is not supported", ErrRate, withComm(aiffComm(2, 100, 16, 1e30, ""))},
		{"rate-inf", "bad AIFF sample rate", ErrDamaged, withComm(badRate)},
		{"rate-negative", "bad AIFF sample rate", ErrDamaged, withComm(negRate)},
		{"bits-0", "unsupported AIFF PCM bit depth 0", ErrUnsupported, withComm(aiffComm(2, 100, 0, 8000, ""))},
		{"bits-40", "unsupported AIFF PCM bit depth 40", ErrUnsupported, withComm(aiffComm(2, 100, 40, 8000, ""))},
		{"ima4", `IMA ADPCM AIFF-C (compression type "ima4") is not supported`, ErrUnsupported, aifc("ima4")},
		{"mace", `MACE 6:1 AIFF-C (compression type "MAC6") is not supported`, ErrUnsupported, aifc("MAC6")},
		{"unknown-type", `unsupported AIFF-C compression type "\x00\nzz"`, ErrUnsupported, aifc("\x00\nzz")},
		{"not-aiff", "IFF file is not AIFF audio", ErrUnsupported, append([]byte("FORM\x00\x00\x00\x04ILBM"), data...)},
		{"form-short", "truncated AIFF header", ErrDamaged, []byte("FORM\x00\x00\x00\x04AI")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkBadInput(t, tc.name, tc.file, tc.want, 1<<20)
			if _, _, err := decodeBytes(tc.file, tc.name); !errors.Is(err, tc.kind) {
				t.Errorf("error %v is not %v", err, tc.kind)
			}
		})
	}
}

// TestAIFFEmpty: a file of no sample frames (SSND may then be absent) opens
// and ends at once, as an empty WAV does.
func TestAIFFEmpty(t *testing.T) {
	file := buildFORM("AIFF", wavChunk{id: "COMM", body: aiffComm(1, 0, 16, 44100, "")})
	b, info, err := decodeBytes(file, "empty.aiff")
	if err != nil || info.Frames != 0 || b.Frames() != 0 {
		t.Fatalf("%v, %+v, %d frames", err, info, b.Frames())
	}
}

// TestAIFFNonFinite: a NaN or infinite float sample is an ErrDamaged
// *SampleError naming it, after the frames before it, as in WAV.
func TestAIFFNonFinite(t *testing.T) {
	const rate, frames = 44100, 20000
	for _, tc := range []struct {
		name      string
		comp      string
		frame, ch int
		value     float64
		text      string
	}{
		{"nan32", "fl32", 12345, 1, math.NaN(), "sample 12345 of channel 2 (at 0:00.279) is NaN; the file is damaged"},
		{"inf64", "fl64", 9000, 0, math.Inf(-1), "sample 9000 of channel 1 (at 0:00.204) is -Inf; the file is damaged"},
		{"huge64", "fl64", 0, 1, 1e300, "sample 0 of channel 2 (at 0:00.000) is 1e+300, too large for audio; the file is damaged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := 4
			if tc.comp == "fl64" {
				w = 8
			}
			data := make([]byte, frames*2*w)
			off := (tc.frame*2 + tc.ch) * w
			if w == 4 {
				binary.BigEndian.PutUint32(data[off:], math.Float32bits(float32(tc.value)))
			} else {
				binary.BigEndian.PutUint64(data[off:], math.Float64bits(tc.value))
			}
			file := buildFORM("AIFC", wavChunk{id: "COMM", body: aiffComm(2, frames, 8*w, rate, tc.comp)},
				wavChunk{id: "SSND", body: ssnd(0, data)})
			name := tc.name + ".aifc"
			b, _, err := decodeBytes(file, name)
			checkOneLine(t, err, name)
			if want := strconv.Quote(name) + ": " + tc.text; err == nil || err.Error() != want {
				t.Fatalf("error %v, want %q", err, want)
			}
			var se *SampleError
			if !errors.Is(err, ErrDamaged) || !errors.As(err, &se) || se.Frame != int64(tc.frame) || se.Channel != tc.ch {
				t.Errorf("error %v: not the ErrDamaged *SampleError of frame %d channel %d", err, tc.frame, tc.ch)
			}
			if b.Frames() != tc.frame {
				t.Errorf("delivered %d frames before the error, want %d", b.Frames(), tc.frame)
			}
		})
	}
}

// TestAIFFStreams reads a file longer than a block through short reads,
// checking the Reader contract as the fuzz target does.
func TestAIFFStreams(t *testing.T) {
	sig := testSignal(2, 3*blockFrames+17, 44100, 0.5)
	var v []int32
	for i := range sig[0] {
		for ch := range sig {
			v = append(v, int32(math.Round(float64(sig[ch][i])*32767)))
		}
	}
	file := buildFORM("AIFC", wavChunk{id: "COMM", body: aiffComm(2, uint32(len(sig[0])), 16, 44100, "sowt")},
		wavChunk{id: "SSND", body: ssnd(0, aiffSamples(v, 2, true))})
	fuzzDecode(t, file)
	b, _, err := decodeBytes(file, "long.aifc")
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(b.Data, sig); d > 1.01/32768 {
		t.Errorf("max error %g", d)
	}
}

func FuzzDecodeAIFF(f *testing.F) {
	data := aiffSamples([]int32{1, -2, 300, -400, 5000, -6000, 7, 8}, 2, false)
	f.Add(buildFORM("AIFF", wavChunk{id: "COMM", body: aiffComm(2, 4, 16, 8000, "")}, wavChunk{id: "SSND", body: ssnd(0, data)}))
	f.Add(buildFORM("AIFC", wavChunk{id: "SSND", body: ssnd(2, data)}, wavChunk{id: "COMM", body: aiffComm(1, 8, 16, 44100, "sowt")}))
	f.Add(buildFORM("AIFC", wavChunk{id: "COMM", body: aiffComm(2, 2, 32, 48000, "fl32")}, wavChunk{id: "SSND", body: ssnd(0, data)}))
	f.Add(buildFORM("AIFC", wavChunk{id: "COMM", body: aiffComm(1, 16, 16, 8000, "ulaw")}, wavChunk{id: "SSND", body: ssnd(0, data)}))
	f.Fuzz(fuzzDecode)
}
