package audio

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// Encoding of an output file.
type Encoding struct {
	Format   string // "wav" or "flac"
	BitDepth int    // 16, 24, or 32 (32 = 32-bit float, WAV only)
}

// String returns the encoding as "wav/24", "wav/32f" or "flac/16".
func (e Encoding) String() string {
	if e.Format == "wav" && e.BitDepth == 32 {
		return "wav/32f"
	}
	return fmt.Sprintf("%s/%d", e.Format, e.BitDepth)
}

// Validate reports whether the encoding can be written.
func (e Encoding) Validate() error {
	switch {
	case e.Format == "wav" && (e.BitDepth == 16 || e.BitDepth == 24 || e.BitDepth == 32):
	case e.Format == "flac" && (e.BitDepth == 16 || e.BitDepth == 24):
	case e.Format == "flac" && e.BitDepth == 32:
		return unsupportedf("", "32-bit float output is WAV only, not FLAC")
	case e.Format != "wav" && e.Format != "flac":
		return unsupportedf("", "unsupported output format %q (want wav or flac)", e.Format)
	default:
		return unsupportedf("", "unsupported %s bit depth %d (want 16, 24 or 32)", e.Format, e.BitDepth)
	}
	return nil
}

// Writer writes an audio file atomically: data goes to a temporary file in
// the same directory (".<name>.tmp-<random>"), and Close renames it into
// place, replacing any existing file. Abort, a failed Write or a failed
// Close removes the temporary file, so there is never a partial file at the
// destination path.
//
// Integer encodings clip samples outside [-1, 1) to the integer range (they
// never wrap) and count them; Close logs a warning when any were clipped.
// Samples are rounded to the nearest integer without dither.
type Writer struct {
	path     string
	tmp      *os.File
	bw       *bufio.Writer
	enc      Encoding
	rate     int
	channels int
	clipped  int64
	frames   int64
	fe       frameEncoder
	err      error // sticky: the first error, after which the Writer is aborted
	done     bool
}

// frameEncoder is the format-specific half of a Writer.
type frameEncoder interface {
	// write encodes src (one block of planar frames).
	write(w *Writer, src [][]float32) error
	// finish completes the file (flushes, patches headers).
	finish(w *Writer) error
}

// Create starts writing a file at path with the given format. Nothing appears
// at path until Close succeeds. A directory that is missing or not writable
// is reported here.
func Create(path string, sampleRate, channels int, enc Encoding) (*Writer, error) {
	if err := enc.Validate(); err != nil {
		return nil, withPath(err, path)
	}
	if err := checkRate(path, int64(sampleRate)); err != nil {
		return nil, err
	}
	if channels <= 0 || channels > maxChannels || (enc.Format == "flac" && channels > 8) {
		return nil, unsupportedf(path, "bad channel count %d for %s", channels, enc.Format)
	}
	if enc.Format == "flac" && sampleRate > 655350 {
		return nil, errorf(path, ErrRate, "sample rate %d Hz is too high for FLAC (655350 Hz at most)", sampleRate)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, errorf(path, ErrNotRegular, "is a directory")
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &Error{Path: path, Msg: "create", Err: err}
	}
	// CreateTemp makes the file private; an output file should be readable
	// like any other the user creates.
	_ = tmp.Chmod(0o644)
	w := &Writer{path: path, tmp: tmp, bw: bufio.NewWriterSize(tmp, 1<<16), enc: enc,
		rate: sampleRate, channels: channels}
	switch enc.Format {
	case "wav":
		w.fe, err = newWAVEncoder(w)
	case "flac":
		w.fe, err = newFLACEncoder(w)
	}
	if err != nil {
		w.fail(err)
		return nil, w.err
	}
	return w, nil
}

// withPath returns err, an *Error about no file, as one about path.
func withPath(err error, path string) error {
	var ae *Error
	if errors.As(err, &ae) {
		e := *ae
		e.Path = path
		return &e
	}
	return fileErr(path, err)
}

// Write appends src (src[ch] for each channel, equal lengths) to the file.
// A src of the wrong shape is refused and the Writer stays usable; any other
// error aborts the Writer (the temporary file is removed) and every later
// call fails.
func (w *Writer) Write(src [][]float32) error {
	if w.err != nil {
		return w.err
	}
	if w.done {
		return errorf(w.path, nil, "write after Close")
	}
	if len(src) != w.channels {
		return errorf(w.path, nil, "Write: src has %d channels, want %d", len(src), w.channels)
	}
	n := len(src[0])
	for _, s := range src[1:] {
		if len(s) != n {
			return errorf(w.path, nil, "Write: channels differ in length")
		}
	}
	for i := 0; i < n; i += blockFrames {
		j := min(i+blockFrames, n)
		blk := make([][]float32, len(src))
		for ch := range src {
			blk[ch] = src[ch][i:j]
		}
		if err := w.fe.write(w, blk); err != nil {
			w.fail(err)
			return w.err
		}
		w.frames += int64(j - i)
	}
	return nil
}

// Clipped returns the number of samples clipped so far.
func (w *Writer) Clipped() int64 { return w.clipped }

// Close completes the file and renames it to its path. If anything fails the
// temporary file is removed and the error returned.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.done {
		return nil
	}
	w.done = true
	if err := w.fe.finish(w); err != nil {
		w.fail(err)
		return w.err
	}
	if err := w.tmp.Sync(); err != nil {
		w.fail(err)
		return w.err
	}
	if err := w.tmp.Close(); err != nil {
		w.fail(err)
		return w.err
	}
	if err := os.Rename(w.tmp.Name(), w.path); err != nil {
		os.Remove(w.tmp.Name())
		w.err = fileErr(w.path, err)
		return w.err
	}
	// Clipping is reported by Clipped, not logged: the caller knows
	// which input and stem the file belongs to.
	return nil
}

// Abort discards the file: the temporary file is removed and nothing is
// written at path. Abort after a successful Close does nothing.
func (w *Writer) Abort() error {
	if w.done && w.err == nil {
		return nil
	}
	if w.err == nil {
		w.fail(errors.New("aborted"))
	}
	return nil
}

// fail records err and removes the temporary file.
func (w *Writer) fail(err error) {
	if w.err != nil {
		return
	}
	var ae *Error
	if errors.As(err, &ae) && ae.Path == w.path {
		w.err = err
	} else {
		w.err = fileErr(w.path, err)
	}
	w.done = true
	w.tmp.Close()
	os.Remove(w.tmp.Name())
}

// WriteFile writes b to path atomically with the given encoding and returns
// the number of clipped samples.
func WriteFile(path string, b *Buffer, enc Encoding) (clipped int64, err error) {
	w, err := Create(path, b.SampleRate, b.NumChannels(), enc)
	if err != nil {
		return 0, err
	}
	if err := w.Write(b.Data); err != nil {
		w.Abort()
		return w.Clipped(), err
	}
	if err := w.Close(); err != nil {
		return w.Clipped(), err
	}
	return w.Clipped(), nil
}

// quantize converts v to a signed integer of the given bit depth, rounding
// to nearest and clipping to the integer range. It reports whether v was
// clipped (NaN counts as clipped and becomes 0).
func quantize(v float32, bits int) (int32, bool) {
	scale := float64(int64(1) << (bits - 1))
	x := math.Round(float64(v) * scale)
	switch {
	case x >= scale:
		// Exactly +1.0 is representable only as the largest value; like
		// every other converter, treat it as clipping only when above it.
		return int32(scale - 1), x > scale
	case x < -scale:
		return int32(-scale), true
	case x != x:
		return 0, true
	}
	return int32(x), false
}

// wavEncoder writes RIFF WAVE: PCM for 16/24 bits, IEEE float for 32.
type wavEncoder struct {
	align int
	buf   []byte
}

// wavHeaderSize is the size of the header written by newWAVEncoder.
func wavHeaderLen(float bool) int {
	if float {
		return 12 + 8 + 18 + 12 + 8 // RIFF, fmt (18), fact, data header
	}
	return 12 + 8 + 16 + 8
}

func newWAVEncoder(w *Writer) (*wavEncoder, error) {
	e := &wavEncoder{align: w.channels * w.enc.BitDepth / 8}
	if _, err := w.bw.Write(e.header(w, 0)); err != nil {
		return nil, err
	}
	return e, nil
}

// header returns the file header for a data chunk of frames frames.
func (e *wavEncoder) header(w *Writer, frames int64) []byte {
	float := w.enc.BitDepth == 32
	dataLen := uint32(frames * int64(e.align))
	h := make([]byte, 0, wavHeaderLen(float))
	h = append(h, "RIFF"...)
	h = le32(h, uint32(wavHeaderLen(float)-8)+dataLen+dataLen&1)
	h = append(h, "WAVE"...)
	h = append(h, "fmt "...)
	tag := uint16(wavFormatPCM)
	if float {
		h = le32(h, 18)
		tag = wavFormatFloat
	} else {
		h = le32(h, 16)
	}
	h = le16(h, tag)
	h = le16(h, uint16(w.channels))
	h = le32(h, uint32(w.rate))
	h = le32(h, uint32(w.rate*e.align))
	h = le16(h, uint16(e.align))
	h = le16(h, uint16(w.enc.BitDepth))
	if float {
		h = le16(h, 0) // cbSize
		// Non-PCM WAVE files carry a fact chunk with the frame count.
		h = append(h, "fact"...)
		h = le32(h, 4)
		h = le32(h, uint32(frames))
	}
	h = append(h, "data"...)
	h = le32(h, dataLen)
	return h
}

// maxWAVData is the most sample data a RIFF file can describe.
const maxWAVData = math.MaxUint32 - 64

func (e *wavEncoder) write(w *Writer, src [][]float32) error {
	n := len(src[0])
	if (w.frames+int64(n))*int64(e.align) > maxWAVData {
		return errors.New("too much audio for a WAV file (4 GiB limit)")
	}
	nb := n * e.align
	if cap(e.buf) < nb {
		e.buf = make([]byte, nb)
	}
	b := e.buf[:nb]
	bps := w.enc.BitDepth / 8
	for ch, s := range src {
		off := ch * bps
		switch w.enc.BitDepth {
		case 16:
			for _, v := range s {
				q, c := quantize(v, 16)
				if c {
					w.clipped++
				}
				b[off], b[off+1] = byte(q), byte(q>>8)
				off += e.align
			}
		case 24:
			for _, v := range s {
				q, c := quantize(v, 24)
				if c {
					w.clipped++
				}
				b[off], b[off+1], b[off+2] = byte(q), byte(q>>8), byte(q>>16)
				off += e.align
			}
		case 32:
			for _, v := range s {
				u := math.Float32bits(v)
				b[off], b[off+1], b[off+2], b[off+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
				off += e.align
			}
		}
	}
	_, err := w.bw.Write(b)
	return err
}

func (e *wavEncoder) finish(w *Writer) error {
	dataLen := w.frames * int64(e.align)
	if dataLen&1 == 1 {
		if err := w.bw.WriteByte(0); err != nil {
			return err
		}
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	_, err := w.tmp.WriteAt(e.header(w, w.frames), 0)
	return err
}

func le16(b []byte, v uint16) []byte { return append(b, byte(v), byte(v>>8)) }
func le32(b []byte, v uint32) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}
