package audio

import (
	"encoding/binary"
	"errors"
	"testing"
)

// sunALaw and sunMuLaw are the G.711 decoders of Sun Microsystems' public
// domain g711.c (the reference most software, sox included, derives from),
// giving 16-bit values: an independent derivation of the tables.
func sunALaw(a byte) int {
	a ^= 0x55
	t := int(a&0x0F) << 4
	seg := int(a&0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return t
	}
	return -t
}

func sunMuLaw(u byte) int {
	const bias = 0x84
	u = ^u
	t := (int(u&0x0F) << 3) + bias
	t <<= int(u&0x70) >> 4
	if u&0x80 != 0 {
		return bias - t
	}
	return t - bias
}

// TestG711Tables checks every code of both laws against the reference
// decoder and against values read off the G.711 tables (Table 1a for
// A-law in 13-bit units, Table 2a for µ-law in 14-bit units).
func TestG711Tables(t *testing.T) {
	for c := range 256 {
		if got, want := aLaw[c]*32768, float32(sunALaw(byte(c))); got != want {
			t.Errorf("A-law 0x%02x: %g, want %g", c, got, want)
		}
		if got, want := muLaw[c]*32768, float32(sunMuLaw(byte(c))); got != want {
			t.Errorf("µ-law 0x%02x: %g, want %g", c, got, want)
		}
	}
	for _, p := range []struct {
		code byte
		want int // 13-bit units
	}{
		{0xD5, 1}, {0x55, -1}, // the two codes around zero (A-law has no zero)
		{0xD4, 3}, {0xC5, 33}, {0xC4, 35}, // segment 0 steps of 2, then segment 1 starts at 33
		{0xF5, 66}, {0xE5, 132}, {0x95, 264}, {0x85, 528}, {0xB5, 1056}, {0xA5, 2112}, // first step of segments 2-7
		{0xAA, 4032}, {0x2A, -4032}, // largest magnitudes
	} {
		if got := aLaw[p.code] * 4096; got != float32(p.want) {
			t.Errorf("A-law 0x%02x: %g, want %d", p.code, got, p.want)
		}
	}
	for _, p := range []struct {
		code byte
		want int // 14-bit units
	}{
		{0xFF, 0}, {0x7F, 0}, // µ-law has two zeros
		{0xFE, 2}, {0x7E, -2}, {0xF0, 30}, // segment 0 steps of 2
		{0xEF, 33}, {0xDF, 99}, {0xCF, 231}, {0xBF, 495}, {0xAF, 1023}, {0x9F, 2079}, {0x8F, 4191}, // first step of segments 1-7
		{0x80, 8031}, {0x00, -8031}, // largest magnitudes
	} {
		if got := muLaw[p.code] * 8192; got != float32(p.want) {
			t.Errorf("µ-law 0x%02x: %g, want %d", p.code, got, p.want)
		}
	}
}

// TestWAVG711 decodes hand-built A-law and µ-law files, plain and
// WAVE_FORMAT_EXTENSIBLE, holding every code.
func TestWAVG711(t *testing.T) {
	codes := make([]byte, 512) // 256 stereo frames: left all codes up, right down
	for i := range 256 {
		codes[2*i], codes[2*i+1] = byte(i), byte(255-i)
	}
	for _, tc := range []struct {
		name  string
		tag   int
		ext   bool
		table *[256]float32
	}{
		{"alaw", wavFormatALaw, false, &aLaw},
		{"mulaw", wavFormatMuLaw, false, &muLaw},
		{"alaw-extensible", wavFormatALaw, true, &aLaw},
		{"mulaw-extensible", wavFormatMuLaw, true, &muLaw},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fb := fmtBody(tc.tag, 2, 8000, 8, true)
			if tc.ext {
				fb = extensibleBody(tc.tag, 2, 8000, 8, 8)
			}
			fact := binary.LittleEndian.AppendUint32(nil, 256)
			file := buildRIFF("RIFF", wavChunk{id: "fmt ", body: fb}, wavChunk{id: "fact", body: fact}, wavChunk{id: "data", body: codes})
			b, info, err := decodeBytes(file, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if want := (Info{Format: "wav", SampleRate: 8000, Channels: 2, BitDepth: 8, Frames: 256}); info != want {
				t.Errorf("info %+v, want %+v", info, want)
			}
			for i := range 256 {
				if b.Data[0][i] != tc.table[i] || b.Data[1][i] != tc.table[255-i] {
					t.Fatalf("frame %d: %g %g, want %g %g", i, b.Data[0][i], b.Data[1][i], tc.table[i], tc.table[255-i])
				}
			}
		})
	}
}

// TestWAVPCMOddDepth decodes 12- and 20-bit PCM, stored left-justified in
// 16- and 24-bit containers (what WAV requires for depths that are not
// whole bytes), exactly.
func TestWAVPCMOddDepth(t *testing.T) {
	for _, tc := range []struct{ bits, container int }{{12, 16}, {20, 24}, {4, 8}} {
		const frames = 300
		sig := testSignal(2, frames, 8000, 0.9)
		// Quantise to the depth, then store in the container's top bits.
		for ch := range sig {
			for i, v := range sig[ch] {
				step := float32(1) / float32(int(1)<<(tc.bits-1))
				sig[ch][i] = float32(int(v/step)) * step
			}
		}
		data := pcmData(sig, wavFormatPCM, tc.container)
		if tc.container == 8 {
			// pcmData rounds v·127; store v·128 (unsigned) to be exact.
			for i := range data {
				data[i] = byte(int(sig[i%2][i/2]*128) + 128)
			}
		} else {
			// pcmData scales by 2^(n-1)-1; rewrite exactly by 2^(n-1).
			data = data[:0]
			for i := range frames {
				for ch := range sig {
					x := int32(sig[ch][i] * float32(int(1)<<(tc.container-1)))
					for k := 0; k < tc.container/8; k++ {
						data = append(data, byte(x>>(8*k)))
					}
				}
			}
		}
		fb := fmtBody(wavFormatPCM, 2, 8000, tc.bits, false)
		binary.LittleEndian.PutUint16(fb[12:], uint16(2*tc.container/8)) // block align: whole containers
		file := buildRIFF("RIFF", wavChunk{id: "fmt ", body: fb}, wavChunk{id: "data", body: data})
		b, info, err := decodeBytes(file, "odd.wav")
		if err != nil {
			t.Fatalf("%d-bit: %v", tc.bits, err)
		}
		if info.BitDepth != tc.bits || info.Frames != frames {
			t.Errorf("%d-bit: info %+v", tc.bits, info)
		}
		if d := maxAbsDiff(b.Data, sig); d != 0 {
			t.Errorf("%d-bit: max error %g, want exact", tc.bits, d)
		}
	}
	// A G.711 or packed file is told apart from PCM by its header alone.
	_, _, err := decodeBytes(buildRIFF("RIFF", wavChunk{id: "fmt ", body: fmtBody(wavFormatPCM, 2, 8000, 12, false)},
		wavChunk{id: "data", body: make([]byte, 30)}), "packed.wav")
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("packed 12-bit: %v, want ErrUnsupported", err)
	}
}
