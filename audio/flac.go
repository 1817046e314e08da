package audio

import (
	"errors"
	"io"

	"github.com/mewkiz/flac"
	"github.com/mewkiz/flac/frame"
)

// flacReader decodes a FLAC stream frame by frame with mewkiz/flac.
type flacReader struct {
	stream   *flac.Stream
	closer   io.Closer
	name     string
	size     int64
	info     Info
	scale    float32
	maxBlock int // largest block size the StreamInfo allows; 0 if unknown
	cur      []*frame.Subframe
	pos      int    // read position in cur
	total    uint64 // frames decoded so far
	err      error
}

// newFLACReader starts decoding the FLAC stream that begins at offset off
// of rs (off > 0 when an ID3v2 tag precedes it).
func newFLACReader(rs io.ReadSeeker, off, size int64, name string, closer io.Closer) (r Reader, err error) {
	if _, err := rs.Seek(off, io.SeekStart); err != nil {
		return nil, fileErr(name, err)
	}
	defer func() {
		// mewkiz/flac is not hardened against every malformed input; a
		// panic in it is a decode error, not a crash of the program.
		if p := recover(); p != nil {
			r, err = nil, damagedf(name, "invalid FLAC stream (%v)", p)
		}
	}()
	stream, err := flac.New(io.LimitReader(rs, size-off))
	if err != nil {
		return nil, flacErr(name, "invalid FLAC header", err)
	}
	si := stream.Info
	if si.NChannels < 1 || si.NChannels > 8 {
		return nil, damagedf(name, "bad FLAC channel count %d", si.NChannels)
	}
	if si.BitsPerSample < 4 || si.BitsPerSample > 32 {
		return nil, damagedf(name, "bad FLAC bit depth %d", si.BitsPerSample)
	}
	if si.SampleRate < 1 {
		return nil, damagedf(name, "bad FLAC sample rate %d", si.SampleRate)
	}
	if err := checkRate(name, int64(si.SampleRate)); err != nil {
		return nil, err
	}
	f := &flacReader{stream: stream, closer: closer, name: name, size: size - off,
		scale: 1 / float32(uint64(1)<<(si.BitsPerSample-1))}
	f.info = Info{Format: "flac", SampleRate: int(si.SampleRate), Channels: int(si.NChannels),
		BitDepth: int(si.BitsPerSample), Frames: -1}
	if si.NSamples > 0 && si.NSamples < 1<<62 {
		f.info.Frames = int64(si.NSamples)
	}
	if si.BlockSizeMax >= 16 && si.BlockSizeMin <= si.BlockSizeMax {
		f.maxBlock = int(si.BlockSizeMax)
	}
	return f, nil
}

// flacErr turns a mewkiz/flac error into ours, naming truncation plainly.
func flacErr(name, what string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return damagedf(name, "truncated FLAC stream")
	}
	return &Error{Path: name, Kind: ErrDamaged, Msg: what, Err: err}
}

func (f *flacReader) Info() Info { return f.info }

// sizeHint bounds ReadAll's up-front allocation by the real size of the
// file (four frames per byte per channel is more than real FLAC files
// reach), so a lying StreamInfo cannot make it reserve much; a longer
// stream still decodes, growing the buffer as it goes.
func (f *flacReader) sizeHint() int64 {
	h := f.size * 4 / int64(f.info.Channels)
	if f.info.Frames >= 0 && f.info.Frames < h {
		h = f.info.Frames
	}
	return h
}

func (f *flacReader) Read(dst [][]float32) (int, error) {
	want, err := checkDst(dst, f.info.Channels, f.name)
	if err != nil {
		return 0, err
	}
	for f.cur == nil || f.pos == len(f.cur[0].Samples) {
		if f.err != nil {
			return 0, f.err
		}
		if err := f.next(); err != nil {
			f.err = err
			f.cur = nil
			return 0, err
		}
	}
	n := min(want, len(f.cur[0].Samples)-f.pos)
	for ch := range dst {
		d := dst[ch][:n]
		s := f.cur[ch].Samples[f.pos : f.pos+n]
		for i := range d {
			d[i] = float32(s[i]) * f.scale
		}
	}
	f.pos += n
	return n, nil
}

// next decodes the next frame into f.cur. It returns io.EOF at a clean end.
func (f *flacReader) next() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = damagedf(f.name, "invalid FLAC frame (%v)", p)
		}
	}()
	fr, err := f.stream.Next()
	if err == io.EOF {
		if f.info.Frames >= 0 && f.total < uint64(f.info.Frames) {
			return damagedf(f.name, "truncated FLAC stream (%d of %d frames)", f.total, f.info.Frames)
		}
		return io.EOF
	}
	if err != nil {
		return flacErr(f.name, "invalid FLAC frame", err)
	}
	// Validate the header against StreamInfo before decoding the samples:
	// a frame may not change the layout of the stream, and its block size
	// (the allocation) may not exceed what StreamInfo declared.
	if fr.Channels.Count() != f.info.Channels {
		return damagedf(f.name, "FLAC frame has %d channels, stream has %d", fr.Channels.Count(), f.info.Channels)
	}
	switch fr.BitsPerSample {
	case 0:
		// "Get from StreamInfo"; mewkiz/flac does not do this itself.
		fr.BitsPerSample = uint8(f.info.BitDepth)
	case uint8(f.info.BitDepth):
	default:
		return damagedf(f.name, "FLAC frame has %d bits per sample, stream has %d", fr.BitsPerSample, f.info.BitDepth)
	}
	if fr.BlockSize == 0 || (f.maxBlock > 0 && int(fr.BlockSize) > f.maxBlock) {
		return damagedf(f.name, "bad FLAC block size %d", fr.BlockSize)
	}
	if err := fr.Parse(); err != nil {
		return flacErr(f.name, "invalid FLAC frame", err)
	}
	for _, sf := range fr.Subframes {
		if len(sf.Samples) != int(fr.BlockSize) {
			return damagedf(f.name, "invalid FLAC frame (subframe has %d samples, want %d)", len(sf.Samples), fr.BlockSize)
		}
	}
	f.total += uint64(fr.BlockSize)
	if f.info.Frames >= 0 && f.total > uint64(f.info.Frames) {
		return damagedf(f.name, "FLAC stream is longer than its header says (%d frames)", f.info.Frames)
	}
	f.cur, f.pos = fr.Subframes, 0
	return nil
}

func (f *flacReader) Close() error {
	f.err = errorf(f.name, nil, "read after Close")
	f.cur = nil
	if f.closer != nil {
		c := f.closer
		f.closer = nil
		return c.Close()
	}
	return nil
}
