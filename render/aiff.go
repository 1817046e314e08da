package render

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/drumsplit/drumsplit/audio"
)

// decodeAIFF decodes an uncompressed AIFF or AIFF-C file (PCM 8–32 bit big-
// or little-endian "sowt", or 32/64-bit float). The audio package reads the
// formats users bring (WAV, FLAC, MP3); AIFF appears only in Hydrogen kits
// (BJA_Pacific), so its small decoder lives here.
func decodeAIFF(data []byte) (*audio.Buffer, error) {
	if len(data) < 12 || string(data[0:4]) != "FORM" {
		return nil, errors.New("aiff: not a FORM file")
	}
	kind := string(data[8:12])
	if kind != "AIFF" && kind != "AIFC" {
		return nil, fmt.Errorf("aiff: FORM type %q", kind)
	}
	var (
		channels, bits int
		frames         int
		rate           float64
		comp           = "NONE"
		sound          []byte
		haveComm       bool
	)
	for p := 12; p+8 <= len(data); {
		id := string(data[p : p+4])
		size := int(binary.BigEndian.Uint32(data[p+4 : p+8]))
		body := data[p+8:]
		if size > len(body) {
			size = len(body) // a truncated last chunk: take what is there
		}
		body = body[:size]
		switch id {
		case "COMM":
			if size < 18 {
				return nil, errors.New("aiff: short COMM chunk")
			}
			channels = int(binary.BigEndian.Uint16(body[0:2]))
			frames = int(binary.BigEndian.Uint32(body[2:6]))
			bits = int(binary.BigEndian.Uint16(body[6:8]))
			rate = extended(body[8:18])
			if kind == "AIFC" && size >= 22 {
				comp = string(body[18:22])
			}
			haveComm = true
		case "SSND":
			if size < 8 {
				return nil, errors.New("aiff: short SSND chunk")
			}
			off := int(binary.BigEndian.Uint32(body[0:4]))
			if 8+off > size {
				return nil, errors.New("aiff: SSND offset past the chunk")
			}
			sound = body[8+off:]
		}
		p += 8 + size + size&1
	}
	if !haveComm || sound == nil {
		return nil, errors.New("aiff: missing COMM or SSND chunk")
	}
	if channels < 1 || rate < 1 || rate > 1e6 {
		return nil, fmt.Errorf("aiff: %d channels at %g Hz", channels, rate)
	}
	var (
		width int
		read  func(b []byte) float32
	)
	switch {
	case (comp == "NONE" || comp == "twos") && bits >= 1 && bits <= 32:
		width = (bits + 7) / 8
		scale := float32(1 / math.Ldexp(1, 8*width-1))
		read = func(b []byte) float32 {
			var v int32
			for _, c := range b {
				v = v<<8 | int32(c)
			}
			v <<= 32 - 8*len(b) // sign-extend through the top bits
			return float32(v>>(32-8*len(b))) * scale
		}
	case comp == "sowt" && bits >= 1 && bits <= 32:
		width = (bits + 7) / 8
		scale := float32(1 / math.Ldexp(1, 8*width-1))
		read = func(b []byte) float32 {
			var v int32
			for i := len(b) - 1; i >= 0; i-- {
				v = v<<8 | int32(b[i])
			}
			v <<= 32 - 8*len(b)
			return float32(v>>(32-8*len(b))) * scale
		}
	case comp == "fl32" || comp == "FL32":
		width = 4
		read = func(b []byte) float32 { return math.Float32frombits(binary.BigEndian.Uint32(b)) }
	case comp == "fl64" || comp == "FL64":
		width = 8
		read = func(b []byte) float32 { return float32(math.Float64frombits(binary.BigEndian.Uint64(b))) }
	default:
		return nil, fmt.Errorf("aiff: unsupported compression %q with %d bits", comp, bits)
	}
	if n := len(sound) / (width * channels); n < frames {
		frames = n // the file is shorter than COMM claims
	}
	buf := &audio.Buffer{SampleRate: int(math.Round(rate)), Data: make([][]float32, channels)}
	for c := range buf.Data {
		buf.Data[c] = make([]float32, frames)
	}
	for i := 0; i < frames; i++ {
		for c := 0; c < channels; c++ {
			o := (i*channels + c) * width
			buf.Data[c][i] = read(sound[o : o+width])
		}
	}
	return buf, nil
}

// extended converts an IEEE 754 80-bit extended float (AIFF's sample rate).
func extended(b []byte) float64 {
	exp := int(binary.BigEndian.Uint16(b[0:2]))
	mant := binary.BigEndian.Uint64(b[2:10])
	sign := 1.0
	if exp&0x8000 != 0 {
		sign = -1
		exp &= 0x7fff
	}
	if exp == 0 && mant == 0 {
		return 0
	}
	return sign * math.Ldexp(float64(mant), exp-16383-63)
}

// isAIFF reports whether the stream starts like an AIFF file.
func isAIFF(r io.ReaderAt) bool {
	var h [12]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return false
	}
	return string(h[0:4]) == "FORM" && (string(h[8:12]) == "AIFF" || string(h[8:12]) == "AIFC")
}
