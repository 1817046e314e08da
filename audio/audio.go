// Package audio decodes WAV, AIFF, FLAC and MP3 files, resamples audio with a
// band-limited polyphase filter, and encodes WAV and FLAC files atomically.
//
// Samples are planar float32 in [-1, 1] nominal: Data[ch][i]. Everything is
// streaming first: a Reader decodes in fixed-size blocks, a Resampler keeps
// only its filter history, and a Writer writes as it goes, so nothing forces a
// whole file into memory.
//
// Decoding picks the format from the content, never the extension:
//
//   - WAV: RIFF, RF64/BW64; PCM 8/16/24/32-bit (and depths such as 12 or
//     20 bits, left-justified in whole-byte containers), IEEE float
//     32/64-bit, G.711 A-law and µ-law, plain or WAVE_FORMAT_EXTENSIBLE;
//     chunks in any order with pad bytes; a data size of 0 or 0xFFFFFFFF
//     (left by streaming writers) means "to the end". ADPCM and other
//     compressed WAV formats are refused with ErrUnsupported, naming them.
//     A float sample that is NaN or infinite is an ErrDamaged error.
//   - AIFF and AIFF-C: PCM 1–32 bit, big-endian ("NONE", "twos", "in24",
//     "in32") or little-endian ("sowt", "23ni"), unsigned 8-bit ("raw "),
//     IEEE float 32/64-bit ("fl32"/"FL32", "fl64"/"FL64"), G.711 ("ulaw",
//     "alaw"); chunks in any order. Compressed AIFF-C (IMA ADPCM, MACE,
//     QDesign…) is refused with ErrUnsupported, naming the type. A float
//     sample that is NaN or infinite is an ErrDamaged error.
//   - FLAC (mewkiz/flac), frame by frame, with an optional ID3v2 tag first.
//   - MP3, MPEG-1/2 Layer III (hajimehoshi/go-mp3), always decoded as stereo.
//     ID3v2/ID3v1/APEv2 tags are skipped, and the LAME/Xing header's encoder
//     delay and padding are removed (gapless, as lame --decode does).
//
// Sample rates from MinSampleRate to MaxSampleRate (1 kHz to 768 kHz) are
// accepted; others are refused with ErrRate. Open reads regular files only.
//
// Decoders never trust sizes claimed by a header beyond what the real size of
// the input allows, so a lying header cannot make them allocate much more than
// the file itself. (A compressed stream can legitimately decode to far more
// samples than it has bytes, as FLAC does for silence; decoding time and the
// memory of ReadAll grow with the decoded length, never with header claims.)
// A truncated or damaged file is an error, not a shorter result.
//
// Every error is an *Error: one line for the user, starting with the quoted
// file name when it is about a file ("song.wav": truncated WAV data chunk),
// with a Kind (ErrDamaged, ErrUnsupported, ErrNotRegular, ErrRate) that
// errors.Is recognises.
package audio

import (
	"bytes"
	"errors"
	"io"
	"os"

	"github.com/drumsplit/drumsplit/internal/regular"
)

// Buffer is planar audio held in memory.
type Buffer struct {
	SampleRate int
	Data       [][]float32 // Data[ch][i]; all channels have equal length
}

// Frames returns the number of sample frames (samples per channel).
func (b *Buffer) Frames() int {
	if len(b.Data) == 0 {
		return 0
	}
	return len(b.Data[0])
}

// NumChannels returns the number of channels.
func (b *Buffer) NumChannels() int { return len(b.Data) }

// Info describes a decoded stream.
type Info struct {
	Format     string // "wav", "aiff", "aifc", "flac", "mp3"
	SampleRate int
	Channels   int   // channels in the file
	BitDepth   int   // 0 when not meaningful (mp3)
	Float      bool  // samples are stored as floating point
	Frames     int64 // -1 when unknown
}

// Reader streams decoded audio.
//
// Read fills dst[ch][:n] for each channel (len(dst) must equal
// Info().Channels, and n <= len(dst[0])) and returns the number of frames n.
// Like io.Reader, it returns n > 0 with a nil error while there is data and
// then 0, io.EOF at the end. Any other error is final and names the file.
type Reader interface {
	Info() Info
	Read(dst [][]float32) (n int, err error)
	Close() error
}

// The sample rates the package decodes, resamples and writes. 768 kHz is
// the highest rate of any audio interface or format in use (4×192 kHz, DXD
// at 2×352.8 kHz); 1 kHz is well below the lowest rates real recordings use
// (8 kHz telephony, 4 kHz in old voice formats). Bounding the ratio between
// two rates by 768 bounds the resampler's work and memory per input or
// output sample, so a header that claims 1 Hz or 16 MHz cannot make a tiny
// file cost gigabytes and minutes: it is refused with ErrRate.
const (
	MinSampleRate = 1000
	MaxSampleRate = 768000
)

// checkRate returns an ErrRate *Error about name (may be "") unless rate is
// within MinSampleRate..MaxSampleRate.
func checkRate(name string, rate int64) error {
	if rate >= MinSampleRate && rate <= MaxSampleRate {
		return nil
	}
	return errorf(name, ErrRate, "sample rate %d Hz is not supported (%d to %d Hz are)", rate, MinSampleRate, MaxSampleRate)
}

// blockFrames is the number of frames decoders and adapters move at a time.
const blockFrames = 8192

// Open opens the file at path and returns a Reader for it. The format is
// chosen by looking at the content, never the extension. Only a regular
// file (or a link to one) is opened: a directory, named pipe, device or
// socket is refused with ErrNotRegular, since reading a pipe or a device
// could block forever or never end.
func Open(path string) (Reader, error) {
	f, _, err := regular.Open(path)
	var nr *regular.NotRegularError
	switch {
	case errors.As(err, &nr):
		return nil, errorf(path, ErrNotRegular, "%v", nr)
	case err != nil:
		// Said as what the caller asked for: "open: no such file…".
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = &os.PathError{Op: "open", Path: pe.Path, Err: pe.Err}
		}
		return nil, fileErr(path, err)
	}
	r, err := newReader(f, path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// NewReader returns a Reader decoding r, whose format is found by sniffing
// its content. name is used in error messages only. Close on the returned
// Reader does not close r.
func NewReader(r io.ReadSeeker, name string) (Reader, error) {
	return newReader(r, name, nil)
}

// newReader sniffs rs and starts the matching decoder; closer (may be nil)
// is closed by the Reader's Close.
func newReader(rs io.ReadSeeker, name string, closer io.Closer) (Reader, error) {
	size, err := rs.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fileErr(name, err)
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return nil, fileErr(name, err)
	}
	if size == 0 {
		return nil, damagedf(name, "empty file")
	}
	var head [12]byte
	n, err := io.ReadFull(rs, head[:])
	if err != nil && err != io.ErrUnexpectedEOF {
		return nil, fileErr(name, err)
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return nil, fileErr(name, err)
	}
	h := head[:n]
	switch {
	case len(h) >= 12 && (bytes.Equal(h[:4], []byte("RIFF")) || bytes.Equal(h[:4], []byte("RF64")) ||
		bytes.Equal(h[:4], []byte("BW64"))) && bytes.Equal(h[8:12], []byte("WAVE")):
		w, err := newWAVReader(rs, size, name, closer)
		if err != nil {
			return nil, err // not a nil *wavReader in a non-nil Reader
		}
		return w, nil
	case len(h) >= 12 && bytes.Equal(h[:4], []byte("FORM")) &&
		(bytes.Equal(h[8:12], []byte("AIFF")) || bytes.Equal(h[8:12], []byte("AIFC"))):
		a, err := newAIFFReader(rs, size, name, closer)
		if err != nil {
			return nil, err // not a nil *aiffReader in a non-nil Reader
		}
		return a, nil
	case len(h) >= 4 && bytes.Equal(h[:4], []byte("fLaC")):
		return newFLACReader(rs, 0, size, name, closer)
	case len(h) >= 3 && bytes.Equal(h[:3], []byte("ID3")):
		// An ID3v2 tag may precede MP3 frames and, rarely, a FLAC stream.
		off, err := id3v2End(rs, size, name)
		if err != nil {
			return nil, err
		}
		var magic [4]byte
		if _, err := rs.Seek(off, io.SeekStart); err != nil {
			return nil, fileErr(name, err)
		}
		if _, err := io.ReadFull(rs, magic[:]); err == nil && string(magic[:]) == "fLaC" {
			return newFLACReader(rs, off, size, name, closer)
		}
		return newMP3Reader(rs, off, size, name, closer)
	}
	if off, ok := sniffMP3(rs, 0, size); ok {
		return newMP3Reader(rs, off, size, name, closer)
	}
	if len(h) >= 4 && (bytes.Equal(h[:4], []byte("RIFF")) || bytes.Equal(h[:4], []byte("RF64"))) {
		if len(h) < 12 {
			return nil, damagedf(name, "truncated WAV header")
		}
		return nil, unsupportedf(name, "RIFF file is not WAVE audio")
	}
	if len(h) >= 4 && bytes.Equal(h[:4], []byte("FORM")) {
		if len(h) < 12 {
			return nil, damagedf(name, "truncated AIFF header")
		}
		return nil, unsupportedf(name, "IFF file is not AIFF audio")
	}
	return nil, unsupportedf(name, "unrecognised audio format (not WAV, AIFF, FLAC or MP3)")
}

// ReadAll reads r to its end into a Buffer. It does not close r.
func ReadAll(r Reader) (*Buffer, error) {
	info := r.Info()
	b := &Buffer{SampleRate: info.SampleRate, Data: make([][]float32, info.Channels)}
	// Reserve what the decoder knows the stream to hold, bounded by the real
	// size of the input (sizeHint), never by what a header merely claims:
	// growing by append handles any remainder.
	reserve := int64(0)
	if h, ok := r.(sizeHinter); ok {
		reserve = h.sizeHint()
	} else if info.Frames > 0 {
		reserve = min(info.Frames, 1<<20)
	}
	if reserve > 0 {
		for ch := range b.Data {
			b.Data[ch] = make([]float32, 0, reserve)
		}
	}
	block := make([][]float32, info.Channels)
	for ch := range block {
		block[ch] = make([]float32, blockFrames)
	}
	for {
		n, err := r.Read(block)
		for ch := range block {
			b.Data[ch] = append(b.Data[ch], block[ch][:n]...)
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// sizeHinter is implemented by Readers that know how many frames they will
// deliver, within what the size of their input allows.
type sizeHinter interface {
	sizeHint() int64
}

// DecodeFile decodes the whole file at path into memory.
func DecodeFile(path string) (*Buffer, Info, error) {
	r, err := Open(path)
	if err != nil {
		return nil, Info{}, err
	}
	defer r.Close()
	b, err := ReadAll(r)
	if err != nil {
		return nil, r.Info(), err
	}
	return b, r.Info(), nil
}

// checkDst verifies that dst has the shape Read expects and returns the
// number of frames it can hold.
func checkDst(dst [][]float32, channels int, name string) (int, error) {
	if len(dst) != channels {
		return 0, errorf(name, nil, "Read: dst has %d channels, want %d", len(dst), channels)
	}
	if channels == 0 {
		return 0, nil
	}
	n := len(dst[0])
	for _, d := range dst[1:] {
		if len(d) < n {
			n = len(d)
		}
	}
	return n, nil
}
