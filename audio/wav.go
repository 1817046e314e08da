package audio

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
)

// WAV format tags this package decodes.
const (
	wavFormatPCM        = 0x0001
	wavFormatFloat      = 0x0003
	wavFormatALaw       = 0x0006 // ITU-T G.711 A-law
	wavFormatMuLaw      = 0x0007 // ITU-T G.711 µ-law
	wavFormatExtensible = 0xFFFE
)

// wavFormatNames names the WAV format tags that are common enough to be
// met but are not decoded (from Microsoft's mmreg.h), so that the error
// says what the file is.
var wavFormatNames = map[int]string{
	0x0002: "Microsoft ADPCM",
	0x0010: "OKI ADPCM",
	0x0011: "IMA ADPCM",
	0x0031: "GSM 6.10",
	0x0040: "G.721 ADPCM",
	0x0050: "MPEG audio",
	0x0055: "MP3",
	0x0064: "G.726 ADPCM",
	0x0065: "G.722 ADPCM",
}

// wavSubformatTail is bytes 2..15 of the KSDATAFORMAT_SUBTYPE GUIDs; the
// first two bytes carry the plain format tag.
var wavSubformatTail = []byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

// Limits on fmt chunk values; anything outside is a damaged header.
const (
	maxChannels = 1024
)

// wavReader decodes PCM and IEEE float data from a RIFF/RF64 WAVE file.
type wavReader struct {
	rs       io.ReadSeeker
	closer   io.Closer
	name     string
	info     Info
	format   int // wavFormatPCM or wavFormatFloat
	bytesPer int // bytes per sample (container size)
	align    int // bytes per frame
	toEOF    bool
	left     int64 // frames left to read
	pos      int64 // frames delivered so far
	buf      []byte
	err      error // sticky error
}

// newWAVReader parses the chunk list of a WAVE file and positions rs at the
// start of the sample data.
func newWAVReader(rs io.ReadSeeker, size int64, name string, closer io.Closer) (*wavReader, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(rs, hdr[:]); err != nil {
		return nil, damagedf(name, "truncated WAV header")
	}
	rf64 := string(hdr[:4]) != "RIFF"
	var (
		haveFmt              bool
		fmtChunk             []byte
		dataOff              int64 = -1
		dataSize             int64
		ds64Data             int64 = -1
		pos                  int64 = 12
		chunkHdr             [8]byte
		sawData, dataUnsized bool
	)
	for pos+8 <= size {
		if _, err := rs.Seek(pos, io.SeekStart); err != nil {
			return nil, fileErr(name, err)
		}
		if _, err := io.ReadFull(rs, chunkHdr[:]); err != nil {
			return nil, fileErr(name, err)
		}
		id := string(chunkHdr[:4])
		csize := int64(binary.LittleEndian.Uint32(chunkHdr[4:]))
		body := pos + 8
		switch id {
		case "ds64":
			if !rf64 {
				break
			}
			if csize < 24 || body+24 > size {
				return nil, damagedf(name, "truncated RF64 ds64 chunk")
			}
			var b [24]byte
			if _, err := io.ReadFull(rs, b[:]); err != nil {
				return nil, fileErr(name, err)
			}
			v := binary.LittleEndian.Uint64(b[8:16])
			if v > math.MaxInt64 {
				return nil, damagedf(name, "RF64 data size out of range")
			}
			ds64Data = int64(v)
		case "fmt ":
			if csize < 16 {
				return nil, damagedf(name, "WAV fmt chunk too short (%d bytes)", csize)
			}
			if body+16 > size {
				return nil, damagedf(name, "truncated WAV fmt chunk")
			}
			// The fields we use fit in 40 bytes; extra bytes are skipped.
			n := min(csize, 40, size-body)
			fmtChunk = make([]byte, n)
			if _, err := io.ReadFull(rs, fmtChunk); err != nil {
				return nil, fileErr(name, err)
			}
			haveFmt = true
		case "data":
			sawData = true
			dataOff = body
			dataSize = csize
			if rf64 && csize == 0xFFFFFFFF && ds64Data >= 0 {
				dataSize = ds64Data
			} else if csize == 0 || csize == 0xFFFFFFFF {
				// Written by a streaming writer that never came back to
				// patch the size: the data runs to the end of the file.
				dataUnsized = true
				dataSize = size - body
			}
		}
		// Stop at the data chunk once fmt is known; an unsized data chunk
		// runs to the end of the file, so nothing can follow it.
		if sawData && (haveFmt || dataUnsized) {
			break
		}
		// Chunks are padded to an even size.
		next := body + csize + csize&1
		if id == "data" {
			next = body + dataSize + dataSize&1
		}
		if next <= pos {
			break
		}
		pos = next
	}
	if !haveFmt {
		if size < 12+8 {
			return nil, damagedf(name, "truncated WAV header")
		}
		return nil, damagedf(name, "WAV file has no fmt chunk before its data")
	}
	if !sawData {
		return nil, damagedf(name, "WAV file has no data chunk")
	}
	w := &wavReader{rs: rs, closer: closer, name: name}
	if err := w.parseFmt(fmtChunk); err != nil {
		return nil, err
	}
	avail := size - dataOff
	if dataSize > avail {
		return nil, damagedf(name, "truncated WAV data chunk (header says %d bytes, file has %d)", dataSize, avail)
	}
	w.toEOF = dataUnsized
	w.left = dataSize / int64(w.align)
	w.info.Frames = w.left
	if _, err := rs.Seek(dataOff, io.SeekStart); err != nil {
		return nil, fileErr(name, err)
	}
	return w, nil
}

// parseFmt reads the fmt chunk fields into w.
func (w *wavReader) parseFmt(b []byte) error {
	tag := int(binary.LittleEndian.Uint16(b[0:]))
	channels := int(binary.LittleEndian.Uint16(b[2:]))
	rate := int64(binary.LittleEndian.Uint32(b[4:]))
	bits := int(binary.LittleEndian.Uint16(b[14:]))
	if tag == wavFormatExtensible {
		if len(b) < 40 {
			return damagedf(w.name, "WAVE_FORMAT_EXTENSIBLE fmt chunk too short")
		}
		if !bytes.Equal(b[26:40], wavSubformatTail) {
			return unsupportedf(w.name, "unsupported WAVE_FORMAT_EXTENSIBLE subformat")
		}
		tag = int(binary.LittleEndian.Uint16(b[24:]))
	}
	if channels < 1 || channels > maxChannels {
		return damagedf(w.name, "bad WAV channel count %d", channels)
	}
	if rate < 1 {
		return damagedf(w.name, "bad WAV sample rate %d", rate)
	}
	if err := checkRate(w.name, rate); err != nil {
		return err
	}
	// Bytes per sample: PCM of a depth that is not a whole number of bytes
	// (12, 20 bits) is stored left-justified in the next whole number of
	// bytes, the low bits zero, so it decodes as its container does.
	w.bytesPer = (bits + 7) / 8
	switch tag {
	case wavFormatPCM:
		if bits < 1 || bits > 32 {
			return unsupportedf(w.name, "unsupported WAV PCM bit depth %d", bits)
		}
		// Packed samples (two 12-bit samples in 3 bytes), which some
		// writers produce, show as a block align below the containers.
		if align := int(binary.LittleEndian.Uint16(b[12:])); bits%8 != 0 && align < w.bytesPer*channels {
			return unsupportedf(w.name, "packed %d-bit WAV PCM is not supported", bits)
		}
	case wavFormatFloat:
		if bits != 32 && bits != 64 {
			return unsupportedf(w.name, "unsupported WAV float bit depth %d", bits)
		}
		w.info.Float = true
	case wavFormatALaw, wavFormatMuLaw:
		if bits != 8 {
			return unsupportedf(w.name, "unsupported G.711 WAV bit depth %d (want 8)", bits)
		}
	default:
		if name, ok := wavFormatNames[tag]; ok {
			return unsupportedf(w.name, "%s WAV (format tag 0x%04x) is not supported", name, tag)
		}
		return unsupportedf(w.name, "unsupported WAV format tag 0x%04x", tag)
	}
	w.format = tag
	// The header's block align is sometimes wrong; the layout follows from
	// the container size and channel count.
	w.align = w.bytesPer * channels
	w.info.Format = "wav"
	w.info.SampleRate = int(rate)
	w.info.Channels = channels
	w.info.BitDepth = bits
	return nil
}

func (w *wavReader) Info() Info { return w.info }

// sizeHint is exact: Frames was bounded by the file size at open.
func (w *wavReader) sizeHint() int64 { return w.info.Frames }

func (w *wavReader) Read(dst [][]float32) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	want, err := checkDst(dst, w.info.Channels, w.name)
	if err != nil {
		return 0, err
	}
	if w.left == 0 {
		return 0, io.EOF
	}
	want = int(min(int64(want), w.left, blockFrames))
	if want == 0 {
		return 0, nil
	}
	nb := want * w.align
	if cap(w.buf) < nb {
		w.buf = make([]byte, nb)
	}
	buf := w.buf[:nb]
	got, err := io.ReadFull(w.rs, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		w.err = fileErr(w.name, err)
		return 0, w.err
	}
	n := got / w.align
	if n < want {
		if w.toEOF {
			// A streaming writer may stop mid-frame; drop the partial frame.
			w.left = int64(n)
		} else {
			w.err = damagedf(w.name, "truncated WAV data chunk")
			if n == 0 {
				return 0, w.err
			}
			w.left = int64(n)
		}
	}
	if bad, ch := w.decode(dst, buf[:n*w.align], n); bad < n {
		// A NaN or an infinity would spread through every filter that
		// sees it (resampler, STFT, network) and blank seconds of every
		// stem: the file is damaged. Deliver the frames before it, then
		// the error.
		var v float64
		if w.bytesPer == 4 {
			v = float64(math.Float32frombits(binary.LittleEndian.Uint32(buf[bad*w.align+ch*4:])))
		} else {
			v = math.Float64frombits(binary.LittleEndian.Uint64(buf[bad*w.align+ch*8:]))
		}
		w.err = &Error{Path: w.name, Kind: ErrDamaged,
			Err: &SampleError{Frame: w.pos + int64(bad), Channel: ch, Rate: w.info.SampleRate, Value: v}}
		w.left = 0
		w.pos += int64(bad)
		if bad == 0 {
			return 0, w.err
		}
		return bad, nil
	}
	w.left -= int64(n)
	w.pos += int64(n)
	if w.left == 0 && w.err == nil {
		w.err = io.EOF
	}
	return n, nil
}

// decode converts n interleaved frames in b into dst. For float data it
// returns the earliest frame holding a sample that is not a finite float32
// (NaN, ±Inf, or a 64-bit value beyond the float32 range) and its channel;
// bad == n when there is none. The test costs one predictable branch per
// sample, done while the sample is in a register anyway.
func (w *wavReader) decode(dst [][]float32, b []byte, n int) (bad, badCh int) {
	const expMask = 0x7F800000 // float32 exponent bits: all ones for NaN and ±Inf
	bad = n
	nc := w.info.Channels
	for ch := 0; ch < nc; ch++ {
		d := dst[ch][:n]
		off := ch * w.bytesPer
		switch {
		case w.format == wavFormatALaw:
			for i := range d {
				d[i] = aLaw[b[off]]
				off += w.align
			}
		case w.format == wavFormatMuLaw:
			for i := range d {
				d[i] = muLaw[b[off]]
				off += w.align
			}
		case w.format == wavFormatPCM && w.bytesPer == 1:
			for i := range d {
				d[i] = float32(int(b[off])-128) * (1.0 / 128)
				off += w.align
			}
		case w.format == wavFormatPCM && w.bytesPer == 2:
			for i := range d {
				d[i] = float32(int16(binary.LittleEndian.Uint16(b[off:]))) * (1.0 / 32768)
				off += w.align
			}
		case w.format == wavFormatPCM && w.bytesPer == 3:
			for i := range d {
				v := int32(uint32(b[off])<<8|uint32(b[off+1])<<16|uint32(b[off+2])<<24) >> 8
				d[i] = float32(v) * (1.0 / 8388608)
				off += w.align
			}
		case w.format == wavFormatPCM && w.bytesPer == 4:
			for i := range d {
				d[i] = float32(float64(int32(binary.LittleEndian.Uint32(b[off:]))) * (1.0 / 2147483648))
				off += w.align
			}
		case w.bytesPer == 4: // float32
			for i := range d {
				u := binary.LittleEndian.Uint32(b[off:])
				if u&expMask == expMask && i < bad {
					bad, badCh = i, ch
				}
				d[i] = math.Float32frombits(u)
				off += w.align
			}
		default: // float64
			for i := range d {
				v := float32(math.Float64frombits(binary.LittleEndian.Uint64(b[off:])))
				if math.Float32bits(v)&expMask == expMask && i < bad {
					bad, badCh = i, ch
				}
				d[i] = v
				off += w.align
			}
		}
	}
	return bad, badCh
}

func (w *wavReader) Close() error {
	w.err = errorf(w.name, nil, "read after Close")
	if w.closer != nil {
		c := w.closer
		w.closer = nil
		return c.Close()
	}
	return nil
}
