package audio

import (
	"encoding/binary"
	"io"
	"math"
	"strconv"
)

// aiffReader decodes the sound data of an AIFF or AIFF-C file: PCM of 1 to
// 32 bits, big-endian ("NONE", "twos", "in24", "in32") or little-endian
// ("sowt", "23ni"), unsigned 8-bit ("raw "), IEEE float 32/64-bit ("fl32",
// "fl64", either case) and G.711 ("ulaw", "alaw", either case).
type aiffReader struct {
	rs       io.ReadSeeker
	closer   io.Closer
	name     string
	info     Info
	enc      aiffEncoding
	bytesPer int // bytes per sample as stored
	align    int // bytes per frame
	left     int64
	pos      int64
	buf      []byte
	err      error
}

// aiffEncoding is the layout of one stored sample.
type aiffEncoding int

const (
	aiffBigEndian aiffEncoding = iota // signed PCM, most significant byte first
	aiffLittleEndian
	aiffUnsigned8
	aiffFloat32
	aiffFloat64
	aiffMuLaw
	aiffALaw
)

// aiffCompressionNames names AIFF-C compression types met in the wild that
// are not decoded, so that the error says what the file is.
var aiffCompressionNames = map[string]string{
	"ima4": "IMA ADPCM",
	"MAC3": "MACE 3:1",
	"MAC6": "MACE 6:1",
	"QDMC": "QDesign Music",
	"QDM2": "QDesign Music 2",
	"Qclp": "Qualcomm PureVoice",
	"GSM ": "GSM 6.10",
	"G722": "G.722 ADPCM",
	"G726": "G.726 ADPCM",
	"G728": "G.728",
	"ADP4": "Intel ADPCM",
	"alac": "Apple Lossless",
	"aac ": "AAC",
}

// newAIFFReader parses the chunks of a FORM AIFF or AIFC file of size bytes
// and positions rs at the first sample frame. Chunk sizes are checked
// against size before anything is read or allocated: a header claiming
// gigabytes costs nothing.
func newAIFFReader(rs io.ReadSeeker, size int64, name string, closer io.Closer) (*aiffReader, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(rs, hdr[:]); err != nil {
		return nil, damagedf(name, "truncated AIFF header")
	}
	aifc := string(hdr[8:12]) == "AIFC"
	kind := "AIFF"
	if aifc {
		kind = "AIFF-C"
	}
	var (
		comm              []byte
		dataOff, dataSize int64 = -1, 0
		pos               int64 = 12
		chunkHdr          [8]byte
		sawComm, sawSound bool
	)
	for pos+8 <= size && !(sawComm && sawSound) {
		if _, err := rs.Seek(pos, io.SeekStart); err != nil {
			return nil, fileErr(name, err)
		}
		if _, err := io.ReadFull(rs, chunkHdr[:]); err != nil {
			return nil, fileErr(name, err)
		}
		id := string(chunkHdr[:4])
		csize := int64(binary.BigEndian.Uint32(chunkHdr[4:]))
		body := pos + 8
		switch id {
		case "COMM":
			// 18 bytes in AIFF; AIFF-C adds the 4-byte compression type
			// and its name, of which only the type is needed.
			need := int64(18)
			if aifc {
				need = 22
			}
			if csize < need {
				return nil, damagedf(name, "%s COMM chunk too short (%d bytes)", kind, csize)
			}
			if body+need > size {
				return nil, damagedf(name, "truncated %s COMM chunk", kind)
			}
			comm = make([]byte, need)
			if _, err := io.ReadFull(rs, comm); err != nil {
				return nil, fileErr(name, err)
			}
			sawComm = true
		case "SSND":
			if csize < 8 || body+8 > size {
				return nil, damagedf(name, "truncated %s SSND chunk", kind)
			}
			var b [8]byte
			if _, err := io.ReadFull(rs, b[:]); err != nil {
				return nil, fileErr(name, err)
			}
			off := int64(binary.BigEndian.Uint32(b[:4]))
			if off > csize-8 {
				return nil, damagedf(name, "%s SSND offset %d is past its chunk", kind, off)
			}
			dataOff = body + 8 + off
			dataSize = csize - 8 - off
			sawSound = true
		}
		pos = body + csize + csize&1 // chunks are padded to an even size
	}
	if !sawComm {
		return nil, damagedf(name, "%s file has no COMM chunk", kind)
	}
	a := &aiffReader{rs: rs, closer: closer, name: name}
	frames, err := a.parseComm(comm, aifc)
	if err != nil {
		return nil, err
	}
	switch {
	case frames == 0:
		// No sample frames: a file may then omit SSND.
	case !sawSound:
		return nil, damagedf(name, "%s file has no SSND chunk", kind)
	case dataOff+frames*int64(a.align) > size:
		return nil, damagedf(name, "truncated %s sound data (COMM says %d frames, the file holds %d)",
			kind, frames, max(0, size-dataOff)/int64(a.align))
	case frames*int64(a.align) > dataSize:
		return nil, damagedf(name, "%s SSND chunk holds %d frames, COMM says %d", kind, dataSize/int64(a.align), frames)
	}
	a.left = frames
	a.info.Frames = frames
	if frames > 0 {
		if _, err := rs.Seek(dataOff, io.SeekStart); err != nil {
			return nil, fileErr(name, err)
		}
	}
	return a, nil
}

// parseComm reads the COMM chunk's fields into a and returns the number of
// sample frames it announces.
func (a *aiffReader) parseComm(b []byte, aifc bool) (int64, error) {
	channels := int(binary.BigEndian.Uint16(b[0:2]))
	frames := int64(binary.BigEndian.Uint32(b[2:6]))
	bits := int(binary.BigEndian.Uint16(b[6:8]))
	rate, ok := extendedRate(b[8:18])
	if channels < 1 || channels > maxChannels {
		return 0, damagedf(a.name, "bad AIFF channel count %d", channels)
	}
	if !ok {
		return 0, damagedf(a.name, "bad AIFF sample rate")
	}
	if err := checkRate(a.name, rate); err != nil {
		return 0, err
	}
	comp := "NONE"
	if aifc {
		comp = string(b[18:22])
	}
	a.info = Info{Format: "aiff", SampleRate: int(rate), Channels: channels, BitDepth: bits}
	if aifc {
		a.info.Format = "aifc"
	}
	pcm := func(enc aiffEncoding) error {
		if bits < 1 || bits > 32 {
			return unsupportedf(a.name, "unsupported AIFF PCM bit depth %d", bits)
		}
		a.enc, a.bytesPer = enc, (bits+7)/8
		return nil
	}
	var err error
	switch comp {
	case "NONE", "twos", "in24", "in32":
		// "twos", "in24" and "in32" are QuickTime's names for big-endian
		// PCM, which NONE is too; the bit depth says the width.
		err = pcm(aiffBigEndian)
	case "sowt", "23ni":
		err = pcm(aiffLittleEndian)
	case "raw ":
		a.enc, a.bytesPer, a.info.BitDepth = aiffUnsigned8, 1, 8
	case "fl32", "FL32":
		a.enc, a.bytesPer, a.info.BitDepth, a.info.Float = aiffFloat32, 4, 32, true
	case "fl64", "FL64":
		a.enc, a.bytesPer, a.info.BitDepth, a.info.Float = aiffFloat64, 8, 64, true
	case "ulaw", "ULAW":
		// COMM gives the decoded depth (16); 8 bits are stored.
		a.enc, a.bytesPer, a.info.BitDepth = aiffMuLaw, 1, 8
	case "alaw", "ALAW":
		a.enc, a.bytesPer, a.info.BitDepth = aiffALaw, 1, 8
	default:
		if n, ok := aiffCompressionNames[comp]; ok {
			return 0, unsupportedf(a.name, "%s AIFF-C (compression type %q) is not supported", n, comp)
		}
		return 0, unsupportedf(a.name, "unsupported AIFF-C compression type %s", strconv.QuoteToASCII(comp))
	}
	if err != nil {
		return 0, err
	}
	a.align = a.bytesPer * channels
	return frames, nil
}

// extendedRate converts the IEEE 754 80-bit extended float of AIFF's sample
// rate to whole hertz (rounded). ok is false for a negative, infinite or
// NaN value; a value beyond the range of int64 is returned as MaxInt64, for
// checkRate to refuse.
func extendedRate(b []byte) (rate int64, ok bool) {
	se := binary.BigEndian.Uint16(b[0:2])
	mant := binary.BigEndian.Uint64(b[2:10])
	exp := int(se & 0x7fff)
	switch {
	case se&0x8000 != 0 && mant != 0:
		return 0, false // negative
	case exp == 0x7fff:
		return 0, false // infinity or NaN
	case mant == 0:
		return 0, true
	}
	v := math.Ldexp(float64(mant), exp-16383-63)
	if v >= math.MaxInt64 {
		return math.MaxInt64, true
	}
	return int64(math.Round(v)), true
}

func (a *aiffReader) Info() Info { return a.info }

// sizeHint is exact: Frames was bounded by the file size at open.
func (a *aiffReader) sizeHint() int64 { return a.info.Frames }

func (a *aiffReader) Read(dst [][]float32) (int, error) {
	if a.err != nil {
		return 0, a.err
	}
	want, err := checkDst(dst, a.info.Channels, a.name)
	if err != nil {
		return 0, err
	}
	if a.left == 0 {
		return 0, io.EOF
	}
	want = int(min(int64(want), a.left, blockFrames))
	if want == 0 {
		return 0, nil
	}
	nb := want * a.align
	if cap(a.buf) < nb {
		a.buf = make([]byte, nb)
	}
	buf := a.buf[:nb]
	got, err := io.ReadFull(a.rs, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		a.err = fileErr(a.name, err)
		return 0, a.err
	}
	n := got / a.align
	if n < want {
		// The size was checked at open: the file shrank since.
		a.err = damagedf(a.name, "truncated AIFF sound data")
		if n == 0 {
			return 0, a.err
		}
		a.left = int64(n)
	}
	if bad, ch, v := a.decode(dst, buf[:n*a.align], n); bad < n {
		// As in WAV: a NaN or an infinity would blank seconds of every
		// stem. Deliver the frames before it, then the error.
		a.err = &Error{Path: a.name, Kind: ErrDamaged,
			Err: &SampleError{Frame: a.pos + int64(bad), Channel: ch, Rate: a.info.SampleRate, Value: v}}
		a.left = 0
		a.pos += int64(bad)
		if bad == 0 {
			return 0, a.err
		}
		return bad, nil
	}
	a.left -= int64(n)
	a.pos += int64(n)
	if a.left == 0 && a.err == nil {
		a.err = io.EOF
	}
	return n, nil
}

// decode converts n interleaved frames in b into dst. For float data it
// returns the earliest frame holding a sample that is not a finite float32,
// its channel and its value; bad == n when there is none.
func (a *aiffReader) decode(dst [][]float32, b []byte, n int) (bad, badCh int, badV float64) {
	bad = n
	w := a.bytesPer
	// Integers are scaled by their container, as WAV's are: a 12-bit
	// sample is stored in the top bits of 16 with the low bits zero.
	scale := float32(1 / math.Ldexp(1, 8*w-1))
	for ch := range a.info.Channels {
		d := dst[ch][:n]
		off := ch * w
		for i := range d {
			s := b[off : off+w]
			off += a.align
			switch a.enc {
			case aiffBigEndian:
				var v int32
				for _, c := range s {
					v = v<<8 | int32(c)
				}
				v <<= 32 - 8*w // sign-extend through the top bits
				d[i] = float32(v>>(32-8*w)) * scale
			case aiffLittleEndian:
				var v int32
				for k := w - 1; k >= 0; k-- {
					v = v<<8 | int32(s[k])
				}
				v <<= 32 - 8*w
				d[i] = float32(v>>(32-8*w)) * scale
			case aiffUnsigned8:
				d[i] = float32(int(s[0])-128) * (1.0 / 128)
			case aiffMuLaw:
				d[i] = muLaw[s[0]]
			case aiffALaw:
				d[i] = aLaw[s[0]]
			case aiffFloat32:
				v := math.Float32frombits(binary.BigEndian.Uint32(s))
				d[i] = v
				if (math.IsNaN(float64(v)) || math.IsInf(float64(v), 0)) && i < bad {
					bad, badCh, badV = i, ch, float64(v)
				}
			case aiffFloat64:
				f := math.Float64frombits(binary.BigEndian.Uint64(s))
				v := float32(f)
				d[i] = v
				if (math.IsNaN(float64(v)) || math.IsInf(float64(v), 0)) && i < bad {
					bad, badCh, badV = i, ch, f
				}
			}
		}
	}
	return bad, badCh, badV
}

func (a *aiffReader) Close() error {
	a.err = errorf(a.name, nil, "read after Close")
	if a.closer != nil {
		c := a.closer
		a.closer = nil
		return c.Close()
	}
	return nil
}
