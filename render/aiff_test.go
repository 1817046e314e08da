package render

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// makeAIFF encodes frames (interleaved ints) as an AIFF or AIFF-C file.
func makeAIFF(channels, bits int, rate float64, comp string, samples []int32) []byte {
	width := (bits + 7) / 8
	frames := len(samples) / channels
	var comm []byte
	comm = binary.BigEndian.AppendUint16(comm, uint16(channels))
	comm = binary.BigEndian.AppendUint32(comm, uint32(frames))
	comm = binary.BigEndian.AppendUint16(comm, uint16(bits))
	// 80-bit extended sample rate.
	exp, mant := 0, uint64(0)
	if rate > 0 {
		e := math.Floor(math.Log2(rate))
		exp = int(e) + 16383
		mant = uint64(rate / math.Pow(2, e) * (1 << 63))
	}
	comm = binary.BigEndian.AppendUint16(comm, uint16(exp))
	comm = binary.BigEndian.AppendUint64(comm, mant)
	kind := "AIFF"
	if comp != "" {
		kind = "AIFC"
		comm = append(comm, comp...)
		comm = append(comm, 0) // empty pascal string, padded
		comm = append(comm, 0)
	}
	var snd []byte
	snd = binary.BigEndian.AppendUint32(snd, 0)
	snd = binary.BigEndian.AppendUint32(snd, 0)
	for _, v := range samples {
		v <<= 32 - 8*width
		b := make([]byte, 4)
		binary.BigEndian.PutUint32(b, uint32(v))
		b = b[:width]
		if comp == "sowt" {
			for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
				b[i], b[j] = b[j], b[i]
			}
		}
		snd = append(snd, b...)
	}
	chunk := func(id string, body []byte) []byte {
		out := append([]byte(id), binary.BigEndian.AppendUint32(nil, uint32(len(body)))...)
		out = append(out, body...)
		if len(body)%2 == 1 {
			out = append(out, 0)
		}
		return out
	}
	body := append([]byte(kind), chunk("COMM", comm)...)
	body = append(body, chunk("SSND", snd)...)
	return append(append([]byte("FORM"), binary.BigEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

func TestDecodeAIFF(t *testing.T) {
	for _, c := range []struct {
		name     string
		channels int
		bits     int
		rate     float64
		comp     string
	}{
		{"16-bit stereo", 2, 16, 44100, ""},
		{"24-bit mono", 1, 24, 48000, ""},
		{"8-bit", 1, 8, 22050, ""},
		{"sowt little-endian", 2, 16, 44100, "sowt"},
		{"AIFC NONE 32-bit", 2, 32, 96000, "NONE"},
	} {
		t.Run(c.name, func(t *testing.T) {
			full := int64(1) << (c.bits - 1)
			var samples []int32
			for _, v := range []int64{0, full - 1, -full, full / 2, -full / 4, 1, -1, 0, 3, -3} {
				samples = append(samples, int32(v))
			}
			samples = samples[:len(samples)/c.channels*c.channels]
			b, err := decodeAIFF(makeAIFF(c.channels, c.bits, c.rate, c.comp, samples))
			if err != nil {
				t.Fatal(err)
			}
			if b.SampleRate != int(c.rate) || len(b.Data) != c.channels || b.Frames() != len(samples)/c.channels {
				t.Fatalf("rate %d, %d channels, %d frames", b.SampleRate, len(b.Data), b.Frames())
			}
			for i, v := range samples {
				want := float32(float64(v) / float64(full))
				if got := b.Data[i%c.channels][i/c.channels]; got != want {
					t.Errorf("sample %d = %v, want %v", i, got, want)
				}
			}
		})
	}
	for name, data := range map[string][]byte{
		"empty":      nil,
		"not aiff":   []byte("RIFF\x00\x00\x00\x00WAVEfmt "),
		"no SSND":    makeAIFF(1, 16, 44100, "", nil)[:12+8+18],
		"compressed": makeAIFF(1, 16, 44100, "ima4", []int32{1, 2}),
	} {
		if _, err := decodeAIFF(data); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// TestBJAPacificAIFF decodes a real kit sample: BD_08.aiff is 31916 frames
// of 16-bit stereo at 44.1 kHz (soxi).
func TestBJAPacificAIFF(t *testing.T) {
	path := filepath.Join(DefaultKitsDir, "BJA_Pacific", "BD_08.aiff")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("hydrogen-drumkits not installed (%v)", err)
	}
	b, err := decodeAIFF(data)
	if err != nil {
		t.Fatal(err)
	}
	if b.SampleRate != 44100 || len(b.Data) != 2 || b.Frames() != 31916 {
		t.Fatalf("%d Hz, %d channels, %d frames", b.SampleRate, len(b.Data), b.Frames())
	}
	var peak float64
	for _, ch := range b.Data {
		for _, v := range ch {
			peak = math.Max(peak, math.Abs(float64(v)))
		}
	}
	if peak < 0.1 || peak > 1 {
		t.Errorf("peak %v: not a loud kick", peak)
	}
}
